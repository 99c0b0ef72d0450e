"""Background jobs: big exports become jobs with progress and an owner-only download; a failing or killed job
leaves nothing written and shows as failed; a real Huey queue with the in-process consumer runs them."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import delete, func, select

from app.extensions import db
from app.jobs import JobResult, KINDS, enqueue, job_kind, progress as prog
from app.models import AuditLog, Department, Resident
from app.models.jobs import Job

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def small_threshold(app, tmp_path, monkeypatch):
    """Exports above 1 row become jobs; results in a temporary folder."""
    monkeypatch.setitem(app.config, "HUKOU_JOB_THRESHOLD", 1)
    monkeypatch.setitem(app.config, "HUKOU_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setitem(app.config, "HUKOU_INSTANCE_DIR", str(tmp_path))
    return tmp_path


def job_row(app, job_id: int) -> Job:
    """The Job row as stored."""
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def officer_id(app) -> int:
    """The id of t_officer."""
    with app.app_context():
        return app.appbuilder.sm.find_user("t_officer").id


def test_big_export_is_a_job_with_progress_and_owner_download(app, login, world, small_threshold):
    officer = login("t_officer")
    r = officer.get("/export/residents/xlsx")
    assert r.status_code == 302 and "/jobs/" in r.headers["Location"]
    job_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Resident))
    state = officer.get(f"/jobs/{job_id}/status").get_json()
    assert state["status"] == "done" and state["done"] == state["total"] == total and state["percent"] == 100
    assert state["name"].startswith("在册人员名单-") and state["download"] == f"/jobs/{job_id}/download"
    page = officer.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "progress-bar" in page and "hukou_jobs.js" in page and "已完成" in page
    my_jobs = officer.get("/jobs/").get_data(as_text=True)
    assert f"/jobs/{job_id}" in my_jobs and "我的任务" in my_jobs
    from tests.test_i18n_pages import english_words

    assert not english_words(page) and not english_words(my_jobs)
    download = officer.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store, private"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(download.data)).get_sheet_by_index(0).to_python()
    assert len(rows) - 1 == total and all("*" in row[3] for row in rows[1:] if row[3])
    for other in ("t_hr", "t_auditor"):  # not the owner: 404 for the page, the status and the file
        client = login(other)
        assert {client.get(f"/jobs/{job_id}{p}").status_code for p in ("", "/status", "/download")} == {404}
    assert login("t_admin").get(f"/jobs/{job_id}/download").status_code == 200
    with app.app_context():
        audit = db.session.scalars(select(AuditLog).where(AuditLog.action.in_(("export", "download")))
                                   .order_by(AuditLog.id.desc()).limit(3)).all()
    export = next(a for a in audit if a.action == "export")
    assert json.loads(export.detail)["job"] == job_id and json.loads(export.detail)["via"] == "job"
    assert export.username == "t_officer"
    assert {a.username for a in audit if a.action == "download"} == {"t_officer", "t_admin"}


def test_anonymous_gets_no_job(app, client, small_threshold):
    job_id = enqueue_noop(app)
    assert client.get(f"/jobs/{job_id}/status").status_code == 404


@job_kind("test_noop")
def _noop(job, params):
    """A job that does nothing."""
    job.total(0)
    return JobResult(message="ok")


def enqueue_noop(app) -> int:
    """Run the no-op job for t_officer (immediate mode: done on return)."""
    with app.test_request_context("/"):
        return enqueue("test_noop", officer_id(app), {})


SEEN: dict = {}


@job_kind("test_fail")
def _fail_half_way(job, params):
    """Write departments in the job's unit of work, report progress, then fail."""
    for n in range(5):
        job.uow.session.add(Department(code=f"JF{n}", name=f"任务失败{n}"))
    job.uow.session.flush()
    job.total(5)
    job.progress(3)
    from app.db import _immediate

    token = _immediate.set(False)  # a reader, like the progress page (BEGIN, not BEGIN IMMEDIATE)
    try:
        with db.engine.connect() as conn:  # what the progress page can see meanwhile (another connection)
            SEEN["row_total"] = conn.scalar(select(Job.total).where(Job.id == job.job_id))
    finally:
        _immediate.reset(token)
    SEEN["side"] = prog._side_file(job.job_id).exists()
    raise RuntimeError("boom")


def test_failing_job_writes_nothing_and_shows_failed(app, login, small_threshold):
    with app.test_request_context("/"):
        job_id = enqueue("test_fail", officer_id(app), {})
    job = job_row(app, job_id)
    assert job.status == "failed" and job.message == "error" and job.finished_at
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Department).where(Department.code.like("JF%"))) == 0
        sqlite = db.engine.dialect.name == "sqlite"
    # Progress left the write transaction: on SQLite (write lock held) through the side file, else the row.
    assert (SEEN["side"], SEEN["row_total"]) == ((True, None) if sqlite else (False, 5))
    state = login("t_officer").get(f"/jobs/{job_id}/status").get_json()
    assert state["status"] == "failed" and "未写入任何数据" in state["message"]


def test_stale_running_job_is_failed_on_read(app, login, small_threshold):
    with app.app_context():
        old = dt.datetime.utcnow() - dt.timedelta(hours=2)
        job = Job(kind="export", status="running", created_by_id=officer_id(app), started_at=old, heartbeat_at=old,
                  worker="elsewhere:1")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    state = login("t_officer").get(f"/jobs/{job_id}/status").get_json()
    assert state["status"] == "failed" and "无响应" in state["message"]


def test_consumer_start_fails_jobs_of_dead_workers(app, small_threshold):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    with app.app_context():
        rows = [Job(kind="export", status="running", created_by_id=officer_id(app), worker=w,
                    started_at=dt.datetime.utcnow(), heartbeat_at=dt.datetime.utcnow())
                for w in (f"{host}:{gone.pid}", f"{host}:{os.getpid()}", f"other-host:{gone.pid}")]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
        assert prog.fail_orphans(host) == [ids[0]]
    assert [job_row(app, i).status for i in ids] == ["failed", "running", "running"]
    with app.app_context():
        db.session.execute(delete(Job).where(Job.id.in_(ids[1:])))
        db.session.commit()


KILL_SCRIPT = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    from app import create_app
    from app.jobs import enqueue, job_kind
    from app.models import Department

    app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}, "TESTING": True, "HUKOU_QUEUE": "immediate",
                      "HUKOU_INSTANCE_DIR": {tmp!r}, "RATELIMIT_STORAGE_URI": "memory://"}})

    @job_kind("test_killed")
    def slow(job, params):
        for n in range(300):
            job.uow.session.add(Department(code=f"JK{{n}}", name=f"被杀{{n}}"))
        job.uow.session.flush()
        job.total(300)
        open({marker!r}, "w").close()
        time.sleep(60)

    with app.app_context():
        enqueue("test_killed", None, {{}})
""")


def kill_half_way(script: Path, marker: Path, wait: float = 90) -> subprocess.Popen:
    """Run a worker script until it writes `marker` (half-way through its job), then kill -9 it."""
    proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT)
    try:
        deadline = time.monotonic() + wait
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the job never got half-way"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    return proc


def test_killed_worker_leaves_nothing_and_shows_failed(app, tmp_path, small_threshold):
    marker = tmp_path / "half-way"
    script = tmp_path / "killed.py"
    script.write_text(KILL_SCRIPT.format(root=str(ROOT), url=app.config["SQLALCHEMY_DATABASE_URI"],
                                         tmp=str(tmp_path), marker=str(marker)))
    proc = kill_half_way(script, marker)
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.kind == "test_killed").order_by(Job.id.desc())).first()
        assert job.status == "running" and job.worker.endswith(f":{proc.pid}")
        assert prog.fail_orphans(socket.gethostname()) == [job.id]
        assert db.session.scalar(select(func.count()).select_from(Department)
                                 .where(Department.code.like("JK%"))) == 0
    assert job_row(app, job.id).status == "failed"


def test_real_queue_with_in_process_consumer(app, login, world, small_threshold, sqlite_queue):
    """SqliteHuey + the consumer thread of `python run.py`: the export job runs outside the request."""
    officer = login("t_officer")
    r = officer.get("/export/residents/csv")
    job_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert job_row(app, job_id).status == "queued"  # nothing runs it yet
    sqlite_queue()
    deadline = time.monotonic() + 30
    while officer.get(f"/jobs/{job_id}/status").get_json()["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    data = officer.get(f"/jobs/{job_id}/download").data
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig").startswith("姓名,")
    assert "test_noop" in KINDS
