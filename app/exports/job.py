"""The export job kind: the same query and writer as a direct export, run by a worker with progress."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import current_app

from ..clock import today
from ..domain.errors import N_
from ..jobs import JobResult, job_kind
from .query import count_rows, export_query
from .service import options_for, record_export, write_export
from .specs import SPECS, file_name


def export_dir() -> Path:
    """Where job results are kept (HUKOU_EXPORT_DIR, default instance/exports), created on demand."""
    path = Path(current_app.config.get("HUKOU_EXPORT_DIR")
                or Path(current_app.config["HUKOU_INSTANCE_DIR"]) / "exports")
    path.mkdir(parents=True, exist_ok=True)
    return path


@job_kind("export", write=False, label=N_("Export"))
def run_export(job, params: dict) -> JobResult:
    """Rebuild the list's query from the saved arguments (in a request context of its own), write the file
    with progress, then audit the export; a failed audit removes the file."""
    spec = SPECS[params["kind"]]
    if not job.actor.can("export", spec.resource):  # the permission may have been withdrawn since the request
        raise PermissionError(f"{job.actor.username} may not export {spec.resource}")
    fmt = params.get("format", "xlsx")
    args = [(k, v) for k, values in params.get("args", {}).items() for v in values]
    opts = options_for(job.actor, bool(params.get("unmask")))
    path = export_dir() / f"{job.job_id}-{uuid.uuid4().hex}.{fmt}"
    with current_app.test_request_context("/", query_string=args):
        with job.unit(write=False):  # a read snapshot; on SQLite it takes no write lock, progress can commit
            query = export_query(spec, job.actor)
            job.total(count_rows(query))
            try:
                with open(path, "wb") as fp:
                    rows = write_export(spec, query, opts, fmt, fp, job.progress)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
    with job.unit() as uow:
        uow.on_rollback(lambda: path.unlink(missing_ok=True))
        record_export(uow, spec, rows, opts, fmt, params.get("args", {}), "job", job.job_id)
    return JobResult(path=os.fspath(path), name=file_name(spec, fmt, today()), done=rows)
