"""Sessions: last-seen time of browser sessions (idle timeout) and revoked API tokens (JWT).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
    op.create_table(
        "token_revocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("token_revocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_token_revocation_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_token_revocation_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("token_revocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_token_revocation_expires_at"))
        batch_op.drop_index(batch_op.f("ix_token_revocation_key"))
    op.drop_table("token_revocation")
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
