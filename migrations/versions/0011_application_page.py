"""Issue 9, the application page: the police acceptance number (受理号, column police_ref) is searchable.

The number is asked for at 「已录入并报送派出所」 and the application list finds it by exact match: an index.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.create_index("ix_application_police_ref", ["police_ref"])


def downgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.drop_index("ix_application_police_ref")
