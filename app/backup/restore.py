"""`hukou restore DIR [--force]`: put a backup back into an empty database and prove that it is complete.

Stop the app first: the database is replaced under it (SQLite through the backup API, PostgreSQL with
pg_restore in one transaction). Nothing is touched until the backup itself checks out against its manifest.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext

from . import checks, common
from .checks import FAILED, OK, Step
from .common import BackupError


@dataclass
class RestoreResult:
    """The verification steps after a restore; exit code 0 only when none failed."""

    folder: Path
    manifest: dict
    files_restored: int = 0
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No verification step failed."""
        return all(step.status != FAILED for step in self.steps)


def _entry_name(entry: dict) -> str:
    """The storage name of a manifest file entry, refusing any path that is not files/<our name>."""
    path = str(entry.get("path", ""))
    folder, _, name = path.partition("/")
    if folder != common.FILES_DIR or not common.is_stored_name(name):
        raise BackupError(gettext("manifest.json names an unexpected file %(path)s", path=path))
    return name


def check_backup(folder: Path, manifest: dict, kind: str) -> None:
    """The backup matches this database kind and every file matches its checksum in the manifest."""
    source = manifest.get("database", {})
    if source.get("kind") != kind:
        raise BackupError(gettext("The backup is of a %(backup)s database, but %(current)s is configured",
                                  backup=source.get("kind"), current=kind))
    if source.get("file") not in (common.SQLITE_FILE, common.PG_FILE):
        raise BackupError(gettext("manifest.json names an unexpected file %(path)s", path=source.get("file")))
    damaged = []
    db_file = folder / source["file"]
    if not db_file.is_file() or common.sha256_file(db_file) != (source.get("sha256"), source.get("size")):
        damaged.append(str(source.get("file")))
    for entry in manifest.get("files", []):
        path = folder / common.FILES_DIR / _entry_name(entry)
        if not path.is_file() or common.sha256_file(path) != (entry.get("sha256"), entry.get("size")):
            damaged.append(str(entry.get("path")))
    if damaged:
        raise BackupError(gettext("The backup is damaged (missing or checksum differs): %(files)s",
                                  files=checks.few(damaged)))


def target_rows(url, kind: str) -> dict[str, int]:
    """Tables of the target database that hold rows (a missing SQLite file is empty)."""
    from ..extensions import db

    if kind == "sqlite":
        path = common.sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return {}
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            return common.data_tables(common.count_rows(conn, kind))
        except sqlite3.DatabaseError as err:
            return {gettext("(not a SQLite database: %(error)s)", error=err): 1}
        finally:
            conn.close()
    with db.engine.connect() as conn:
        return common.data_tables(common.count_rows(conn, kind))


def refuse_non_empty(rows: dict[str, int], force: bool) -> None:
    """A restore replaces everything: refuse a database that holds data unless --force says so."""
    if rows and not force:
        shown = ", ".join(f"{table} {count}" for table, count in list(rows.items())[:8])
        raise BackupError(gettext(
            "The target database is not empty (rows: %(tables)s). A restore would replace this data; "
            "restore into an empty database, or add --force to overwrite it", tables=shown))


def _release_connections() -> None:
    """Close this process's own connections so they neither block nor outlive the replaced database."""
    from ..extensions import db

    db.session.remove()
    db.engine.dispose()


def restore_sqlite(snapshot: Path, target: Path) -> None:
    """Copy the snapshot into the configured file through the backup API (the target's WAL stays coherent)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"{snapshot.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def restore_postgresql(dump: Path, url) -> None:
    """pg_restore the dump in one transaction: the target ends up as the backup, or unchanged."""
    target, env = common.libpq_target(url)
    common.run_tool("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                                   f"--dbname={target}", str(dump)], env)


def restore_files(folder: Path, manifest: dict) -> int:
    """Copy the backed-up files into UPLOAD_FOLDER (unchanged ones are left alone); returns how many."""
    target = common.upload_folder()
    target.mkdir(parents=True, exist_ok=True)
    for entry in manifest.get("files", []):
        name = _entry_name(entry)
        dst = target / name
        if dst.is_file() and common.sha256_file(dst) == (entry["sha256"], entry["size"]):
            continue
        common.copy_hashed(folder / common.FILES_DIR / name, dst)
    common.fsync_dir(target)
    return len(manifest.get("files", []))


# --- verification of the restored database ------------------------------------------------------------------

def integrity_step(conn, kind: str) -> Step:
    """SQLite: integrity_check and foreign_key_check; PostgreSQL: pg_restore re-created every constraint."""
    name = gettext("Integrity check")
    if kind != "sqlite":
        return Step(name, OK, gettext("pg_restore completed in one transaction; every constraint was re-validated"))
    verdict = conn.exec_driver_sql("PRAGMA integrity_check").fetchone()[0]
    dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if verdict == "ok" and not dangling:
        return Step(name, OK, gettext("integrity_check ok, no dangling foreign keys"))
    return Step(name, FAILED, gettext("integrity_check: %(verdict)s; dangling foreign keys: %(count)s",
                                      verdict=verdict, count=len(dangling)))


def revision_step(found: str | None, manifest: dict) -> Step:
    """The schema revision is the one the backup was taken at."""
    name = gettext("Schema revision")
    expected = manifest.get("schema_revision")
    if found == expected:
        return Step(name, OK, str(found))
    return Step(name, FAILED, gettext("expected %(expected)s, found %(found)s", expected=expected, found=found))


def counts_step(found: dict[str, int], manifest: dict) -> Step:
    """Every table has exactly the row count of the manifest (and no table is extra)."""
    name = gettext("Row counts")
    expected = {t: int(n) for t, n in manifest.get("tables", {}).items()}
    wrong = [gettext("%(table)s: expected %(expected)s, found %(found)s", table=t, expected=expected.get(t, 0),
                     found=found.get(t, 0))
             for t in sorted(set(expected) | set(found)) if expected.get(t, 0) != found.get(t, 0)]
    if not wrong:
        return Step(name, OK, gettext("%(tables)s tables, %(rows)s rows, as in the manifest",
                                      tables=len(expected), rows=sum(expected.values())))
    return Step(name, FAILED, checks.few(wrong))


def head_step(head: dict, manifest: dict) -> Step:
    """The newest audit row is the one the backup ended with."""
    name = gettext("Audit chain head")
    expected = manifest.get("audit_chain_head", {})
    if (head.get("id"), head.get("row_hash")) == (expected.get("id"), expected.get("row_hash")):
        return Step(name, OK, gettext("last audit row #%(id)s as in the manifest", id=head.get("id")))
    return Step(name, FAILED, gettext("expected row #%(expected)s, found #%(found)s", expected=expected.get("id"),
                                      found=head.get("id")))


def verify_restored(manifest: dict, kind: str) -> list[Step]:
    """Integrity, revision, row counts, material files with sha256, audit head and chain of the live database."""
    from ..extensions import db

    with db.engine.connect() as conn:
        tables = common.count_rows(conn, kind)
        steps = [integrity_step(conn, kind), revision_step(common.schema_revision(conn, tables), manifest),
                 counts_step(tables, manifest), head_step(common.chain_head(conn, tables), manifest)]
        rows = common.material_rows(conn, tables)
    steps.append(checks.files_step(checks.material_files(rows, common.upload_folder())))
    steps.append(checks.chain_step(db.session))
    db.session.rollback()
    return steps


def _audit(result: RestoreResult) -> None:
    """Record the restore (after verifying, so the counts above are the backup's own) in the restored trail."""
    detail = {"folder": str(result.folder), "backup_created_at": result.manifest.get("created_at_local"),
              "files": result.files_restored, "failed": [s.name for s in result.steps if s.status == FAILED]}
    common.audit_event("restore", "系统（恢复）", success=result.ok, detail=detail)


def run_restore(folder: Path, force: bool = False) -> RestoreResult:
    """Check the backup, refuse a non-empty target unless forced, restore database and files, verify, audit."""
    folder = Path(folder)
    manifest = common.read_manifest(folder)
    url = common.database_url()
    kind = common.database_kind(url)
    check_backup(folder, manifest, kind)
    refuse_non_empty(target_rows(url, kind), force)
    _release_connections()
    snapshot = folder / manifest["database"]["file"]
    if kind == "sqlite":
        restore_sqlite(snapshot, common.sqlite_path(url))
    else:
        restore_postgresql(snapshot, url)
    result = RestoreResult(folder, manifest, restore_files(folder, manifest))
    result.steps = verify_restored(manifest, kind)
    _audit(result)
    return result
