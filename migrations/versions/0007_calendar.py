"""The working-day calendar (statutory holidays, make-up working days) and the years holding official data;
an index for the to-do list's oldest-first pick of applications per status.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name="ck_calendar_day_kind"),
        sa.CheckConstraint("source IN ('official', 'law', 'admin')", name="ck_calendar_day_source"),
        sa.UniqueConstraint("day"),
    )
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("source IN ('official', 'admin')", name="ck_calendar_year_source"),
    )
    op.create_index("ix_application_status_changed", "application", ["status", "changed_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_application_status_changed", table_name="application")
    op.drop_table("calendar_year")
    op.drop_table("calendar_day")
