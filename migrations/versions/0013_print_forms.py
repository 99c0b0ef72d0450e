"""Official print forms (issue 9): the unit profile, numbered household certificates and the handbook's tips.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PROFILE_TEXT = [("unit_name", 100), ("collective_name", 100), ("household_no", 40), ("registered_address", 200),
                ("office_address", 200), ("police_station", 100), ("contact_name", 50), ("contact_phone", 30)]


def upgrade() -> None:
    op.create_table(
        "unit_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.String(length=size), server_default="", nullable=False) for name, size in PROFILE_TEXT],
        sa.PrimaryKeyConstraint("id"),
    )
    # The one row the Admin fills in (the forms read it; it is never added or deleted on the screens).
    op.execute("INSERT INTO unit_profile (id) VALUES (1)")
    op.create_table(
        "certificate_sequence",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("print_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_printed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.ForeignKeyConstraint(["issued_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("uq_certificate_year_seq", "certificate", ["year", "seq"], unique=True)
    op.create_index("ix_certificate_resident_id", "certificate", ["resident_id"])
    op.create_table(
        "handbook_tip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_type", sa.String(length=20), nullable=False),
        sa.Column("tips", sa.Text(), server_default="", nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["changed_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("app_type"),
    )


def downgrade() -> None:
    op.drop_table("handbook_tip")
    op.drop_index("ix_certificate_resident_id", table_name="certificate")
    op.drop_index("uq_certificate_year_seq", table_name="certificate")
    op.drop_table("certificate")
    op.drop_table("certificate_sequence")
    op.drop_table("unit_profile")
