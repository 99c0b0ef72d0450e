"""API tokens (JWT): revoked at API logout (with their refresh token), web logout, password change and
deactivation; refresh tokens live at most 7 days; revocations in Redis when REDIS_URL is set."""
from __future__ import annotations

import datetime as dt
import os
import uuid

import jwt as pyjwt
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import TokenRevocation
from tests.conftest import PASSWORD, make_client, web_login, web_logout

LOGIN, REFRESH, LOGOUT = "/api/v1/security/login", "/api/v1/security/refresh", "/api/v1/security/logout"
ME = "/api/v1/residents/"  # any JWT-protected read
REDIS = os.environ.get("HUKOU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def make_user(app, role: str = "HukouOfficer") -> tuple[str, int]:
    """A fresh user whose tokens the test may revoke."""
    name = f"t_jwt_{uuid.uuid4().hex[:8]}"
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(name, "t", "jwt", f"{name}@example.test", sm.find_role(role), password=PASSWORD)
        return name, user.id


def tokens_for(client, username: str, password: str = PASSWORD) -> dict:
    """Access and refresh token of one API login."""
    r = client.post(LOGIN, json={"username": username, "password": password, "provider": "db", "refresh": True})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def bearer(token: str) -> dict:
    """Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def test_refresh_tokens_live_at_most_seven_days(app):
    name, _ = make_user(app)
    pair = tokens_for(make_client(app), name)
    claims = pyjwt.decode(pair["refresh_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 7 * 24 * 3600
    assert app.config["JWT_REFRESH_TOKEN_EXPIRES"] <= dt.timedelta(days=7)


def test_api_logout_revokes_the_token_and_its_refresh(app):
    name, _ = make_user(app)
    c = make_client(app)
    pair = tokens_for(c, name)
    other = tokens_for(c, name)  # a second login of the same user (another device)
    refreshed = c.post(REFRESH, headers=bearer(pair["refresh_token"])).get_json()["access_token"]
    assert c.get(ME, headers=bearer(pair["access_token"])).status_code == 200
    r = c.post(LOGOUT, headers=bearer(pair["access_token"]))
    assert r.status_code == 200 and r.get_json()["message"] == "已退出登录"
    dead = c.get(ME, headers=bearer(pair["access_token"]))
    assert dead.status_code == 401 and dead.get_json()["message"] == "登录已失效，请重新登录"
    assert c.get(ME, headers=bearer(refreshed)).status_code == 401  # refreshed from the same login
    assert c.post(REFRESH, headers=bearer(pair["refresh_token"])).status_code == 401
    assert c.get(ME, headers=bearer(other["access_token"])).status_code == 200  # the other login lives on


def test_api_logout_is_audited(app):
    from app.models import AuditLog

    name, uid = make_user(app)
    c = make_client(app)
    pair = tokens_for(c, name)
    assert c.post(LOGOUT, headers=bearer(pair["access_token"])).status_code == 200
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.user_id == uid)
                                     .order_by(AuditLog.id)).all()
    assert actions[-1] == "logout"


def test_api_logout_with_the_refresh_token(app):
    name, _ = make_user(app)
    c = make_client(app)
    pair = tokens_for(c, name)
    assert c.post(LOGOUT, headers=bearer(pair["refresh_token"])).status_code == 200
    assert c.get(ME, headers=bearer(pair["access_token"])).status_code == 401


def test_api_logout_needs_a_token(app):
    assert make_client(app).post(LOGOUT).status_code == 401


def test_web_logout_revokes_api_tokens(app):
    name, _ = make_user(app)
    pair = tokens_for(make_client(app), name)
    browser = web_login(app, name)
    assert web_logout(browser).status_code == 302
    assert make_client(app).get(ME, headers=bearer(pair["access_token"])).status_code == 401
    assert make_client(app).post(REFRESH, headers=bearer(pair["refresh_token"])).status_code == 401
    fresh = tokens_for(make_client(app), name)  # signing in again works
    assert make_client(app).get(ME, headers=bearer(fresh["access_token"])).status_code == 200


def test_password_change_revokes_api_tokens(app):
    name, _ = make_user(app)
    pair = tokens_for(make_client(app), name)
    browser = web_login(app, name)
    r = browser.post("/resetmypassword/form", data={"old_password": PASSWORD, "password": "Another-pass-2027",
                                                     "conf_password": "Another-pass-2027",
                                                     "csrf_token": browser.csrf})
    assert r.status_code == 302
    assert make_client(app).get(ME, headers=bearer(pair["access_token"])).status_code == 401
    assert make_client(app).post(REFRESH, headers=bearer(pair["refresh_token"])).status_code == 401
    assert browser.get("/residentview/list/").status_code == 200  # the browser that changed it stays in


def test_admin_password_reset_revokes_api_tokens(app, login):
    name, uid = make_user(app)
    pair = tokens_for(make_client(app), name)
    admin = login("t_admin")
    r = admin.post(f"/resetpassword/form?pk={uid}", data={"password": "Reset-by-admin-2027",
                                                           "conf_password": "Reset-by-admin-2027",
                                                           "csrf_token": admin.csrf})
    assert r.status_code == 302
    assert make_client(app).get(ME, headers=bearer(pair["access_token"])).status_code == 401


def test_deactivation_revokes_api_tokens_for_good(app):
    name, uid = make_user(app)
    pair = tokens_for(make_client(app), name)
    sm = app.appbuilder.sm
    with app.app_context():
        user = sm.get_user_by_id(uid)
        user.active = False
        sm.update_user(user)
    assert make_client(app).get(ME, headers=bearer(pair["access_token"])).status_code == 401
    with app.app_context():
        user = sm.get_user_by_id(uid)
        user.active = True
        sm.update_user(user)
    # reactivation does not bring the old token back
    assert make_client(app).get(ME, headers=bearer(pair["access_token"])).status_code == 401
    fresh = tokens_for(make_client(app), name)["access_token"]
    assert make_client(app).get(ME, headers=bearer(fresh)).status_code == 200


def test_revocations_are_stored_in_the_database_without_redis(app):
    name, uid = make_user(app)
    c = make_client(app)
    pair = tokens_for(c, name)
    assert c.post(LOGOUT, headers=bearer(pair["access_token"])).status_code == 200
    family = pyjwt.decode(pair["access_token"], options={"verify_signature": False})["fam"]
    with app.app_context():
        assert db.session.scalar(select(TokenRevocation.id).where(TokenRevocation.key == f"f:{family}"))


def _redis_up() -> bool:
    """Whether the Redis of this test run answers."""
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_revocations_live_in_redis_and_reach_every_worker(app):
    from app import create_app

    if not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS}")
        pytest.skip(f"no Redis at {REDIS} (set HUKOU_TEST_REDIS_URL)")
    prefix = f"hukou-test-{uuid.uuid4().hex}:"
    overrides = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                 "REDIS_URL": REDIS, "HUKOU_REDIS_PREFIX": prefix, "RATELIMIT_STORAGE_URI": "memory://",
                 "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    one, two = create_app(overrides), create_app(overrides)
    name, _ = make_user(app)
    pair = tokens_for(one.test_client(), name)
    assert two.test_client().get(ME, headers=bearer(pair["access_token"])).status_code == 200
    assert one.test_client().post(LOGOUT, headers=bearer(pair["access_token"])).status_code == 200
    assert two.test_client().get(ME, headers=bearer(pair["access_token"])).status_code == 401
    import redis

    client = redis.Redis.from_url(REDIS)
    keys = client.keys(prefix + "*")
    assert keys and all(0 < client.ttl(k) <= 7 * 24 * 3600 + 120 for k in keys)
    client.delete(*keys)
