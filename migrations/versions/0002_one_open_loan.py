"""At most one open page loan per resident (partial unique index).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_loan_one_open", "page_loan", ["resident_id"], unique=True,
                    sqlite_where=sa.text("returned_on IS NULL"), postgresql_where=sa.text("returned_on IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_loan_one_open", table_name="page_loan")
