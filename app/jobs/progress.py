"""A job's state on its Job row, written in short transactions on their own connection.

Progress is not business data: the job's main transaction stays all-or-nothing while the page polls these
commits. One exception: on SQLite a job whose unit of work holds the write lock (an import) cannot commit
anywhere in the database, so its progress goes to a small side file (`<instance>/jobs/<id>.json`) that the
JSON endpoint reads too.

Stale jobs (decided here): a 'running' job is marked failed when
- a consumer starts on the same host and the job's worker process (host:pid) no longer exists, or
- it is read (job page, JSON endpoint, my jobs) and gave no sign of life (heartbeat, progress) for
  HUKOU_JOB_STALE_MINUTES (default 10) minutes; a running job beats at least every few seconds.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import OperationalError

from ..clock import utcnow
from ..extensions import db
from ..models.jobs import Job

BEAT_SECONDS = 2.0


def _side_file(job_id: int) -> Path:
    """The side file of a job's progress (SQLite jobs holding the write lock)."""
    return Path(current_app.config["HUKOU_INSTANCE_DIR"]) / "jobs" / f"{job_id}.json"


def _write(job_id: int, *where, **values) -> None:
    """One short committed UPDATE of the Job row on a connection of its own."""
    with db.engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id, *where).values(**values))


def create(kind: str, user_id: int | None, params: str) -> int:
    """Insert a queued Job row and commit it; returns its id."""
    with db.engine.begin() as conn:
        return conn.execute(insert(Job).values(kind=kind, status="queued", created_by_id=user_id, params=params,
                                               created_at=utcnow(), done=0).returning(Job.id)).scalar_one()


def start(job_id: int, worker: str) -> bool:
    """queued → running (False if another worker took it or it is no longer queued)."""
    now = utcnow()
    with db.engine.begin() as conn:
        taken = conn.execute(update(Job).where(Job.id == job_id, Job.status == "queued").values(
            status="running", started_at=now, heartbeat_at=now, worker=worker)).rowcount
    return taken == 1


def finish(job_id: int, done: int, total: int | None, path: str | None, name: str | None,
           message: str | None) -> None:
    """running → done, with the result file and the final count."""
    _write(job_id, status="done", done=done, total=total, finished_at=utcnow(), heartbeat_at=utcnow(), result_path=path,
           result_name=name, message=message)
    _side_file(job_id).unlink(missing_ok=True)


def fail(job_id: int, message: str, only_running: bool = False) -> None:
    """→ failed with a message for the user (only_running: unless it finished meanwhile)."""
    where = (Job.status == "running",) if only_running else ()
    _write(job_id, *where, status="failed", finished_at=utcnow(), message=message[:2000])
    _side_file(job_id).unlink(missing_ok=True)


class Reporter:
    """Rate-limited progress of one job: to the Job row, or to the side file while the row cannot be written."""

    def __init__(self, job_id: int, row_writable) -> None:
        self.job_id, self.row_writable = job_id, row_writable
        self.total: int | None = None
        self._last = 0.0
        self._busy = False

    def set_total(self, total: int) -> None:
        """Announce how many rows the job will process."""
        self.total = total
        self.report(0, force=True)

    def report(self, done: int, force: bool = False) -> None:
        """Rows done so far (written at most every BEAT_SECONDS unless forced)."""
        now = time.monotonic()
        if not force and now - self._last < BEAT_SECONDS:
            return
        self._last = now
        if not self._busy and self.row_writable():
            try:
                _write(self.job_id, done=done, total=self.total, heartbeat_at=utcnow())
                return
            except OperationalError:  # busy (another job holds SQLite's lock): the side file from now on
                self._busy = True
        path = _side_file(self.job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"done": done, "total": self.total, "at": utcnow().isoformat()}))
        os.replace(tmp, path)


def side_progress(job: Job) -> dict | None:
    """The side file's progress of a running job, if any."""
    try:
        data = json.loads(_side_file(job.id).read_text())
        data["at"] = dt.datetime.fromisoformat(data["at"])
        return data
    except (OSError, ValueError, KeyError):
        return None


def last_sign(job: Job) -> dt.datetime | None:
    """When the job last showed it was alive."""
    side = side_progress(job)
    stamps = [s for s in (job.heartbeat_at, job.started_at, side and side["at"]) if s]
    return max(stamps) if stamps else None


def fail_if_stale(job: Job) -> bool:
    """Mark a running job without a sign of life for HUKOU_JOB_STALE_MINUTES as failed; True if it was."""
    minutes = int(current_app.config.get("HUKOU_JOB_STALE_MINUTES", 10))
    seen = last_sign(job)
    if job.status != "running" or (seen and utcnow() - seen < dt.timedelta(minutes=minutes)):
        return False
    fail(job.id, "stale", only_running=True)
    return True


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphans(host: str) -> list[int]:
    """At consumer start: running jobs of this host whose worker process is gone become failed."""
    failed = []
    rows = db.session.execute(select(Job.id, Job.worker).where(Job.status == "running")).all()
    db.session.rollback()
    for job_id, worker in rows:
        name, _, pid = (worker or "").rpartition(":")
        if name == host and pid.isdigit() and not _pid_alive(int(pid)):
            fail(job_id, "worker_gone", only_running=True)
            failed.append(job_id)
    return failed
