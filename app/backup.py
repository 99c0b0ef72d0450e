"""Online backup of the embedded SQLite database (a plain file copy of a WAL database loses committed rows)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url


def backup_sqlite(destination: str) -> int:
    """Copy the live SQLite database with sqlite3's backup API; returns the resident count of the copy."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database:
        raise ValueError("backup works on the SQLite database only; back up PostgreSQL with pg_dump")
    dest = Path(destination)
    if dest.exists():
        raise ValueError(f"{dest} already exists; choose a new file name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(url.database)
    out = sqlite3.connect(dest)
    try:
        src.backup(out)
        if out.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ValueError(f"integrity check of {dest} failed")
        return out.execute("SELECT count(*) FROM resident").fetchone()[0]
    finally:
        out.close()
        src.close()
