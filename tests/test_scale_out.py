"""Two app processes (workers) share the login rate limit through Redis, as in a gunicorn deployment."""
import os
import uuid

import pytest

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
