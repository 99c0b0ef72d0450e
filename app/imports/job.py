"""The background job kinds of imports, for files above HUKOU_JOB_THRESHOLD rows: "import_check" dry-runs an
uploaded file (the batch goes from 「检查中」 to its preview) and "import" commits a confirmed one, each inside the
job's one unit of work (a killed worker leaves nothing written; the batch stays as it was)."""
from __future__ import annotations

from ..domain.errors import N_
from ..jobs import JobResult, job_kind


class Progress:
    """run_import's progress callback (rows just done) as the job's running total."""

    def __init__(self, job) -> None:
        self.job, self.done = job, 0

    def __call__(self, n: int) -> None:
        """Add n rows and report the total."""
        self.done += n
        self.job.progress(self.done)


@job_kind("import", write=True)
def run(job, params: dict) -> JobResult:
    """Commit the confirmed batch's stored file with the job's actor, reporting rows done."""
    from .service import run_import

    job.total(int(params.get("rows") or 0))
    progress = Progress(job)
    outcome = run_import(job.actor, params["kind"], params["stored"], params["file_name"], dry_run=False,
                         batch_id=params["batch_id"], progress=progress)
    return JobResult(message=f"#{outcome.batch_id}", done=progress.done)


@job_kind("import_check", write=True, label=N_("Import check"))
def check(job, params: dict) -> JobResult:
    """Dry-run the uploaded file of a 「检查中」 batch with the job's actor; the batch then shows its preview."""
    from .service import estimated_rows, run_import

    job.total(estimated_rows(params["stored"]))
    outcome = run_import(job.actor, params["kind"], params["stored"], params["file_name"], dry_run=True,
                         batch_id=params["batch_id"], progress=Progress(job))
    return JobResult(message=f"#{outcome.batch_id}", done=outcome.plan.rows_total)
