"""Register screens (issue 9): a resident created at the counter is 待迁入 (pending_in) until the move-in completes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa  # noqa: F401

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD = "status in ('active','leaving','moved_out','frozen')"
NEW = "status in ('pending_in','active','leaving','moved_out','frozen')"


def _replace_check(condition: str) -> None:
    """Swap ck_resident_status for one with `condition` (batch: SQLite rebuilds the table)."""
    with op.batch_alter_table("resident") as batch:
        batch.drop_constraint("ck_resident_status", type_="check")
        batch.create_check_constraint("ck_resident_status", condition)


def upgrade() -> None:
    _replace_check(NEW)


def downgrade() -> None:
    # No 待迁入 may survive a downgrade: the old constraint does not know it. Such a person's move-in was
    # not completed, so they are not yet in the household; they are kept, flagged as in household as before 0014.
    op.execute("UPDATE resident SET status = 'active' WHERE status = 'pending_in'")
    _replace_check(OLD)
