"""The hash chain of the audit trail: each row carries the hash of its content and of the row before it."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection

from ..db import bulk_insert
from ..models import AuditAnchor, AuditLog

GENESIS = "0" * 64
FIELDS = ("at", "user_id", "username", "role", "ip", "request_id", "action", "object_type", "object_id",
          "success", "detail")
_FIELD_SET = frozenset(FIELDS)
PG_LOCK_KEY = 4_826_117  # pg_advisory_xact_lock key: one appender at a time, so the chain is one line
BATCH = 5000
BULK_FROM = 500  # rows; below this an ORM-typed INSERT is as fast and simpler


def _norm(value: Any) -> Any:
    """A value in the form it has after a database round trip (datetimes to microseconds, bools as bools)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    return value


_DATETIME = dt.datetime


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once: json.dumps with options
# builds a new encoder per call, a third of the cost of hashing a bulk import's rows


def canonical(row: Mapping[str, Any]) -> str:
    """The row's content as one JSON text: the fields in a fixed order."""
    return _ENCODER.encode([_norm(v) if isinstance(v, _DATETIME) else v for v in map(row.get, FIELDS)])


def link(prev_hash: str, row: Mapping[str, Any]) -> str:
    """sha256 over the previous row's hash and this row's canonical content."""
    return hashlib.sha256((prev_hash + "\n" + canonical(row)).encode()).hexdigest()


def _lock(conn: Connection) -> None:
    """Serialise appenders (PostgreSQL advisory lock; SQLite writers already hold the database lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})


def head(conn: Connection) -> str:
    """The hash a new row links to: the newest row's, else GENESIS."""
    last = conn.execute(select(AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1)).scalar()
    return last or GENESIS


def append(conn: Connection, rows: list[dict]) -> None:
    """Chain and insert rows in the caller's transaction (the lock is held until it commits)."""
    _lock(conn)
    prev = head(conn)
    for row in rows:
        if not _FIELD_SET <= row.keys():  # rows from audit.entry() have them all
            for name in FIELDS:
                row.setdefault(name, None)
        row["prev_hash"] = prev
        row["row_hash"] = prev = link(prev, row)
    if len(rows) >= BULK_FROM:
        bulk_insert(conn, AuditLog.__table__, FIELDS + ("prev_hash", "row_hash"), rows)
        return
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(AuditLog.__table__), rows[start:start + BATCH])


@dataclass(frozen=True)
class ChainReport:
    """What verify() found: ok, how many rows it walked, the first broken row and why (Chinese)."""

    ok: bool
    rows: int
    first_broken_id: int | None = None
    message: str = ""


def walk(rows: Iterable[Mapping[str, Any]], anchors: Mapping[int, str] | None = None) -> ChainReport:
    """Check rows in id order against the chain; a purge anchor bridges a purged run; the first break is named."""
    anchors = anchors or {}
    expected, count = GENESIS, 0
    for row in rows:
        count += 1
        if row["prev_hash"] != expected and anchors.get(row["id"]) != row["prev_hash"]:
            return ChainReport(False, count, row["id"],
                               f"第 {row['id']} 行与前一行不衔接（前面的行被删除、插入或修改）")
        if link(row["prev_hash"], row) != row["row_hash"]:
            return ChainReport(False, count, row["id"], f"第 {row['id']} 行的内容与其哈希不符（被修改）")
        expected = row["row_hash"]
    return ChainReport(True, count, None, f"审计链完整，共 {count} 行")


def _unrecorded_anchor(conn: Connection, anchors: Mapping[int, str]) -> int | None:
    """An anchor that no purge_audit row of the chain lists (an anchor forged to hide a deletion), or None."""
    if not anchors:
        return None
    listed: set[int] = set()
    for detail in conn.execute(select(AuditLog.detail).where(AuditLog.action == "purge_audit")).scalars():
        listed.update(json.loads(detail or "{}").get("resumes", []))
    return next((rid for rid in sorted(anchors) if rid not in listed), None)


def verify(session_or_conn) -> ChainReport:
    """Walk the whole audit trail in id order and report the first broken row, if any."""
    conn = session_or_conn.connection() if hasattr(session_or_conn, "connection") else session_or_conn
    anchors = {rid: h for rid, h in conn.execute(select(AuditAnchor.resume_id, AuditAnchor.last_hash))}
    cols = [AuditLog.__table__.c[name] for name in ("id", *FIELDS, "prev_hash", "row_hash")]
    result = conn.execution_options(yield_per=BATCH).execute(select(*cols).order_by(AuditLog.id))
    report = walk((row._mapping for row in result), anchors)
    forged = _unrecorded_anchor(conn, anchors) if report.ok else None
    if forged is not None:
        return ChainReport(False, report.rows, forged, f"第 {forged} 行的清理锚点没有对应的清理记录（伪造）")
    return report
