"""The background job kind "import": a confirmed import above HUKOU_JOB_THRESHOLD rows runs in a worker,
inside the job's one unit of work (a killed worker leaves nothing written; the batch stays a dry run)."""
from __future__ import annotations

from ..jobs import JobResult, job_kind


@job_kind("import", write=True)
def run(job, params: dict) -> JobResult:
    """Commit the confirmed batch's stored file with the job's actor, reporting rows done."""
    from .service import run_import

    job.total(int(params.get("rows") or 0))
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        job.progress(done[0])

    outcome = run_import(job.actor, params["kind"], params["stored"], params["file_name"], dry_run=False,
                         batch_id=params["batch_id"], progress=progress)
    return JobResult(message=f"#{outcome.batch_id}", done=done[0])
