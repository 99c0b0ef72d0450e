"""Shared pieces of backup, restore and check: which database, its tables and counts, file hashing, the manifest."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy.engine import URL

from ..domain.files import fsync_dir  # noqa: F401  (used here and by the snapshot)

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
FILES_DIR = "files"
FORMAT = 1
CHUNK = 1 << 20
# The names services.materials gives stored scans; a row naming anything else is never followed on disk.
STORAGE_NAME = re.compile(r"[0-9a-f]{32}")
NOT_DATA = frozenset({"alembic_version"})  # a migrated database with no rows of its own is still empty


class BackupError(Exception):
    """A backup, restore or check step that cannot go on; the message is already translated."""


# --- the configured database --------------------------------------------------------------------------------

def database_url() -> URL:
    """The URL the app's engine really uses (Flask-SQLAlchemy makes relative SQLite paths absolute)."""
    from ..extensions import db

    return db.engine.url


def database_kind(url: URL) -> str:
    """"sqlite" or "postgresql"; anything else is refused."""
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and url.database != ":memory:":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(gettext("Database %(url)s: only a SQLite file or PostgreSQL can be backed up",
                              url=url.render_as_string(hide_password=True)))


def sqlite_path(url: URL) -> Path:
    """The file of a SQLite URL."""
    return Path(url.database or "")


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """(libpq connection URL without password, environment with PGPASSWORD) for pg_dump / pg_restore."""
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where `ps` would show it
    return plain, env


def run_tool(name: str, args: list[str], env: dict[str, str]) -> None:
    """Run pg_dump / pg_restore; a failure raises BackupError with the tool's own message."""
    exe = shutil.which(name)
    if exe is None:
        raise BackupError(gettext("%(tool)s was not found: install the PostgreSQL client tools", tool=name))
    done = subprocess.run([exe, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(gettext("%(tool)s failed (exit code %(code)s): %(error)s", tool=name,
                                  code=done.returncode, error=done.stderr.strip()[-2000:]))


def audit_event(action: str, actor_name: str, success: bool = True, detail: dict | None = None) -> None:
    """One audit row in its own short unit of work, for the named system actor of the command."""
    from ..security.actor import cli_actor
    from ..uow import unit_of_work

    with unit_of_work(cli_actor(actor_name)) as uow:
        uow.record(action, success=success, detail=detail)


def upload_folder() -> Path:
    """UPLOAD_FOLDER as configured (not created: a check must not invent an empty folder)."""
    return Path(current_app.config["UPLOAD_FOLDER"])


# --- reading a database: works on a sqlite3 connection and on a SQLAlchemy connection ---------------------

def _result(conn, sql: str):
    """Run SQL with no parameters on either kind of connection; returns a DB-API-like cursor/result."""
    if isinstance(conn, sqlite3.Connection):
        return conn.execute(sql)
    return conn.exec_driver_sql(sql)


def _quote(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def list_tables(conn, kind: str) -> list[str]:
    """The tables of the database (the current schema on PostgreSQL), sorted."""
    sql = ("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
           if kind == "sqlite" else
           "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [row[0] for row in _result(conn, sql).fetchall()]


def count_rows(conn, kind: str) -> dict[str, int]:
    """{table: row count} of every table."""
    return {t: int(_result(conn, f"SELECT count(*) FROM {_quote(t)}").fetchone()[0]) for t in list_tables(conn, kind)}


def schema_revision(conn, tables: dict[str, int]) -> str | None:
    """The Alembic revision of the database, or None when it has none."""
    if "alembic_version" not in tables:
        return None
    row = _result(conn, "SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def chain_head(conn, tables: dict[str, int]) -> dict[str, Any]:
    """The newest audit row: its id and (once the audit trail is hash-chained) its hash."""
    if "audit_log" not in tables:
        return {"id": None, "row_hash": None, "rows": 0}
    cur = _result(conn, "SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    names = [d[0] for d in cur.description] if isinstance(conn, sqlite3.Connection) else list(cur.keys())
    row = cur.fetchone()
    found = dict(zip(names, row)) if row else {}
    return {"id": found.get("id"), "row_hash": found.get("row_hash"), "rows": tables["audit_log"]}


def material_rows(conn, tables: dict[str, int]) -> list[tuple[int, str, int, str]]:
    """(id, storage name, size, sha256) of every Material row."""
    if "material" not in tables:
        return []
    sql = "SELECT id, storage_name, size, sha256 FROM material ORDER BY id"
    return [(int(r[0]), r[1], int(r[2]), r[3]) for r in _result(conn, sql).fetchall()]


def data_tables(counts: dict[str, int]) -> dict[str, int]:
    """The tables that hold rows, leaving out Alembic's bookkeeping."""
    return {t: n for t, n in counts.items() if n and t not in NOT_DATA}


# --- files --------------------------------------------------------------------------------------------------

def sha256_file(path: Path) -> tuple[str, int]:
    """(sha256 hex, size) of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def copy_hashed(src: Path, dst: Path) -> tuple[str, int]:
    """Copy src to dst through a temporary name (dst appears whole or not at all); returns (sha256, size)."""
    digest = hashlib.sha256()
    size = 0
    tmp = dst.with_name(f".{dst.name}.copying")
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            while block := fin.read(CHUNK):
                digest.update(block)
                size += len(block)
                fout.write(block)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return digest.hexdigest(), size


def is_stored_name(name: str | None) -> bool:
    """A storage name of ours (no path, no user input)."""
    return bool(STORAGE_NAME.fullmatch(name or ""))


# --- the manifest -------------------------------------------------------------------------------------------

def write_manifest(folder: Path, manifest: dict) -> Path:
    """Write manifest.json (last, so its presence means the backup is complete)."""
    path = folder / MANIFEST
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False), encoding="utf-8")
    os.replace(tmp, path)
    fsync_dir(folder)
    return path


def read_manifest(folder: Path) -> dict:
    """The manifest of a backup folder, or BackupError saying what is wrong with it."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(gettext("%(path)s is not a complete backup: manifest.json is missing", path=folder))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BackupError(gettext("manifest.json of %(path)s cannot be read: %(error)s", path=folder,
                                  error=err)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(gettext("manifest.json of %(path)s is not a backup manifest of this version",
                                  path=folder))
    return manifest
