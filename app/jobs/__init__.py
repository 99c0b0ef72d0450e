"""Background jobs on Huey: a Job row per job, progress in short separate commits, the work in one unit of work.

    @job_kind("export", write=False)          # register a kind (the imports register theirs the same way)
    def run(job: JobContext, params) -> JobResult | None: ...
    job_id = enqueue("export", user.id, {...}) # Job row committed, then the task queued

Storage (setting HUKOU_QUEUE): `sqlite` (SqliteHuey in instance/huey.db, the default), `redis` (RedisHuey on
REDIS_URL, the default when REDIS_URL is set), `immediate` (runs at enqueue, in memory: the tests' default).
`python run.py` starts an in-process consumer; production runs `flask --app run hukou worker`.

A job's kind function runs with the job's actor (actor_of(its user), else a named system actor). Kinds with
write=True run inside one unit_of_work (all rows or none; a killed process leaves nothing); write=False kinds
(exports) open their own units: they only read, then write their audit row.
"""
from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app

from . import progress as prog

log = logging.getLogger(__name__)
KINDS: dict[str, "JobKind"] = {}
EXTENSION = "hukou_huey"
TASK_NAME = "hukou.run_job"


@dataclass(frozen=True)
class JobKind:
    """A registered kind: its function and whether it runs inside one write unit of work."""

    name: str
    fn: Callable
    write: bool = True
    label: str = ""  # msgid of the kind's name on the jobs pages (N_("Export"))


@dataclass
class JobResult:
    """What a finished job leaves: a file to download (path under instance/exports, name to show), a message."""

    path: str | None = None
    name: str | None = None
    message: str | None = None
    done: int | None = None  # rows processed (default: the announced total)


def job_kind(name: str, write: bool = True, label: str = ""):
    """Register `fn(job: JobContext, params: dict) -> JobResult | None` as the job kind `name`."""
    def _register(fn: Callable) -> Callable:
        KINDS[name] = JobKind(name, fn, write, label)
        return fn
    return _register


def worker_name() -> str:
    """host:pid of this process (who runs a job, to tell a dead worker's jobs)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def queue_mode(app: Flask) -> str:
    """sqlite | redis | immediate: HUKOU_QUEUE, else redis with REDIS_URL, immediate under tests, else sqlite."""
    mode = app.config.get("HUKOU_QUEUE") or ""
    if not mode:
        mode = "immediate" if app.testing else ("redis" if app.config.get("REDIS_URL") else "sqlite")
    if mode not in ("sqlite", "redis", "immediate"):
        raise ValueError(f"HUKOU_QUEUE must be sqlite, redis or immediate, not {mode!r}")
    return mode


def make_huey(app: Flask):
    """The Huey instance for the app's settings, with the one task that runs any job."""
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    mode = queue_mode(app)
    if mode == "immediate":
        huey = MemoryHuey("hukou", immediate=True, results=False)
    elif mode == "redis":
        # The prefix keeps two instances (or a test run) sharing one Redis out of each other's queue.
        name = app.config.get("HUKOU_REDIS_PREFIX", "hukou:").rstrip(":") or "hukou"
        huey = RedisHuey(name, url=app.config["REDIS_URL"], results=False)
    else:
        path = app.config.get("HUKOU_QUEUE_FILE") or os.path.join(app.config["HUKOU_INSTANCE_DIR"], "huey.db")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        huey = SqliteHuey("hukou", filename=path, results=False)
    return huey


def init_app(app: Flask, setup: Callable[[Flask, object], None] | None = None) -> None:
    """Create the app's queue; `setup(app, huey)` (given once, kept for a later re-init) registers what runs on
    it: the kinds' modules and the periodic tasks, which the queue itself does not import."""
    app.config.setdefault("HUKOU_INSTANCE_DIR", os.path.join(app.root_path, os.pardir, "instance"))
    huey = app.extensions[EXTENSION] = make_huey(app)

    def run(job_id: int) -> None:
        """The Huey task: run the job in a fresh app context of this app (its own session)."""
        with app.app_context():
            from .runner import run_job

            run_job(job_id)

    app.extensions[EXTENSION + "_task"] = huey.task(name=TASK_NAME)(run)
    setup = app.extensions.setdefault(EXTENSION + "_setup", setup)
    if setup is not None:
        setup(app, huey)


def huey_of(app: Flask | None = None):
    """The app's Huey instance."""
    return (app or current_app).extensions[EXTENSION]


def enqueue(kind: str, actor_user_id: int | None, params: dict) -> int:
    """Create the Job row (committed on its own connection, so a worker sees it), queue the task, return the id."""
    if kind not in KINDS:
        raise KeyError(kind)
    job_id = prog.create(kind, actor_user_id, json.dumps(params, ensure_ascii=False, default=str))
    current_app.extensions[EXTENSION + "_task"](job_id)  # immediate mode: runs now
    return job_id
