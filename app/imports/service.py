"""Running an import: read the stored file, plan it, write it (unless a dry run) and record the batch, in one
unit of work. Used by the web views, the CLI and background jobs."""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable

from flask import current_app

from ..clock import today, utcnow
from ..domain.actor import Actor
from ..domain.errors import Message, NotAllowed, N_
from ..domain.masking import mask_id
from ..i18n import render
from ..models import ImportBatch
from ..uow import UnitOfWork, unit_of_work
from . import apply, hr, retention, roster
from .plan import Plan
from .reading import ImportFileError, check_size, open_rows, pick_rows
from .report import error_report

KINDS = {"roster": N_("Roster"), "hr": N_("HR changes")}
_SAMPLE = 200  # changed rows and errors kept in the batch for the preview page (the report has every error)


@dataclass
class Outcome:
    """The batch record's id and the plan behind it."""

    batch_id: int
    plan: Plan
    status: str


def import_dir() -> Path:
    """instance/imports (or HUKOU_IMPORT_DIR): uploaded files under random names and the error reports."""
    config = current_app.config
    folder = Path(config.get("HUKOU_IMPORT_DIR") or Path(config["HUKOU_INSTANCE_DIR"]) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(stream: IO[bytes], name: str) -> tuple[str, str]:
    """Copy an upload to the import folder under a random name; returns (stored name, sha256)."""
    max_mb = current_app.config["HUKOU_IMPORT_MAX_MB"]
    token = secrets.token_hex(16) + (Path(name).suffix.lower()[:8] or ".bin")
    path, digest, size = import_dir() / token, hashlib.sha256(), 0
    try:
        with open(path, "wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                check_size(size, max_mb)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return token, digest.hexdigest()


def sha256_of(path: Path) -> str:
    """The sha256 of a stored file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


BYTES_PER_ROW = 100  # a roster .xlsx holds about 87 bytes a row (measured): the size says the rows in advance


def estimated_rows(stored: str) -> int:
    """About how many rows a stored file holds, from its size (before anything reads it)."""
    return max(1, int((import_dir() / stored).stat().st_size / BYTES_PER_ROW))


def check_in_background(stored: str) -> bool:
    """True when the stored file likely holds more than HUKOU_JOB_THRESHOLD rows: its dry run is then a job, so
    the upload request answers at once (a 100,000-row check takes tens of seconds, past a proxy's timeout)."""
    return estimated_rows(stored) > int(current_app.config.get("HUKOU_JOB_THRESHOLD", 5000))


def start_check(actor: Actor, kind: str, stored: str, file_name: str) -> int:
    """A batch 「检查中」 for a stored file and the background job that dry-runs it; returns the batch id."""
    from ..jobs import enqueue

    require_importer(actor)
    sha = sha256_of(import_dir() / stored)
    with unit_of_work(actor) as uow:
        batch = ImportBatch(kind=kind, status="checking", created_by_id=actor.user_id,
                            created_by_name=actor.label[:100], file_name=file_name[:255], sha256=sha,
                            summary=json.dumps({"stored": stored}))
        uow.session.add(batch)
        uow.session.flush()
        batch_id = batch.id
        uow.record("import", object_type="ImportBatch", object_id=batch_id,
                   detail={"kind": kind, "file": file_name, "sha256": sha, "status": "checking"})
    job_id = enqueue("import_check", actor.user_id, {"kind": kind, "stored": stored, "file_name": file_name,
                                                     "batch_id": batch_id})
    with unit_of_work(actor) as uow:
        uow.session.get(ImportBatch, batch_id).job_id = job_id
    return batch_id


def require_importer(actor: Actor) -> None:
    """Only unit-wide users with Resident write (officer, HR, admin) import: the file may touch anyone."""
    if not (actor.unit_wide and actor.can("write", "Resident")):
        raise NotAllowed(Message("imp_not_allowed", N_("You may not import into the register")))


def plan_file(uow: UnitOfWork, kind: str, rows: Iterable[list]) -> Plan:
    """The plan of a file's rows for this kind of import."""
    if kind == "roster":
        return roster.plan_roster(uow.session, rows, today())
    return hr.plan_hr(uow.session, rows, today(), current_app.config["HUKOU_MOVE_OUT_DAYS"])


def run_import(actor: Actor, kind: str, stored: str, file_name: str, *, dry_run: bool, batch_id: int | None = None,
               progress: Callable[[int], None] = lambda n: None) -> Outcome:
    """Dry-run or commit one stored file as one unit of work; the batch record is written with it."""
    require_importer(actor)
    path = import_dir() / stored
    if not path.is_file():  # an unconfirmed upload is deleted after HUKOU_IMPORT_KEEP_HOURS
        raise NotAllowed(Message("imp_expired", N_("The uploaded file is no longer kept (unconfirmed imports are "
                                                   "deleted after %(hours)d hours); upload the file again"),
                                 {"hours": current_app.config["HUKOU_IMPORT_KEEP_HOURS"]}))
    sha = sha256_of(path)
    max_mb = current_app.config["HUKOU_IMPORT_MAX_MB"]
    with unit_of_work(actor) as uow:
        retention.sweep(uow, import_dir(), utcnow(), current_app.config["HUKOU_IMPORT_KEEP_HOURS"])
        batch = _batch(uow, actor, kind, file_name, sha, batch_id, dry_run)
        try:
            rows = open_rows(path, file_name, max_mb)
            plan = plan_file(uow, kind, _counted(rows, progress) if dry_run else rows)
        except ImportFileError as err:
            plan = Plan(kind, file_error=err.messages[0])
        if not dry_run and plan.ok and kind == "roster":
            uow.session.flush()  # the batch's id: each created resident's trail entry points at it
            apply.apply_roster(uow, plan, progress, batch_id=batch.id)
        elif not dry_run and plan.ok:
            apply.apply_hr(uow, plan, progress)
        status = "dry_run" if dry_run else ("committed" if plan.ok else "rejected")
        _fill(batch, plan, status, stored)
        if plan.errors:
            batch.report_path = _write_report(uow, plan, path, file_name, max_mb)
        uow.session.flush()
        uow.record("import", object_type="ImportBatch", object_id=batch.id,
                   detail={"kind": kind, "file": file_name, "sha256": sha, "status": status, **plan.counts})
        return Outcome(batch.id, plan, status)


def _counted(rows: Iterable[list], progress: Callable[[int], None], every: int = 1000) -> Iterable[list]:
    """The rows, reporting each `every` rows read (a background check's progress)."""
    for n, row in enumerate(rows, 1):
        yield row
        if n % every == 0:
            progress(every)


def _batch(uow: UnitOfWork, actor: Actor, kind: str, file_name: str, sha: str, batch_id: int | None,
           dry_run: bool) -> ImportBatch:
    """The batch being checked in the background or the dry run being confirmed (same file, same hash, same
    user, still in that state), or a new batch."""
    if batch_id is not None:
        batch = uow.session.get(ImportBatch, batch_id, with_for_update=True)
        if batch is None or batch.kind != kind or batch.status != ("checking" if dry_run else "dry_run") \
                or batch.sha256 != sha or batch.created_by_id != actor.user_id:
            raise NotAllowed(Message("imp_changed", N_("The file or its preview changed since the dry run; upload "
                                                       "the file again")))
        return batch
    batch = ImportBatch(kind=kind, status="running", created_by_id=actor.user_id,
                        created_by_name=actor.label[:100], file_name=file_name[:255], sha256=sha)
    uow.session.add(batch)
    return batch


def _fill(batch: ImportBatch, plan: Plan, status: str, stored: str) -> None:
    """Counts, status and the preview details (first changed rows and errors) into the batch."""
    counts = plan.counts
    batch.status, batch.rows_total = status, plan.rows_total
    batch.created, batch.updated, batch.unchanged = counts["created"], counts["updated"], counts["unchanged"]
    batch.skipped, batch.errors = counts["skipped"], counts["errors"]
    batch.summary = json.dumps(_summary(plan, stored), ensure_ascii=False, default=str)


def _summary(plan: Plan, stored: str) -> dict:
    """What the preview page shows: ignored columns, changed fields, skipped rows, errors (msgid + params)."""
    out = {"stored": stored, "ignored": plan.ignored,
           "errors": [[e.row, e.header, e.message.msgid, e.message.params] for e in plan.errors[:_SAMPLE]],
           "skipped": [[row, name, m.msgid, m.params] for row, name, m in plan.skipped[:_SAMPLE]],
           "file_error": [plan.file_error.msgid, plan.file_error.params] if plan.file_error else None}
    if plan.kind == "roster":
        out["changes"] = [[mask_id(plan.full_records[rid]["id_number"]), plan.full_records[rid].get("name"),
                           apply._detail(old, new)] for rid, old, new in plan.updates[:_SAMPLE]]
    else:
        out["changes"] = [[a.row, a.change, apply._detail({k: v[0] for k, v in a.changes.items()},
                                                          {k: v[1] for k, v in a.changes.items()}),
                           a.move_out_due, len(a.follow)] for a in plan.actions[:_SAMPLE]]
    return out


def _write_report(uow: UnitOfWork, plan: Plan, source: Path, file_name: str, max_mb: int) -> str:
    """The error report (header row + rows with errors + an error column) in the import folder; rows found
    wrong after reading (duplicates, taken page numbers) are read again from the file."""
    by_row: dict[int, list[str]] = {}
    for e in plan.errors:
        by_row.setdefault(e.row, []).append(f"{e.header}：{render(e.message)}")
    name = f"report-{secrets.token_hex(12)}.xlsx"
    path = import_dir() / name
    missing = set(by_row) - set(plan.raw)
    cells = {**plan.raw, **(pick_rows(source, file_name, max_mb, missing) if missing else {})}
    with open(path, "wb") as fh:
        error_report(fh, plan.header_cells,
                     [(r, cells.get(r, []), "；".join(msgs)) for r, msgs in sorted(by_row.items())])
    uow.on_rollback(lambda: path.unlink(missing_ok=True))
    return name


def messages(summary: dict) -> dict:
    """The stored summary with every message rendered in the request's language."""
    def show(msgid, params):
        return render(Message("", msgid, params or {}))
    out = dict(summary)
    out["errors"] = [[row, header, show(m, p)] for row, header, m, p in summary.get("errors", [])]
    out["skipped"] = [[row, name, show(m, p)] for row, name, m, p in summary.get("skipped", [])]
    out["file_error"] = show(*summary["file_error"]) if summary.get("file_error") else None
    return out
