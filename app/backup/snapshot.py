"""`hukou backup DIR`: a consistent snapshot of the running database, the uploaded files it references, a manifest.

The row counts, schema revision, audit-chain head and material list all come from the snapshot itself (the
copied SQLite file; on PostgreSQL the same REPEATABLE READ snapshot that pg_dump uses), so they agree with the
dump even while the app keeps writing.
"""
from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext

from . import common
from .common import BackupError


@dataclass
class Snapshot:
    """What was read from the snapshot: counts, revision, audit head, materials."""

    kind: str
    file: str
    tables: dict[str, int]
    revision: str | None
    head: dict
    materials: list[tuple[int, str, int, str]]


@dataclass
class FileCopy:
    """The material files copied into the backup, and those that could not be copied faithfully."""

    entries: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    not_in_snapshot: list[str] = field(default_factory=list)


@dataclass
class BackupResult:
    """Where the backup went and what it holds; `ok` is False when a referenced file was missing or altered."""

    folder: Path
    manifest: dict
    files: FileCopy

    @property
    def ok(self) -> bool:
        """No referenced file was missing, altered or badly named."""
        return not (self.files.missing or self.files.altered or self.files.invalid)


def _prepare(folder: Path) -> bool:
    """DIR must be new or empty; returns True when we create it (so a failure may remove it again)."""
    if folder.exists():
        if not folder.is_dir():
            raise BackupError(gettext("Backup folder %(path)s: a file of that name exists; choose a new folder",
                                      path=folder))
        if any(folder.iterdir()):
            raise BackupError(gettext("Backup folder %(path)s is not empty; choose a new or empty folder",
                                      path=folder))
        return False
    folder.mkdir(parents=True)
    return True


def _discard(folder: Path, created: bool) -> None:
    """Remove what a failed backup wrote (the folder was new or empty, so nothing else is lost)."""
    if created:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for child in folder.iterdir():
        shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)


def _read(conn, kind: str, file: str) -> Snapshot:
    """Everything the manifest needs, read through the snapshot's own connection."""
    tables = common.count_rows(conn, kind)
    return Snapshot(kind, file, tables, common.schema_revision(conn, tables), common.chain_head(conn, tables),
                    common.material_rows(conn, tables))


def snapshot_sqlite(source: Path, folder: Path) -> Snapshot:
    """Copy the live SQLite file with the online backup API (one step: one consistent read transaction)."""
    if not source.is_file():
        raise BackupError(gettext("Database file %(path)s does not exist", path=source))
    out_path = folder / common.SQLITE_FILE
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    out = sqlite3.connect(out_path)
    try:
        src.backup(out)  # pages=-1: the whole database under one read lock, never a torn copy
        out.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal beside it
        verdict = out.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(gettext("Integrity check of the copy failed: %(error)s", error=verdict))
        return _read(out, "sqlite", common.SQLITE_FILE)
    finally:
        out.close()
        src.close()


def snapshot_postgresql(url, folder: Path) -> Snapshot:
    """pg_dump -Fc of an exported REPEATABLE READ snapshot; the counts are read inside that same snapshot."""
    from ..extensions import db

    target, env = common.libpq_target(url)
    out_path = folder / common.PG_FILE
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            snapshot_id = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            common.run_tool("pg_dump", ["--format=custom", f"--snapshot={snapshot_id}", "--lock-wait-timeout=60s",
                                        f"--file={out_path}", f"--dbname={target}"], env)
            return _read(conn, "postgresql", common.PG_FILE)


def copy_files(materials: list[tuple[int, str, int, str]], folder: Path) -> FileCopy:
    """Copy every file a snapshot row references, hashing the copy; list what is missing, altered or extra."""
    source = common.upload_folder()
    target = folder / common.FILES_DIR
    target.mkdir()
    report = FileCopy()
    referenced = set()
    for material_id, name, size, sha256 in materials:
        if not common.is_stored_name(name):
            report.invalid.append(f"#{material_id}")
            continue
        referenced.add(name)
        if not (source / name).is_file():  # a file deleted after the snapshot, or lost before it
            report.missing.append(name)
            continue
        digest, copied = common.copy_hashed(source / name, target / name)
        report.entries.append({"path": f"{common.FILES_DIR}/{name}", "material_id": material_id,
                               "size": copied, "sha256": digest})
        if digest != sha256 or copied != size:
            report.altered.append(name)
    common.fsync_dir(target)
    if source.is_dir():  # uploads after the snapshot, and orphans (see `hukou check`)
        report.not_in_snapshot = sorted(p.name for p in source.iterdir() if p.is_file() and p.name not in referenced)
    return report


def _manifest(snap: Snapshot, files: FileCopy, started: dt.datetime, folder: Path) -> dict:
    """The manifest: when, which database, revision, counts, files with checksums, audit-chain head."""
    from ..clock import zone

    digest, size = common.sha256_file(folder / snap.file)
    return {
        "format": common.FORMAT, "app": "hukou-desk",
        "created_at_local": started.astimezone(zone()).isoformat(timespec="seconds"),
        "created_at_utc": started.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "database": {"kind": snap.kind, "file": snap.file, "size": size, "sha256": digest},
        "schema_revision": snap.revision, "tables": snap.tables, "audit_chain_head": snap.head,
        "files": files.entries,
        "file_problems": {"missing": files.missing, "altered": files.altered, "invalid": files.invalid},
        "files_not_in_snapshot": files.not_in_snapshot,
    }


def _audit(result: BackupResult) -> None:
    """Record the backup in the audit trail, in its own short write transaction."""
    manifest = result.manifest
    detail = {"folder": str(result.folder), "database": manifest["database"]["kind"],
              "revision": manifest["schema_revision"], "rows": sum(manifest["tables"].values()),
              "files": len(manifest["files"]), "database_sha256": manifest["database"]["sha256"],
              "problems": len(result.files.missing) + len(result.files.altered) + len(result.files.invalid)}
    common.audit_event("backup", "系统（备份）", success=result.ok, detail=detail)


def take_backup(folder: Path) -> BackupResult:
    """Write the snapshot, the files and manifest.json into FOLDER (new or empty), then audit it."""
    folder = Path(folder)
    created = _prepare(folder)
    started = dt.datetime.now(dt.timezone.utc)
    try:
        url = common.database_url()
        kind = common.database_kind(url)
        snap = (snapshot_sqlite(common.sqlite_path(url), folder) if kind == "sqlite"
                else snapshot_postgresql(url, folder))
        files = copy_files(snap.materials, folder)
        result = BackupResult(folder, _manifest(snap, files, started, folder), files)
        common.write_manifest(folder, result.manifest)
    except BaseException:
        _discard(folder, created)
        raise
    _audit(result)
    return result
