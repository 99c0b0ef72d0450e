"""Database plumbing: SQLite pragmas, write transactions that take the lock up front, Alembic upgrade."""
from __future__ import annotations

import contextvars
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_immediate = contextvars.ContextVar("sqlite_immediate", default=False)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection; manual BEGIN (see _sqlite_begin)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # pysqlite begins transactions lazily and only before DML, which breaks SELECT-then-UPDATE isolation.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _wants_immediate() -> bool:
    """A write request or an explicit write_transaction() takes SQLite's write lock at BEGIN."""
    if _immediate.get():
        return True
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover
        return False
    return has_request_context() and request.method in WRITE_METHODS


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """Emit BEGIN IMMEDIATE for writers so two writers queue on busy_timeout instead of failing."""
    if conn.dialect.name != "sqlite":
        return
    locked = _wants_immediate()
    conn.exec_driver_sql("BEGIN IMMEDIATE" if locked else "BEGIN")
    conn.info["hk_immediate"] = locked


def holds_write_lock(session) -> bool:
    """Whether the session's open transaction may write without failing (PostgreSQL: always; SQLite: IMMEDIATE)."""
    if session.get_bind().dialect.name != "sqlite":
        return True
    return bool(session.connection().info.get("hk_immediate"))


@contextmanager
def immediate(write: bool = True) -> Iterator[None]:
    """Transactions that begin inside this block take SQLite's write lock at BEGIN (when `write`)."""
    token = _immediate.set(write or _immediate.get())
    try:
        yield
    finally:
        _immediate.reset(token)


def alembic_config(url: str):
    """An Alembic Config for this project's migrations/ pointed at the given database URL."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creating the SQLite folder if needed)."""
    from alembic import command

    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)
