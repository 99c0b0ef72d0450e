"""Uploaded files of imports that were never confirmed are deleted after HUKOU_IMPORT_KEEP_HOURS. A confirmed
import keeps its file: the trail's creation entries point at the batch and its Excel rows, and the batch's
sha256 proves the file is the one imported."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select

from ..models import ImportBatch
from ..uow import UnitOfWork

UNCONFIRMED = ("checking", "dry_run", "rejected")  # "checking": its check job failed or is lost


def files_of(batch: ImportBatch) -> list[str]:
    """The stored upload and the error report of a batch (names inside the import folder)."""
    stored = json.loads(batch.summary or "{}").get("stored")
    return [name for name in (stored, batch.report_path) if name]


def sweep(uow: UnitOfWork, folder: Path, now: dt.datetime, keep_hours: int) -> int:
    """Mark unconfirmed batches older than keep_hours as expired and delete their files once that commits;
    returns how many batches expired."""
    cutoff = now - dt.timedelta(hours=keep_hours)
    stale = uow.session.scalars(select(ImportBatch).where(ImportBatch.status.in_(UNCONFIRMED),
                                                          ImportBatch.created_at < cutoff)
                                .with_for_update(skip_locked=True)).all()
    doomed = [folder / name for batch in stale for name in files_of(batch)]
    for batch in stale:
        batch.status = "expired"
        uow.record("import_expire", object_type="ImportBatch", object_id=batch.id,
                   detail={"name": batch.file_name, "before": cutoff.isoformat(timespec="minutes")})
    if doomed:
        uow.after_commit(lambda: [path.unlink(missing_ok=True) for path in doomed])
    return len(stale)
