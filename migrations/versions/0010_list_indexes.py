"""Indexes for the list screens at scale (issue 11): every list order is an index range, per department too,
so PostgreSQL and SQLite page through 200,000 applications and 1,000,000 audit rows without sorting them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NEW = [
    ("ix_application_dept_id", "application", ["department_id", "id"]),
    ("ix_application_submitted", "application", ["submitted_at", "id"]),
    ("ix_application_dept_submitted", "application", ["department_id", "submitted_at", "id"]),
    ("ix_audit_action_at", "audit_log", ["action", "at", "id"]),
    ("ix_audit_type_at", "audit_log", ["object_type", "at", "id"]),
    ("ix_audit_username", "audit_log", ["username", "id"]),
]


def upgrade() -> None:
    # ix_audit_at gains id: ORDER BY at DESC, id DESC is then read straight from the index.
    op.drop_index("ix_audit_at", table_name="audit_log")
    op.create_index("ix_audit_at", "audit_log", ["at", "id"])
    for name, table, columns in NEW:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(NEW):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_audit_at", table_name="audit_log")
    op.create_index("ix_audit_at", "audit_log", ["at"])
