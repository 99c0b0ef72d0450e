"""Several app processes: two in one process share the login rate limit through Redis; two gunicorn servers and a
queue worker on one PostgreSQL and one Redis share logins, revocations, files, jobs and the daily reminders."""
import contextlib
import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from tests.conftest import PASSWORD

REDIS = os.environ.get("HUKOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    """Whether the Redis of this test run answers."""
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_login_limit_is_shared_between_workers(app):
    from app import create_app

    if not _redis_up():
        if os.environ.get("CI") == "true":  # CI always has Redis: there, a missing Redis is a failure
            pytest.fail(f"Redis is not reachable at {REDIS}")
        pytest.skip(f"no Redis at {REDIS} (set HUKOU_TEST_REDIS_URL)")

    overrides = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                 "RATELIMIT_STORAGE_URI": REDIS, "RATELIMIT_KEY_PREFIX": f"hukou-test-{uuid.uuid4().hex}",
                 "AUTH_RATE_LIMIT": "4 per minute", "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"]}
    workers = [create_app(overrides), create_app(overrides)]
    codes = []
    for n in range(6):  # alternate workers, same client IP, wrong password for a user that does not exist
        c = workers[n % 2].test_client()
        r = c.post("/api/v1/security/login", json={"username": "nobody-here", "password": "x", "provider": "db"},
                   environ_base={"REMOTE_ADDR": "198.51.100.9"})
        codes.append(r.status_code)
    assert codes[:4] == [401, 401, 401, 401]
    assert codes[4:] == [429, 429]  # each worker saw only 2 attempts: the count lives in Redis
    ok = workers[0].test_client().post("/api/v1/security/login", environ_base={"REMOTE_ADDR": "198.51.100.10"},
                                       json={"username": "t_officer", "password": PASSWORD, "provider": "db"})
    assert ok.status_code == 200  # another client is not affected


# --- two app servers (gunicorn) and one queue worker on one PostgreSQL and one Redis (issue 11) -------------


ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%" + b"y" * 3000 + b"\ntrailer<<>>\n%%EOF\n"


def _needs_postgres_and_redis() -> None:
    """Skip (with the reason) unless this run is on PostgreSQL and a Redis answers."""
    if not os.environ.get("HUKOU_TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("several app servers need PostgreSQL (SQLite is one file of one server): run with "
                    "HUKOU_TEST_DATABASE_URL=postgresql+psycopg://…")
    if not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS}")
        pytest.skip(f"no Redis at {REDIS} (set HUKOU_TEST_REDIS_URL)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two gunicorn servers (own instance folders, shared file folders) and `hukou worker` on a fresh
    PostgreSQL database and a private key prefix in Redis: their base URLs a and b, ids, world, prefix."""
    _needs_postgres_and_redis()
    from bench.load import free_port, start_gunicorn, start_worker, stop, tail, wait_ready
    from tests.conftest import scratch_database

    folder = tmp_path_factory.mktemp("cluster")
    shared = folder / "shared"  # what NFS would be: one folder every server mounts
    with scratch_database(folder, "hukou_cluster") as url:
        from app.db import migrate

        migrate(url)  # the servers boot while the world is seeded (the worker's start reads the job table)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HUKOU_", "FLASK_"))}
        prefix = f"hukou-test-{uuid.uuid4().hex}:"
        env.update(DATABASE_URL=url, REDIS_URL=REDIS, HUKOU_REDIS_PREFIX=prefix,
                   HUKOU_SECRET_KEY=uuid.uuid4().hex * 2, HUKOU_LOGIN_RATE_LIMIT="4 per minute",
                   HUKOU_TRUSTED_PROXIES="1", HUKOU_JOB_THRESHOLD="1", PYTHONUNBUFFERED="1",
                   HUKOU_UPLOAD_DIR=str(shared / "uploads"), HUKOU_EXPORT_DIR=str(shared / "exports"),
                   HUKOU_IMPORT_DIR=str(shared / "imports"))
        procs, logs = [], []
        try:
            bases = []
            for name in ("a", "b"):
                log = folder / f"server-{name}.log"
                port = free_port()
                procs.append(start_gunicorn({**env, "HUKOU_INSTANCE_DIR": str(folder / name)}, port, 1, 4, log))
                logs.append(log)
                bases.append(f"http://127.0.0.1:{port}")
            worker_log = folder / "worker.log"
            procs.append(start_worker({**env, "HUKOU_INSTANCE_DIR": str(folder / "w")}, worker_log))
            logs.append(worker_log)
            world, ids = _seed(url, shared)
            for base, proc, log in zip(bases, procs, logs):
                wait_ready(base, proc, log, limit=45)
            yield SimpleNamespace(a=bases[0], b=bases[1], ids=ids, world=world, prefix=prefix, env=env, url=url)
        finally:
            for proc in procs:  # all at once: each may take its graceful seconds
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                stop(proc)
            for log in logs:
                if "Traceback" in log.read_text(errors="replace"):
                    print(f"--- {log}\n{tail(log, 60)}")


def _seed(url: str, shared: Path) -> tuple[dict, dict]:
    """Bootstrap the cluster's (migrated) database, build the test world and one application to upload to."""
    from app import create_app
    from app.bootstrap import bootstrap
    from app.extensions import db
    from app.models import Application, MaterialType
    from tests.world import build_world

    seeder = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "REDIS_URL": "",
                         "RATELIMIT_STORAGE_URI": "memory://", "UPLOAD_FOLDER": str(shared / "uploads"),
                         "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with seeder.app_context():
        bootstrap(PASSWORD)
        world = build_world(PASSWORD)
        row = Application(type="move_in", status="draft", resident_id=world["res_a"],
                          department_id=world["dept_a"], created_by_id=world["users"]["t_officer"])
        db.session.add(row)
        db.session.commit()
        type_id = db.session.scalar(select_id(MaterialType))
        ids = {"application": row.id, "material_type": type_id}
        with contextlib.suppress(ImportError):  # the reminders' crafted rows (app/desk, issue 8)
            from tests.remind_support import build

            build(world, PASSWORD)
        db.session.remove()
        db.engine.dispose()
    return world, ids


def select_id(model):
    """The id of the seeded material type 'id_card'."""
    from sqlalchemy import select

    return select(model.id).where(model.code == "id_card")


def _api_login(base: str, user: str, ip: str, password: str = PASSWORD) -> requests.Response:
    """POST /api/v1/security/login from client address `ip` (the proxy's X-Forwarded-For)."""
    return requests.post(f"{base}/api/v1/security/login", json={"username": user, "password": password,
                                                                 "provider": "db"},
                         headers={"X-Forwarded-For": ip}, timeout=30)


def _bearer(base: str, user: str, ip: str) -> dict:
    """Authorization headers of a fresh API login."""
    r = _api_login(base, user, ip)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}", "X-Forwarded-For": ip}


def _browser(base: str, user: str, ip: str):
    """A requests session logged into the web UI of `base`."""
    from bench.load_work import Http, web_login

    http = Http(base, None, {"X-Forwarded-For": ip})
    assert web_login(http, user, PASSWORD)
    return http


def test_failed_logins_on_one_server_limit_the_other(cluster):
    a, b = cluster.a, cluster.b
    ip = "203.0.113.41"
    codes = [_api_login((a, b)[n % 2], "t_officer", ip, password="wrong-password").status_code for n in range(6)]
    assert codes[:4] == [401] * 4 and codes[4:] == [429, 429], codes
    assert _api_login(b, "t_officer", "203.0.113.42").status_code == 200  # another client is not limited


def test_a_logout_on_one_server_ends_the_session_on_the_other(cluster):
    from bench.load_work import text_of, web_logout

    a, b = cluster.a, cluster.b
    http = _browser(a, "t_hr", "203.0.113.50")
    cookies = http.session.cookies.get_dict()
    assert requests.get(f"{b}/users/userinfo/", cookies=cookies, allow_redirects=False, timeout=30).status_code == 200
    moved = http.base
    http.base = b  # the same browser, now balanced onto server B, logs out there
    home = http.call("", "GET", "/")
    assert web_logout(http, text_of(home)) in (200, 302)
    http.base = moved
    again = requests.get(f"{a}/users/userinfo/", cookies=cookies, allow_redirects=False, timeout=30)
    assert again.status_code == 302 and "/login" in again.headers["Location"]  # the old cookie is dead on A


def test_an_api_logout_on_one_server_revokes_the_token_on_the_other(cluster):
    a, b, world = cluster.a, cluster.b, cluster.world
    headers = _bearer(a, "t_auditor", "203.0.113.60")
    assert requests.get(f"{b}/api/v1/residents/{world['res_a']}", headers=headers, timeout=30).status_code == 200
    assert requests.post(f"{b}/api/v1/security/logout", headers=headers, timeout=30).status_code == 200
    assert requests.get(f"{a}/api/v1/residents/{world['res_a']}", headers=headers, timeout=30).status_code == 401


def test_an_upload_through_one_server_downloads_through_the_other(cluster):
    a, b, ids = cluster.a, cluster.b, cluster.ids
    r = requests.post(f"{a}/api/v1/materials/", headers=_bearer(a, "t_officer", "203.0.113.70"), timeout=30,
                      data={"application_id": str(ids["application"]), "material_type_id": str(ids["material_type"])},
                      files={"file": ("户口簿 首页.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    got = requests.get(f"{b}/api/v1/materials/{r.json()['id']}/file", timeout=30,
                       headers=_bearer(b, "t_officer", "203.0.113.71"))
    assert got.status_code == 200 and hashlib.sha256(got.content).digest() == hashlib.sha256(PDF).digest()


def test_a_job_enqueued_on_one_server_runs_on_the_worker_and_shows_on_both(cluster):
    a, b = cluster.a, cluster.b
    on_a, on_b = _browser(a, "t_officer", "203.0.113.80"), _browser(b, "t_officer", "203.0.113.80")
    started = on_a.call("", "GET", "/export/residents/xlsx")
    assert started.status == 302 and "/jobs/" in started.resp.headers["Location"], started.status
    job_id = int(started.resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    deadline, states = time.monotonic() + 30, {}
    while time.monotonic() < deadline:
        states = {name: http.call("", "GET", f"/jobs/{job_id}/status").resp.json()
                  for name, http in (("a", on_a), ("b", on_b))}
        if all(s["status"] in ("done", "failed") for s in states.values()):
            break
        time.sleep(0.3)
    assert states["a"]["status"] == states["b"]["status"] == "done", states
    assert states["a"]["percent"] == states["b"]["percent"] == 100
    assert states["a"]["done"] == states["b"]["done"] >= 3  # the world's residents
    # run by the worker, not by either web server: its result is in the shared folder for both to send
    file_a = on_a.call("", "GET", f"/jobs/{job_id}/download")
    file_b = on_b.call("", "GET", f"/jobs/{job_id}/download")
    assert file_a.status == file_b.status == 200 and file_a.resp.content == file_b.resp.content
    assert file_a.resp.content[:2] == b"PK"  # an .xlsx


def test_the_worker_reports_for_the_doctor(cluster):
    from huey import RedisHuey

    from app.jobs.heartbeat import last_beat

    beat = last_beat(RedisHuey(cluster.prefix.rstrip(":"), url=REDIS, results=False))
    assert beat and time.time() - beat["at"] < 60, beat


def test_first_logins_of_one_account_at_once_on_both_servers(cluster):
    """Two servers (or two tabs) signing one account in for the first time: its lock-out row is created once,
    nobody gets a 500."""
    from concurrent.futures import ThreadPoolExecutor

    a, b = cluster.a, cluster.b
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda n: _api_login((a, b)[n % 2], "t_finance", f"203.0.113.{90 + n}").status_code,
                              range(8)))
    assert codes == [200] * 8, codes


SCHEDULER = """
import datetime as dt, sys
from app import create_app
from app.desk import schedule
app = create_app()
result = schedule.daily(app, dt.date.fromisoformat(sys.argv[1]))
print("RESULT", "none" if result is None else ("skipped" if result.skipped else f"ran {result.new}"))
"""


def test_two_servers_schedulers_send_a_days_reminders_once(cluster, tmp_path):
    """The daily task of two servers' schedulers (two processes, as two `hukou worker`s or two `run.py`s) for one
    working day: one sends, the other finds the day taken; one record of the day's run."""
    pytest.importorskip("app.desk.schedule")
    from sqlalchemy import create_engine, text

    from app.desk.remind_run import DAILY
    from tests.remind_support import D

    day = (D + dt.timedelta(days=6)).isoformat()  # a Monday of the crafted reminders' world
    env = {**cluster.env, "HUKOU_INSTANCE_DIR": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", SCHEDULER, day], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [proc.communicate(timeout=120)[0] for proc in procs]
    results = sorted(line.split(" ", 1)[1] for out in outs for line in out.splitlines() if line.startswith("RESULT"))
    assert len(results) == 2, outs
    assert results[1] == "skipped" and results[0].startswith("ran ") and int(results[0][4:]) > 0, results
    engine = create_engine(cluster.url)
    try:
        with engine.connect() as conn:
            marks = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = :a AND object_id = :d"),
                                 {"a": DAILY, "d": day}).scalar()
    finally:
        engine.dispose()
    assert marks == 1
