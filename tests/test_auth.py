"""Login, logout, server-side sessions, lockout, rate limits and their audit trail (web and API)."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditLog, LoginLock
from app.models.base import utcnow
from tests.conftest import PASSWORD, csrf_from, make_client, web_login, web_logout

API_LOGIN = "/api/v1/security/login"


def make_user(app, role: str = "Employee") -> tuple[str, int]:
    """A fresh user of a role (so lockout tests never lock the shared world users)."""
    name = f"t_auth_{uuid.uuid4().hex[:8]}"
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(name, "t", "auth", f"{name}@example.test", sm.find_role(role), password=PASSWORD)
        return name, user.id


def web_try(client, username: str, password: str) -> bool:
    """One web login attempt; True when it signed in (FAB redirects to /login/ on failure)."""
    token = csrf_from(client.get("/login/").get_data(as_text=True))
    r = client.post("/login/", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 302
    return "/login" not in r.headers["Location"]


def api_try(client, username: str, password: str) -> int:
    """One API login attempt; the status code."""
    return client.post(API_LOGIN, json={"username": username, "password": password, "provider": "db"}).status_code


def audit_actions(app, username: str) -> list[tuple[str, str | None]]:
    """(action, detail) of a user's audit rows, oldest first."""
    with app.app_context():
        rows = db.session.execute(select(AuditLog.action, AuditLog.detail).where(AuditLog.username == username)
                                  .order_by(AuditLog.id)).all()
    return [(a, d) for a, d in rows]


def expire_lock(app, user_id: int) -> None:
    """Move the lock's end into the past, as if the lockout period had passed."""
    with app.app_context():
        db.session.execute(update(LoginLock).where(LoginLock.user_id == user_id)
                           .values(locked_until=utcnow() - dt.timedelta(minutes=1)))
        db.session.commit()


# ---- audit of login / failed login / logout ----

def test_login_failed_login_and_logout_are_audited(app):
    name, _ = make_user(app)
    c = make_client(app)
    assert not web_try(c, name, "wrong-password")
    assert web_try(c, name, PASSWORD)
    web_logout(c)
    actions = [a for a, _ in audit_actions(app, name)]
    assert actions == ["login_failed", "login", "logout"]


def test_unknown_user_failed_login_is_audited(app):
    name = f"nobody_{uuid.uuid4().hex[:6]}"
    assert api_try(make_client(app), name, "x") == 401
    assert [a for a, _ in audit_actions(app, name)] == ["login_failed"]


def test_api_login_is_audited(app):
    name, _ = make_user(app)
    assert api_try(make_client(app), name, PASSWORD) == 200
    assert [a for a, _ in audit_actions(app, name)] == ["login"]


# ---- logout kills a copied cookie ----

def test_copied_cookie_is_dead_after_logout(app):
    name, _ = make_user(app)
    c = web_login(app, name)
    cookie = c.get_cookie("session").value
    thief = make_client(app)
    thief.set_cookie("session", cookie)
    assert thief.get("/residentview/list/").status_code == 200  # the copy works while the session lives
    web_logout(c)
    r = thief.get("/residentview/list/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert thief.get("/api/v1/residents/").status_code == 401


def test_logout_of_one_browser_keeps_the_other(app):
    name, _ = make_user(app)
    first, second = web_login(app, name), web_login(app, name)
    web_logout(first)
    assert second.get("/residentview/list/").status_code == 200


def test_session_cookie_alone_does_not_open_the_api(app):
    name, _ = make_user(app)
    assert web_login(app, name).get("/api/v1/residents/").status_code == 401


# ---- rate limits (one IP) ----

def _limit(app) -> int:
    """The N of AUTH_RATE_LIMIT 'N per minute'."""
    return int(app.config["AUTH_RATE_LIMIT"].split()[0])


def test_api_login_rate_limit(app):
    c = make_client(app)
    name = f"nobody_{uuid.uuid4().hex[:6]}"
    codes = [api_try(c, name, "x") for _ in range(_limit(app))]
    assert set(codes) == {401}
    r = c.post(API_LOGIN, json={"username": name, "password": "x", "provider": "db"})
    assert r.status_code == 429
    assert r.get_json()["message"] == "尝试次数过多，请稍后再试"
    assert api_try(make_client(app), name, "x") == 401  # another IP is not limited


def test_web_login_rate_limit(app):
    c = make_client(app)
    token = csrf_from(c.get("/login/").get_data(as_text=True))
    data = {"username": "nobody", "password": "x", "csrf_token": token}
    codes = [c.post("/login/", data=data).status_code for _ in range(_limit(app) + 1)]
    assert codes[:-1] == [302] * _limit(app) and codes[-1] == 429


# ---- lockout ----

def test_lockout_after_n_failures_web_and_api(app):
    name, uid = make_user(app)
    c = make_client(app)
    n = app.config["HUKOU_LOCKOUT_FAILURES"]
    assert n == 5
    for _ in range(n):
        assert not web_try(c, name, "wrong-password")
    assert not web_try(c, name, PASSWORD)
    assert api_try(make_client(app), name, PASSWORD) == 401
    details = [d or "" for a, d in audit_actions(app, name) if a == "login_failed"]
    assert "now_locked" in details[n - 1] and all("locked" in d for d in details[n:])
    expire_lock(app, uid)
    assert web_try(make_client(app), name, PASSWORD)
    assert api_try(make_client(app), name, PASSWORD) == 200


def test_api_failures_lock_the_web_login(app):
    name, uid = make_user(app)
    c = make_client(app)
    for _ in range(app.config["HUKOU_LOCKOUT_FAILURES"]):
        assert api_try(c, name, "wrong-password") == 401
    assert api_try(c, name, PASSWORD) == 401
    assert not web_try(make_client(app), name, PASSWORD)
    expire_lock(app, uid)
    assert api_try(c, name, PASSWORD) == 200


def test_lockout_follows_the_email_login(app):
    name, _ = make_user(app)
    email = f"{name}@example.test"
    c = make_client(app)
    for _ in range(app.config["HUKOU_LOCKOUT_FAILURES"]):
        assert not web_try(c, email, "wrong-password")
    assert not web_try(c, email, PASSWORD)
    assert not web_try(make_client(app), name, PASSWORD)


def test_success_resets_the_failure_count(app):
    name, _ = make_user(app)
    c = make_client(app)
    n = app.config["HUKOU_LOCKOUT_FAILURES"]
    for _ in range(n - 1):
        assert not web_try(c, name, "wrong-password")
    assert web_try(make_client(app), name, PASSWORD)
    for _ in range(n - 1):
        assert not web_try(c, name, "wrong-password")
    assert web_try(make_client(app), name, PASSWORD)


@pytest.mark.parametrize("path", ["/residentview/list/", "/residentview/show/1", "/residentview/add"])
def test_anonymous_is_sent_to_login(client, path):
    r = client.get(path)
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_limiter_storage_comes_from_config(app):
    """RATELIMIT_STORAGE_URI (REDIS_URL in production) reaches FAB's Limiter; tests use memory:// per app."""
    from app import create_app

    assert type(app.appbuilder.sm.limiter.storage).__name__ == "MemoryStorage"
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6399/0"})  # never connected here
    assert type(other.appbuilder.sm.limiter.storage).__name__ == "RedisStorage"


def test_password_change_ends_other_sessions(app, login):
    """Changing one's password keeps this browser signed in and signs out every other copy of the account."""
    import uuid

    sm = app.appbuilder.sm
    name = f"pw_{uuid.uuid4().hex[:6]}"
    with app.app_context():
        sm.add_user(name, "改密", "测试", f"{name}@example.test", sm.find_role("Leader"), password=PASSWORD)
    here, elsewhere = login(name), login(name)
    assert elsewhere.get("/residentview/list/").status_code == 200
    r = here.post("/resetmypassword/form", data={"old_password": PASSWORD, "password": "New-pass-2026!",
                                                  "conf_password": "New-pass-2026!", "csrf_token": here.csrf})
    assert r.status_code == 302
    assert here.get("/residentview/list/").status_code == 200
    gone = elsewhere.get("/residentview/list/")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
