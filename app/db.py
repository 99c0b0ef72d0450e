"""Database plumbing: SQLite pragmas, write transactions that take the lock up front, Alembic upgrade."""
from __future__ import annotations

import contextvars
import datetime as dt
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


def _sqlite_converters(table, columns) -> list[tuple[int, object]]:
    """(position, converter) of the columns whose Python values need SQLAlchemy's SQLite text form."""
    from sqlalchemy import Boolean, Date, DateTime

    out = []
    for i, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, DateTime):
            out.append((i, lambda v: v.isoformat(" ", "microseconds")))
        elif isinstance(kind, Date):
            out.append((i, dt.date.isoformat))
        elif isinstance(kind, Boolean):
            out.append((i, int))
    return out


def bulk_insert(conn, table, columns: tuple[str, ...], rows) -> None:
    """Insert same-keyed dict rows into `table` (a Table) on the transaction's own connection at the driver's
    speed: COPY on PostgreSQL (psycopg), sqlite3's executemany on SQLite, values converted per column type
    (SQLAlchemy's per-row bind processing costs as much as the insert itself for a 100k-row import)."""
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        with raw.cursor() as cur:
            with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), [{c: r[c] for c in columns} for r in rows])
        return
    converters = _sqlite_converters(table, columns)

    def values(row: dict) -> list:
        """One row's values in column order, in SQLite's stored form."""
        out = [row[c] for c in columns]
        for i, convert in converters:
            if out[i] is not None:
                out[i] = convert(out[i])
        return out

    cur = raw.cursor()
    try:
        cur.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                        map(values, rows))
    finally:
        cur.close()


def one_of(column, values: list, dialect: str):
    """`column IN values`; on PostgreSQL one array parameter (= ANY), which binds and plans in half the time of
    1,000 separate parameters (a 100k-row import looks its keys up in chunks)."""
    if dialect != "postgresql":
        return column.in_(values)
    from sqlalchemy import any_, bindparam
    from sqlalchemy.dialects.postgresql import ARRAY

    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type), unique=True))
