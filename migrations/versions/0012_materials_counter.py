"""Materials at the counter (issue 9): the validity date of a migration certificate (准迁证 …) as a column.

Until now the date was read from the officer's check note 「有效期至YYYY-MM-DD」; the note stays a fallback.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """material.valid_to: the date until which a certificate is valid (NULL: not a certificate or not known)."""
    with op.batch_alter_table("material") as batch:
        batch.add_column(sa.Column("valid_to", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop material.valid_to."""
    with op.batch_alter_table("material") as batch:
        batch.drop_column("valid_to")
