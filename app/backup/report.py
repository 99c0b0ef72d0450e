"""The Chinese summaries printed by `hukou backup`, `hukou restore` and `hukou check`."""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy.exc import SQLAlchemyError

from .check import CheckResult, orphans_step
from .checks import FAILED, OK, SKIPPED, Step, few
from .restore import RestoreResult
from .snapshot import BackupResult

KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def error_line(err: Exception) -> str:
    """The message of a step that could not go on (file-system errors named as such)."""
    if isinstance(err, OSError):
        detail = f"{err.strerror or err} ({err.filename or ''})"
        return gettext("File operation failed: %(error)s", error=detail)
    if isinstance(err, SQLAlchemyError):  # e.g. a database that was never migrated
        reason = getattr(err, "orig", None) or err
        return gettext("Database error: %(error)s", error=str(reason).splitlines()[0])
    return str(err)


def _mb(n_bytes: int) -> str:
    """A byte count in MB with one decimal."""
    return f"{n_bytes / (1 << 20):.1f}"


def step_lines(steps: list[Step]) -> list[str]:
    """One line per step: [passed|FAILED|skipped] name: detail."""
    labels = {OK: gettext("passed"), FAILED: gettext("FAILED"), SKIPPED: gettext("skipped")}
    return [f"  [{labels[s.status]}] {s.name}：{s.detail}" for s in steps]  # no words of its own to translate


def backup_lines(result: BackupResult) -> list[str]:
    """What the backup holds and any file it could not copy faithfully."""
    m, files = result.manifest, result.files
    tables, database = m["tables"], m["database"]
    lines = [
        gettext("Backup written to %(path)s (%(time)s)", path=result.folder, time=m["created_at_local"]),
        gettext("Database: %(kind)s snapshot %(file)s, %(mb)s MB, schema revision %(revision)s",
                kind=KINDS[database["kind"]], file=database["file"], mb=_mb(database["size"]),
                revision=m["schema_revision"]),
        gettext("Rows: %(rows)s in %(tables)s tables (residents %(residents)s, applications %(applications)s, "
                "audit records %(audit)s)", rows=sum(tables.values()), tables=len(tables),
                residents=tables.get("resident", 0), applications=tables.get("application", 0),
                audit=tables.get("audit_log", 0)),
        gettext("Files: %(count)s material files copied, %(mb)s MB, each with its sha256",
                count=len(m["files"]), mb=_mb(sum(e["size"] for e in m["files"]))),
        gettext("Last audit record: #%(id)s", id=m["audit_chain_head"]["id"]),
    ]
    if files.not_in_snapshot:
        lines.append(gettext("%(count)s files in the upload folder are not referenced by the snapshot (uploaded "
                             "since, or orphans: see hukou check)", count=len(files.not_in_snapshot)))
    problems = [(files.missing, gettext("file missing on disk")), (files.altered, gettext("content differs from "
                "the stored sha256")), (files.invalid, gettext("storage name is not a file of ours"))]
    for names, what in problems:
        if names:
            lines.append(gettext("Problem: %(what)s: %(names)s", what=what, names=few(names)))
    lines.append(gettext("Backup complete") if result.ok else
                 gettext("The backup was written, but the problems above mean it is not complete"))
    return lines


def restore_lines(result: RestoreResult) -> list[str]:
    """What was restored and each verification step."""
    lines = [gettext("Restored the backup of %(time)s from %(path)s; %(count)s material files copied back",
                     time=result.manifest.get("created_at_local"), path=result.folder, count=result.files_restored),
             gettext("Checked:")]
    lines += step_lines(result.steps)
    lines.append(gettext("Restore verified: every check passed") if result.ok else
                 gettext("Restore NOT verified: see the failed checks above"))
    return lines


def check_lines(result: CheckResult) -> list[str]:
    """Orphans, material files, audit chain, and files too new to judge."""
    lines = [gettext("Checked the upload folder %(path)s (%(count)s files)", path=result.folder,
                     count=result.files_on_disk)]
    lines += step_lines([orphans_step(result), *result.steps])
    if result.recent:
        lines.append(gettext("%(count)s files without a row are younger than the minimum age and were left alone "
                             "(an upload may be in progress): %(names)s", count=len(result.recent),
                             names=few(result.recent)))
    lines.append(gettext("No problems found") if result.ok else gettext("Problems remain: see above"))
    return lines
