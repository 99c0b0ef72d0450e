"""Tamper-evident audit trail: role, request id and a hash chain on audit_log; purge anchors.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_ANCHOR_TRIGGERS = [
    """CREATE TRIGGER audit_anchor_no_update BEFORE UPDATE ON audit_anchor
       BEGIN SELECT RAISE(ABORT, 'audit_anchor is append-only'); END""",
    """CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
       BEGIN SELECT RAISE(ABORT, 'audit_anchor is append-only'); END""",
]
PG_ANCHOR_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_anchor_guard() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_anchor is append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_anchor_guard BEFORE UPDATE OR DELETE ON audit_anchor
       FOR EACH ROW EXECUTE FUNCTION audit_anchor_guard()""",
]


def _chain_existing(bind) -> None:
    """Give rows written before this revision their place in the chain (UPDATE trigger lifted meanwhile)."""
    from app.audit.chain import FIELDS, GENESIS, link

    pg = bind.dialect.name == "postgresql"
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard" if pg
               else "DROP TRIGGER IF EXISTS audit_log_no_update")
    cols = ", ".join(("id",) + FIELDS)
    rows = [dict(r._mapping) for r in bind.execute(sa.text(f"SELECT {cols} FROM audit_log ORDER BY id"))]
    prev = GENESIS
    for row in rows:
        row["success"] = bool(row["success"])
        digest = link(prev, row)
        bind.execute(sa.text("UPDATE audit_log SET prev_hash = :p, row_hash = :h WHERE id = :i"),
                     {"p": prev, "h": digest, "i": row["id"]})
        prev = digest
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_guard" if pg else
               """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""")


def upgrade() -> None:
    for name, length in (("role", 100), ("request_id", 32), ("prev_hash", 64), ("row_hash", 64)):
        op.add_column("audit_log", sa.Column(name, sa.String(length), nullable=True))
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("resume_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("purged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("resume_id"),
    )
    bind = op.get_bind()
    for sql in PG_ANCHOR_TRIGGERS if bind.dialect.name == "postgresql" else SQLITE_ANCHOR_TRIGGERS:
        op.execute(sql)
    _chain_existing(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_anchor_guard ON audit_anchor")
        op.execute("DROP FUNCTION IF EXISTS audit_anchor_guard()")
    op.drop_table("audit_anchor")
    with op.batch_alter_table("audit_log") as batch_op:
        for name in ("row_hash", "prev_hash", "request_id", "role"):
            batch_op.drop_column(name)
