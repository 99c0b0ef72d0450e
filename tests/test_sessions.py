"""Server-side browser sessions (idle timeout, absolute lifetime, cheap "last seen"), logout by POST that always
revokes, one login rate limit for web and API, lockout timing, and the small login findings (audit of odd
user names, `next`, approver names on department pages)."""
from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, delete, insert, select, update

from app.extensions import db
from app.models import AuditLog, LoginLock, LoginSession, UserDepartment
from app.models.base import utcnow
from app.security import hooks
from app.security.views import safe_next
from tests.conftest import PASSWORD, csrf_from, make_client, web_login, web_logout

API_LOGIN = "/api/v1/security/login"
PAGE = "/residentview/list/"


def make_user(app, role: str = "Employee") -> tuple[str, int]:
    """A fresh user (timeouts, lockouts and revocations never touch the shared world users)."""
    name = f"t_sess_{uuid.uuid4().hex[:8]}"
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(name, "t", "sess", f"{name}@example.test", sm.find_role(role), password=PASSWORD)
        return name, user.id


def token_of(client) -> str:
    """The server-side session token held in a test client's cookie."""
    with client.session_transaction() as sess:
        return sess[hooks.SESSION_KEY]


def session_row(app, client) -> LoginSession:
    """The login_session row of a client's cookie (detached copy)."""
    with app.app_context():
        row = db.session.get(LoginSession, hooks._hash(token_of(client)))
        db.session.expunge(row)
        return row


def set_row(app, client, **values) -> None:
    """Change a client's session row (as if time had passed)."""
    with app.app_context():
        db.session.execute(update(LoginSession).where(LoginSession.token_hash == hooks._hash(token_of(client)))
                           .values(**values))
        db.session.commit()


def signed_out(response) -> bool:
    """The answer of a page request from a browser that is no longer signed in."""
    return response.status_code == 302 and "/login" in response.headers["Location"]


# ---- idle timeout and absolute lifetime ----

def test_session_from_2020_no_longer_logs_in(app):
    name, _ = make_user(app)
    c = web_login(app, name)
    assert c.get(PAGE).status_code == 200
    token = token_of(c)
    set_row(app, c, created_at=dt.datetime(2020, 1, 1, 8, 0), last_seen_at=utcnow())  # active, but from 2020
    assert signed_out(c.get(PAGE))
    with app.app_context():  # and the row itself is revoked
        assert db.session.get(LoginSession, hooks._hash(token)).revoked_at is not None


def test_absolute_lifetime_follows_the_setting(app):
    name, _ = make_user(app)
    c = web_login(app, name)
    hours = app.config["HUKOU_SESSION_MAX_HOURS"]
    assert hours == 8
    set_row(app, c, created_at=utcnow() - dt.timedelta(hours=hours, minutes=-1), last_seen_at=utcnow())
    assert c.get(PAGE).status_code == 200  # 7 h 59 min: still valid
    set_row(app, c, created_at=utcnow() - dt.timedelta(hours=hours, minutes=1), last_seen_at=utcnow())
    assert signed_out(c.get(PAGE))


def test_idle_session_times_out(app):
    name, _ = make_user(app)
    c = web_login(app, name)
    idle = app.config["HUKOU_SESSION_IDLE_MINUTES"]
    assert idle == 30
    set_row(app, c, last_seen_at=utcnow() - dt.timedelta(minutes=idle - 1))
    assert c.get(PAGE).status_code == 200
    set_row(app, c, last_seen_at=utcnow() - dt.timedelta(minutes=idle + 1))
    r = c.get(PAGE)
    assert signed_out(r)
    page = c.get(r.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "会话已过期" in page  # the login page says why


def test_last_seen_is_written_at_most_once_a_minute(app):
    name, _ = make_user(app)
    c = web_login(app, name)
    recent = utcnow() - dt.timedelta(seconds=20)
    set_row(app, c, last_seen_at=recent)
    for _ in range(3):
        assert c.get(PAGE).status_code == 200
    assert session_row(app, c).last_seen_at == recent  # GETs within the minute write nothing
    stale = utcnow() - dt.timedelta(minutes=5)
    set_row(app, c, last_seen_at=stale)
    assert c.get(PAGE).status_code == 200
    assert session_row(app, c).last_seen_at > utcnow() - dt.timedelta(seconds=30)


# ---- logout by POST ----

def test_get_logout_only_asks(app):
    name, _ = make_user(app)
    c = web_login(app, name)
    r = c.get("/logout/")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "退出登录" in body and 'method="post"' in body and 'name="csrf_token"' in body
    assert c.get(PAGE).status_code == 200  # a cross-site link to /logout/ signs nobody out
    with app.app_context():
        assert db.session.scalar(select(LoginSession.revoked_at).where(
            LoginSession.token_hash == hooks._hash(token_of(c)))) is None


def test_logout_without_csrf_token_is_refused(app):
    name, _ = make_user(app)
    c = web_login(app, name)
    assert c.post("/logout/").status_code == 400
    assert c.get(PAGE).status_code == 200


def test_navbar_logout_form_signs_out(app):
    """Every page carries the POST form the navbar's logout link submits (static JS); it signs out."""
    import re

    name, _ = make_user(app)
    c = web_login(app, name)
    page = c.get(PAGE).get_data(as_text=True)
    form = re.search(r'<form id="hk-logout-form" method="post" action="(/logout/)" hidden>(.*?)</form>', page, re.S)
    assert form, "no logout form on the page"
    r = c.post(form.group(1), data={"csrf_token": csrf_from(form.group(2))})
    assert signed_out(r)
    assert signed_out(c.get(PAGE))


def test_logout_revokes_even_while_others_write(app):
    """Logouts racing with other writers (the pen test's "database is locked") always revoke the session."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    stop = threading.Event()
    errors: list[Exception] = []

    def writer() -> None:
        while not stop.is_set():
            try:
                token = uuid.uuid4().hex
                with engine.begin() as conn:
                    conn.execute(insert(LoginSession).values(token_hash=token, user_id=-1, created_at=utcnow()))
                with engine.begin() as conn:
                    conn.execute(delete(LoginSession).where(LoginSession.token_hash == token))
            except Exception as err:  # noqa: BLE001  (a busy writer here is not what the test is about)
                errors.append(err)
            time.sleep(0.002)

    name, _ = make_user(app)
    browsers = [web_login(app, name) for _ in range(6)]
    thieves = []
    for b in browsers:
        thief = make_client(app)
        thief.set_cookie("session", b.get_cookie("session").value)
        thieves.append(thief)
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        codes = [web_logout(b).status_code for b in browsers]
    finally:
        stop.set()
        thread.join(5)
        engine.dispose()
    assert codes == [302] * len(browsers)
    assert all(signed_out(t.get(PAGE)) for t in thieves)


def test_logout_retries_a_busy_database(app, monkeypatch):
    """A first 'database is locked' during the revoke is retried, not turned into a logout that did not revoke."""
    from sqlalchemy.exc import OperationalError

    name, _ = make_user(app)
    c = web_login(app, name)
    thief = make_client(app)
    thief.set_cookie("session", c.get_cookie("session").value)
    real, calls = hooks._revoke_token, []

    def flaky(conn, token):
        calls.append(token)
        if len(calls) == 1:
            raise OperationalError("UPDATE login_session", {}, Exception("database is locked"))
        return real(conn, token)

    monkeypatch.setattr(hooks, "_revoke_token", flaky)
    assert signed_out(web_logout(c))
    assert len(calls) == 2
    assert signed_out(thief.get(PAGE))


def test_logout_that_cannot_revoke_says_so(app, monkeypatch):
    """If the database stays busy through every retry, the answer is a Chinese 503 and the session honestly
    stays signed in (never a logout page over a session that still works)."""
    from sqlalchemy.exc import OperationalError

    name, _ = make_user(app)
    c = web_login(app, name)

    def busy(conn, token):
        raise OperationalError("UPDATE login_session", {}, Exception("database is locked"))

    monkeypatch.setattr(hooks, "_revoke_token", busy)
    r = web_logout(c)
    assert r.status_code == 503 and "仍处于登录状态" in r.get_data(as_text=True)
    monkeypatch.undo()
    assert c.get(PAGE).status_code == 200
    assert signed_out(web_logout(c))


def test_deactivated_user_loses_browser_sessions(app, login):
    name, uid = make_user(app)
    c = web_login(app, name)
    admin = login("t_admin")
    with app.app_context():
        role_id = app.appbuilder.sm.find_role("Employee").id
    form = {"first_name": "t", "last_name": "sess", "username": name, "email": f"{name}@example.test",
            "roles": str(role_id), "csrf_token": admin.csrf}
    r = admin.post(f"/users/edit/{uid}", data=form)  # "active" unticked
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    with app.app_context():
        assert not app.appbuilder.sm.get_user_by_id(uid).active
    assert signed_out(c.get(PAGE))


# ---- one login rate limit for web and API ----

def _web_attempt(client, username: str, password: str) -> int:
    """One web login POST (token fetched first); its status."""
    token = csrf_from(client.get("/login/").get_data(as_text=True))
    return client.post("/login/", data={"username": username, "password": password, "csrf_token": token}).status_code


def test_web_and_api_logins_share_one_limit(app):
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    assert limit == 10
    c = make_client(app)
    name = f"nobody_{uuid.uuid4().hex[:6]}"
    half = limit // 2
    web = [_web_attempt(c, name, "x") for _ in range(half)]
    api = [c.post(API_LOGIN, json={"username": name, "password": "x", "provider": "db"}).status_code
           for _ in range(limit - half)]
    assert web == [302] * half and api == [401] * (limit - half)
    assert c.post(API_LOGIN, json={"username": name, "password": "x", "provider": "db"}).status_code == 429
    assert _web_attempt(c, name, "x") == 429  # the web login counts the API's failures too


def test_successful_logins_do_not_use_up_the_limit(app):
    """An office behind one address signs in many times a minute; only failed guesses count."""
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    c = make_client(app)
    codes = [c.post(API_LOGIN, json={"username": "t_officer", "password": PASSWORD, "provider": "db"}).status_code
             for _ in range(limit + 2)]
    assert codes == [200] * (limit + 2)


def test_logout_and_refresh_are_not_rate_limited(app):
    c = make_client(app)
    name = f"nobody_{uuid.uuid4().hex[:6]}"
    for _ in range(int(app.config["AUTH_RATE_LIMIT"].split()[0])):
        c.post(API_LOGIN, json={"username": name, "password": "x", "provider": "db"})
    assert c.post(API_LOGIN, json={"username": name, "password": "x", "provider": "db"}).status_code == 429
    assert c.post("/api/v1/security/logout").status_code == 401  # answered (no token), not 429


# ---- lockout must not show in the answer time ----

def test_locked_account_still_checks_a_password_hash(app, monkeypatch):
    from app.security import manager

    name, uid = make_user(app)
    with app.app_context():
        db.session.merge(LoginLock(user_id=uid, failures=0, locked_until=utcnow() + dt.timedelta(minutes=10)))
        db.session.commit()
    calls = []
    real = manager.check_password_hash
    monkeypatch.setattr(manager, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    c = make_client(app)
    assert c.post(API_LOGIN, json={"username": name, "password": "wrong-one", "provider": "db"}).status_code == 401
    assert len(calls) == 1


def test_dummy_hash_uses_the_configured_method(app):
    method = app.config["FAB_PASSWORD_HASH_METHOD"]
    assert method == "pbkdf2:sha256:1000"  # tests hash cheaply (conftest)
    assert app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"].startswith(method + "$")


def test_locked_account_answers_as_slowly_as_a_wrong_password(app):
    """With a realistically slow hash, a locked account takes as long as a wrong password of an open one."""
    slow = "pbkdf2:sha256:300000"
    app.config["FAB_PASSWORD_HASH_METHOD"] = slow
    try:
        locked_name, locked_id = make_user(app)
        open_name, _ = make_user(app)
    finally:
        app.config["FAB_PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    with app.app_context():
        db.session.merge(LoginLock(user_id=locked_id, failures=0,
                                   locked_until=utcnow() + dt.timedelta(minutes=10)))
        db.session.commit()

    def timed(username: str) -> float:
        c = make_client(app)
        start = time.perf_counter()
        r = c.post(API_LOGIN, json={"username": username, "password": "wrong-guess-1", "provider": "db"})
        assert r.status_code == 401
        return time.perf_counter() - start

    wrong = statistics.median(timed(open_name) for _ in range(3))
    locked = statistics.median(timed(locked_name) for _ in range(3))
    assert locked > 0.5 * wrong, (locked, wrong)


# ---- small findings ----

def test_control_characters_in_user_names_are_escaped_in_the_audit(app):
    """A user name with a newline (or ESC, U+202E) never reaches the audit trail as is: the request is refused
    (input guard) or the name is escaped; the login code escapes it itself as well."""
    name = f"evil\nadmin\r\x1b[31m{uuid.uuid4().hex[:6]}\u202e"
    marker = name[-7:-1]
    c = make_client(app)
    assert c.post(API_LOGIN, json={"username": name, "password": "x", "provider": "db"}).status_code in (401, 422)
    token = csrf_from(c.get("/login/").get_data(as_text=True))
    web = c.post("/login/", data={"username": name, "password": "x", "csrf_token": token})
    assert web.status_code in (302, 400, 422)
    with app.test_request_context("/login/", method="POST"):  # the login code path itself, behind the guard
        assert app.appbuilder.sm.auth_user_db(name, "x") is None
    with app.app_context():
        stored = [u for u in db.session.scalars(select(AuditLog.username).where(AuditLog.action == "login_failed")
                                                .order_by(AuditLog.id.desc()).limit(20)) if marker in u]
    assert stored
    for username in stored:
        assert not any(ord(ch) < 0x20 or ch == "\u202e" for ch in username)
        assert "\\u000a" in username


def test_printable_escapes_control_and_bidi_characters():
    from app.security.manager import printable

    assert printable("a\nb\tc\u202ed") == "a\\u000ab\\u0009c\\u202ed"
    assert printable("张三") == "张三" and len(printable("x" * 500)) == 100


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/",
                                    "/\n/evil.example", "\t//evil.example", "/%0a", "javascript:alert(1)"])
def test_login_next_never_leaves_the_site(app, target):
    name, _ = make_user(app)
    c = make_client(app)
    token = csrf_from(c.get("/login/").get_data(as_text=True))
    r = c.post("/login/", query_string={"next": target},
               data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert r.status_code in (302, 400)  # control characters are refused by the input guard before the login
    location = r.headers.get("Location", "")
    assert "evil" not in location and not location.startswith("//") and "\\" not in location
    if r.status_code == 302:
        again = c.get("/login/", query_string={"next": target})  # already signed in: the same check
        assert "evil" not in again.headers.get("Location", "")


def test_login_next_keeps_a_local_path(app):
    name, _ = make_user(app)
    c = make_client(app)
    token = csrf_from(c.get("/login/").get_data(as_text=True))
    r = c.post("/login/", query_string={"next": "/residentview/list/?_flt_0_name=张"},
               data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert r.headers["Location"].endswith("/residentview/list/?_flt_0_name=张") or "residentview/list" in r.headers[
        "Location"]


def test_safe_next_rules():
    assert safe_next("/a/b?c=1") == "/a/b?c=1"
    for bad in ["/\t/evil.example", "//evil", "/\\evil", "http://evil", "evil", "", None, "/a\x00b", "/\u202eb"]:
        assert safe_next(bad) is None, bad


def test_department_page_hides_other_departments_approvers(app, login, world):
    """An approver of department A sees A's approvers, but not who approves department B."""
    with app.app_context():
        other = db.session.scalars(select(UserDepartment.user_id)
                                   .where(UserDepartment.department_id == world["dept_b"])).all()
        names = [app.appbuilder.sm.get_user_by_id(uid).username for uid in other]
        own = db.session.scalars(select(UserDepartment.user_id)
                                 .where(UserDepartment.department_id == world["dept_a"])).all()
        own_names = [app.appbuilder.sm.get_user_by_id(uid).username for uid in own]
    assert names and own_names
    c = login("t_approver_a")
    page_b = c.get(f"/departmentview/show/{world['dept_b']}").get_data(as_text=True)
    assert not any(n in page_b for n in names)
    page_a = c.get(f"/departmentview/show/{world['dept_a']}").get_data(as_text=True)
    assert all(n in page_a for n in own_names)
    officer = login("t_officer").get(f"/departmentview/show/{world['dept_b']}").get_data(as_text=True)
    assert all(n in officer for n in names)  # unit-wide roles still see them
