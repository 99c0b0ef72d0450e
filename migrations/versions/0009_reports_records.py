"""Page loans and fees finished (pages lent, delivery, mailing address, deposit refund; payment amount, method,
receipt number) and the indexes the reports read by time (history; completed applications by type).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LOAN_COLUMNS = [("pages", sa.String(10)), ("delivery", sa.String(10)), ("mail_address", sa.String(200)),
                ("deposit_refunded_on", sa.Date())]
FEE_COLUMNS = [("paid_amount", sa.Numeric(10, 2)), ("pay_method", sa.String(10)), ("receipt_no", sa.String(50))]


def upgrade() -> None:
    for name, type_ in LOAN_COLUMNS:
        op.add_column("page_loan", sa.Column(name, type_, nullable=True))
    for name, type_ in FEE_COLUMNS:
        op.add_column("fee", sa.Column(name, type_, nullable=True))
    # payments recorded before this revision: the amount paid was the amount due
    op.execute("UPDATE fee SET paid_amount = amount WHERE status IN ('paid', 'refunded') AND paid_amount IS NULL")
    op.create_index("ix_history_at", "application_history", ["at", "from_status", "action", "application_id"])
    op.create_index("ix_history_app_seq", "application_history", ["application_id", "id", "at", "action", "to_status"])
    op.create_index("ix_history_to_status_at", "application_history", ["to_status", "at"])
    op.create_index("ix_application_type_completed", "application", ["type", "completed_at"])


def downgrade() -> None:
    op.drop_index("ix_application_type_completed", table_name="application")
    op.drop_index("ix_history_to_status_at", table_name="application_history")
    op.drop_index("ix_history_app_seq", table_name="application_history")
    op.drop_index("ix_history_at", table_name="application_history")
    with op.batch_alter_table("fee") as batch_op:
        for name, _type in reversed(FEE_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("page_loan") as batch_op:
        for name, _type in reversed(LOAN_COLUMNS):
            batch_op.drop_column(name)
