"""`hukou doctor` (issue 11): exit 0 on a correct deployment, exit 1 naming each fault on a broken one."""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import time
import uuid
from pathlib import Path

import pytest

from app.doctor import checks, shared
from app.jobs.heartbeat import beat

GOOD_KEY = secrets.token_hex(32)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """A correctly configured instance of this run's database kind: migrated, bootstrapped, a fresh backup row,
    a queue in its own huey.db, folders of its own, behind a TLS proxy."""
    from app import create_app
    from app.backup.common import audit_event
    from app.bootstrap import bootstrap
    from app.db import migrate
    from tests.conftest import PASSWORD, scratch_database

    folder = tmp_path_factory.mktemp("doctor")
    with scratch_database(folder, "hukou_doctor") as url:
        migrate(url)
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": GOOD_KEY, "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://", "HUKOU_INSTANCE_DIR": str(folder / "instance"),
            "UPLOAD_FOLDER": str(folder / "uploads"), "HUKOU_EXPORT_DIR": str(folder / "exports"),
            "HUKOU_IMPORT_DIR": str(folder / "imports"), "HUKOU_QUEUE": "sqlite",
            "HUKOU_QUEUE_FILE": str(folder / "huey.db"), "HUKOU_TRUSTED_PROXIES": 1,
            "SESSION_COOKIE_SECURE": True, "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        })
        with app.app_context():
            bootstrap(PASSWORD)
            audit_event("backup", "系统（备份）", detail={"folder": "test"})
        yield app
        with app.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def doctor(deployment, monkeypatch):
    """doctor(**config) → (exit code, output) with a live worker and the calendar years that exist."""
    monkeypatch.setattr(checks, "years_to_require", lambda _today: ([2025, 2026], []))
    with deployment.app_context():
        from app.jobs import huey_of

        beat(huey_of(deployment), "testhost:1")

    def _run(**config):
        for key, value in config.items():
            monkeypatch.setitem(deployment.config, key, value)
        result = deployment.test_cli_runner().invoke(args=["hukou", "doctor"])
        return result.exit_code, result.output
    return _run


def _errors(output: str) -> list[str]:
    """The error lines of the doctor's output."""
    return [line for line in output.splitlines() if line.startswith("[错误]")]


def test_a_correct_deployment_passes(doctor):
    code, out = doctor()
    assert code == 0, out
    assert _errors(out) == [], out
    for name in ("密钥", "数据库", "时区", "共享目录", "后台任务进程", "节假日日历", "备份"):
        assert f"[通过] {name}：" in out, (name, out)
    assert "0 个错误" in out


def _key_in_git() -> str:
    """40 characters of a tracked file (as if someone committed the key)."""
    return Path(__file__).resolve().parent.parent.joinpath("config.py").read_text().splitlines()[0][3:43]


FAULTS = {
    "default secret key": ({"SECRET_KEY": "change-me"}, "密钥", "默认值"),
    "short secret key": ({"SECRET_KEY": "abc123"}, "密钥", "短于 32"),
    "secret key in git": ({"SECRET_KEY": _key_in_git()}, "密钥", "git"),
    "cookies over http behind tls": ({"SESSION_COOKIE_SECURE": False}, "Cookie 与 HTTPS", "HUKOU_SECURE_COOKIES=1"),
    "unreachable redis": ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "Redis（共享状态）", "无法连接"),
    "unwritable upload folder": ({"UPLOAD_FOLDER": "/proc/hukou-uploads"}, "共享目录", "UPLOAD_FOLDER"),
    "unwritable export folder": ({"HUKOU_EXPORT_DIR": "/proc/hukou-exports"}, "共享目录", "HUKOU_EXPORT_DIR"),
    "wrong time zone": ({"BABEL_DEFAULT_TIMEZONE": "Europe/Berlin"}, "时区", "Europe/Berlin"),
    "unknown time zone": ({"BABEL_DEFAULT_TIMEZONE": "Mars/Olympus"}, "时区", "Mars/Olympus"),
    "no recent backup": ({"HUKOU_BACKUP_MAX_AGE_HOURS": 0}, "备份", "小时前"),
}


@pytest.mark.parametrize("config, check, words", FAULTS.values(), ids=FAULTS.keys())
def test_each_fault_is_named(doctor, config, check, words):
    code, out = doctor(**config)
    assert code == 1, out
    errors = _errors(out)
    assert len(errors) == 1, out  # only the broken thing is reported
    fix = out.split(errors[0], 1)[1].splitlines()[1]
    assert errors[0].startswith(f"[错误] {check}：") and words in errors[0] + fix, out
    assert fix.startswith("    处理办法："), out  # with what to do


def test_debug_mode(doctor, deployment, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")  # how debug mode gets switched on under `flask`
    try:
        code, out = doctor()
    finally:
        deployment.debug = False
    assert code == 1 and len(_errors(out)) == 1 and "调试模式" in _errors(out)[0], out


def test_no_worker_heartbeat(doctor, deployment):
    with deployment.app_context():
        from app.jobs import huey_of

        beat(huey_of(deployment), "deadhost:7", now=time.time() - 600)
    code, out = doctor()
    assert code == 1 and _errors(out) == [e for e in _errors(out) if "后台任务进程" in e] != [], out
    assert "deadhost:7" in out and "systemctl enable --now hukou-worker" in out


def test_calendar_missing_the_coming_year(doctor, monkeypatch):
    monkeypatch.setattr(checks, "years_to_require", lambda _today: ([2026, 2099], []))
    code, out = doctor()
    assert code == 1, out
    assert _errors(out) and all("节假日日历" in e and "2099" in e for e in _errors(out)), out


def test_unmigrated_database(tmp_path):
    from app import create_app

    empty = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}", "TESTING": True,
                        "SECRET_KEY": GOOD_KEY, "REDIS_URL": "", "RATELIMIT_STORAGE_URI": "memory://",
                        "HUKOU_INSTANCE_DIR": str(tmp_path), "UPLOAD_FOLDER": str(tmp_path / "up")})
    out = empty.test_cli_runner().invoke(args=["hukou", "doctor"])
    assert out.exit_code == 1
    db_line = next(line for line in out.output.splitlines() if line.startswith("[错误] 数据库："))
    assert "（空库）" in db_line and "hukou init" in out.output


def test_a_folder_another_server_cannot_see(doctor, deployment, monkeypatch):
    """With Redis: the marker another host announced must be in this server's copy of the folder."""
    import redis

    url = os.environ.get("HUKOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    prefix = f"hukou-test-{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(url)
    client.set(f"{prefix}doctor:UPLOAD_FOLDER", json.dumps({"host": "other-server", "token": "t" * 32}), ex=60)
    try:
        code, out = doctor(REDIS_URL=url, HUKOU_REDIS_PREFIX=prefix)
        assert code == 1 and any("UPLOAD_FOLDER" in e and "other-server" in e for e in _errors(out)), out
        # this server announced its own marker: the other server will find it in a really shared folder
        mine = json.loads(client.get(f"{prefix}doctor:UPLOAD_FOLDER"))
        marker = Path(deployment.config["UPLOAD_FOLDER"]) / shared.MARKERS / mine["host"]
        assert mine["token"] in marker.read_text()
        code, out = doctor(REDIS_URL=url, HUKOU_REDIS_PREFIX=prefix)  # now "the other" is this host itself
        assert not any("UPLOAD_FOLDER" in e for e in _errors(out)), out
    finally:
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)


@pytest.mark.parametrize("today, must, should", [
    (dt.date(2026, 6, 1), [2026], []), (dt.date(2026, 11, 5), [2026], [2027]), (dt.date(2026, 12, 1), [2026, 2027], []),
    (dt.date(2027, 1, 1), [2027], []),
])
def test_years_the_calendar_needs(today, must, should):
    assert checks.years_to_require(today) == (must, should)


@pytest.mark.parametrize("zone, problem", [("Asia/Shanghai", None), ("Asia/Chongqing", None), ("PRC", None),
                                           ("UTC", "offset"), ("America/New_York", "offset"), ("No/Where", "unknown")])
def test_office_zone(zone, problem):
    assert checks.office_zone_problem(zone, dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)) == problem


NOW = dt.datetime(2026, 12, 1, 12, 0)


@pytest.mark.parametrize("last, max_hours, expected", [
    (None, 26, float("inf")), (NOW - dt.timedelta(hours=25), 26, None), (NOW - dt.timedelta(hours=30), 26, 30.0),
    (NOW, 0, None),
])
def test_backup_age(last, max_hours, expected):
    assert checks.backup_problem(last, NOW, max_hours) == expected


def test_writable_reports_the_error(tmp_path):
    assert shared.writable(tmp_path / "new") is None and (tmp_path / "new").is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert shared.writable(blocker / "sub") is not None


@pytest.mark.parametrize("password, said", [("Another-pass-2026", True), ("", False)])
def test_init_says_when_the_admin_password_is_ignored(deployment, monkeypatch, password, said):
    """Users exist (as after `demo`): a HUKOU_ADMIN_PASSWORD set now changes nothing, and the start says so."""
    from werkzeug.security import check_password_hash

    monkeypatch.setenv("HUKOU_ADMIN_PASSWORD", password)
    result = deployment.test_cli_runner().invoke(args=["hukou", "init"])
    assert result.exit_code == 0, result.output
    assert ("HUKOU_ADMIN_PASSWORD 已忽略" in result.output) is said, result.output
    with deployment.app_context():
        from app.extensions import db

        admin = deployment.appbuilder.sm.find_user(username="admin")
        assert not check_password_hash(admin.password, "Another-pass-2026")
        db.session.remove()
