"""Running one job in a worker: claim it, build its actor, run its kind, record the outcome."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from ..db import holds_write_lock
from ..domain.actor import Actor
from ..domain.errors import DomainError
from ..extensions import db
from ..models.jobs import Job
from ..uow import UnitOfWork, unit_of_work
from . import KINDS, JobResult, progress as prog, worker_name

log = logging.getLogger(__name__)
FAILED = "error"  # message code of an unexpected failure (the details are in the worker's log)


@dataclass
class JobContext:
    """What a job kind works with: its id, actor, progress reporter and (write kinds) its unit of work."""

    job_id: int
    actor: Actor
    reporter: prog.Reporter
    uow: UnitOfWork | None = None
    user_id: int | None = None
    extra: dict = field(default_factory=dict)

    def unit(self, write: bool = True):
        """A unit of work of this job's actor (read-only kinds open their own)."""
        return unit_of_work(self.actor, write=write)

    def total(self, total: int) -> None:
        """Announce the number of rows."""
        self.reporter.set_total(total)

    def progress(self, done: int) -> None:
        """Rows done so far (rate-limited)."""
        self.reporter.report(done)


def job_actor(user_id: int | None) -> Actor:
    """actor_of(the job's user) with its current roles, else the named system actor of jobs."""
    from ..security.actor import actor_of, cli_actor

    if user_id is None:
        return cli_actor("系统（后台任务）")
    user = db.session.get(current_user_model(), user_id)
    return actor_of(user, request_id=None) if user is not None else actor_of(None)


def current_user_model():
    """FAB's user model."""
    from flask import current_app

    return current_app.appbuilder.sm.user_model


def _row_writable() -> bool:
    """Whether progress may go to the Job row now (not while this job holds SQLite's write lock)."""
    session = db.session()
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return True
    return not holds_write_lock(session)


def run_job(job_id: int) -> None:
    """Run a queued job to done or failed; the kind's writes commit once or not at all."""
    if not prog.start(job_id, worker_name()):
        return
    job = db.session.get(Job, job_id)
    kind = KINDS.get(job.kind)
    params: dict[str, Any] = json.loads(job.params or "{}")
    ctx = JobContext(job_id, job_actor(job.created_by_id), prog.Reporter(job_id, _row_writable),
                     user_id=job.created_by_id)
    db.session.rollback()  # no read transaction left open before the kind's own units
    try:
        if kind is None:
            raise LookupError(job.kind)
        if kind.write:
            with ctx.unit() as uow:
                ctx.uow = uow
                result = kind.fn(ctx, params)
        else:
            result = kind.fn(ctx, params)
    except DomainError as err:
        from ..i18n import render_error

        db.session.rollback()
        prog.fail(job_id, render_error(err))
        return
    except Exception:  # the job fails visibly; nothing of its unit was committed
        log.exception("job %s (%s) failed", job_id, job.kind)
        db.session.rollback()
        prog.fail(job_id, FAILED)
        return
    result = result or JobResult()
    total = ctx.reporter.total
    done = result.done if result.done is not None else (total or 0)
    prog.finish(job_id, done, total if total is not None else done, result.path, result.name, result.message)
