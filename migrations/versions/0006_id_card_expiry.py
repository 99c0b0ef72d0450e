"""The resident's ID card expiry date (有效期限 on the card's back; feeds the expiry reminder and the OCR check).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("resident", sa.Column("id_valid_to", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resident") as batch_op:
        batch_op.drop_column("id_valid_to")
