"""Test fixtures: one migrated database per run (SQLite file or a fresh PostgreSQL database), the app,
clients logged in as each role, and a small fixed world of departments, residents and users."""
from __future__ import annotations

import contextlib
import itertools
import os
import re
from pathlib import Path

import pytest

PASSWORD = "Test-pass-2026"
_ips = itertools.count(1)


def make_client(app):
    """A test client with its own REMOTE_ADDR."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = next_ip()
    return c


def next_ip() -> str:
    """A fresh client IP so the per-IP login rate limit never trips unrelated tests."""
    n = next(_ips)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@contextlib.contextmanager
def scratch_database(folder: Path, prefix: str = "hukou_test"):
    """An empty database of this run's kind: a SQLite file in `folder`, or (HUKOU_TEST_DATABASE_URL is
    PostgreSQL) a fresh database next to the configured one, dropped afterwards."""
    base = os.environ.get("HUKOU_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{folder / (prefix + '.db')}"
        return
    from app.extensions import db
    from bench.fill import scratch_postgres

    with scratch_postgres(base, prefix) as url:
        try:
            yield url
        finally:  # the app's connections go before the database is dropped
            with contextlib.suppress(Exception):
                db.session.remove()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The session's test database (see scratch_database)."""
    with scratch_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app on the migrated test database, bootstrapped, with the fixed test world."""
    from app import create_app
    from app.bootstrap import bootstrap
    from app.db import migrate

    migrate(database_url)
    application = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SERVER_NAME": "localhost",
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")), "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": "",  # revoked API tokens in the test database (tests/test_jwt.py covers Redis)
        # Password hashing was 2/3 of the suite's time (scrypt); tests need it correct, not slow.
        "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })
    with application.app_context():
        bootstrap(PASSWORD)
        from tests.world import build_world

        application.config["WORLD"] = build_world(PASSWORD)
    yield application


@pytest.fixture
def world(app):
    """Ids of the fixed test world (departments, residents, users)."""
    return app.config["WORLD"]


@pytest.fixture
def client(app):
    """An anonymous test client with its own IP."""
    return make_client(app)


def csrf_from(html: str) -> str:
    """The CSRF token embedded in a FAB page."""
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert m, "no csrf token on the page"
    return m.group(1)


def web_login(app, username: str, password: str = PASSWORD):
    """A test client logged into the web UI as `username`, with `.csrf` set."""
    c = make_client(app)
    page = c.get("/login/")
    token = csrf_from(page.get_data(as_text=True))
    r = c.post("/login/", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    c.csrf = token
    return c


def web_logout(client):
    """Sign out by POST with the CSRF token of the page (GET /logout/ only asks for confirmation)."""
    token = getattr(client, "csrf", None) or csrf_from(client.get("/logout/").get_data(as_text=True))
    return client.post("/logout/", data={"csrf_token": token})


def api_token(app, username: str, password: str = PASSWORD) -> dict:
    """Authorization headers with a JWT for `username`."""
    c = make_client(app)
    r = c.post("/api/v1/security/login", json={"username": username, "password": password,
                                                "provider": "db"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return {"Authorization": f"Bearer {r.get_json()['access_token']}"}


@pytest.fixture
def login(app):
    """login(role_user) → a logged-in web client."""
    return lambda username, password=PASSWORD: web_login(app, username, password)


@pytest.fixture
def api(app):
    """api(username) → (client, headers) for the REST API."""
    def _api(username, password=PASSWORD):
        return make_client(app), api_token(app, username, password)
    return _api


@pytest.fixture
def sqlite_queue(app, tmp_path, monkeypatch):
    """The app on a real SqliteHuey queue in tmp_path, as `python run.py` runs it: a job waits until the test
    calls the returned start() (the in-process consumer); back to the tests' immediate queue afterwards."""
    from app.jobs import init_app
    from app.jobs.consumer import start_in_process

    monkeypatch.setitem(app.config, "HUKOU_QUEUE", "sqlite")
    monkeypatch.setitem(app.config, "HUKOU_QUEUE_FILE", str(tmp_path / "huey.db"))
    init_app(app)
    consumers = []
    yield lambda: consumers.append(start_in_process(app))
    for consumer in consumers:
        consumer.stop(graceful=True)
    monkeypatch.setitem(app.config, "HUKOU_QUEUE", "")
    init_app(app)
