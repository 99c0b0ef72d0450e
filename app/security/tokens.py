"""API tokens (JWT): one family per API login, revoked at logout, password change and deactivation.

Every token carries its family (`fam`, shared by the access and refresh tokens of one login and by the access
tokens refreshed from it) and its issue time in microseconds (`hk_t`). A revocation is a key with a time:
'u:<user id>' ends every token of the user issued before it (password change, deactivation, web logout),
'f:<family>' ends one login (API logout). Keys live in Redis when REDIS_URL is set (shared by all workers),
otherwise in the token_revocation table; either way only as long as the longest token could.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from typing import Iterable

from flask import Flask, current_app, jsonify
from flask_babel import gettext
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from ..models import TokenRevocation
from ..models.base import utcnow

log = logging.getLogger(__name__)

FAMILY = "fam"
ISSUED = "hk_t"
EXTENSION = "hukou_token_store"


def new_claims(family: str | None = None) -> dict:
    """Claims for a new token: its family (a new one at login) and its precise issue time."""
    return {FAMILY: family or secrets.token_urlsafe(16), ISSUED: time.time()}


def _seconds(value) -> float:
    """A JWT lifetime setting (seconds or timedelta) in seconds."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value or 0)


def keep_for(app: Flask) -> dt.timedelta:
    """How long a revocation matters: the longest lifetime a token can have, plus a minute."""
    cfg = app.config
    longest = max(_seconds(cfg.get("JWT_ACCESS_TOKEN_EXPIRES", 900)), _seconds(cfg.get("JWT_REFRESH_TOKEN_EXPIRES")))
    return dt.timedelta(seconds=longest + 60)


def _to_utc(epoch: float) -> dt.datetime:
    """A POSIX time as the naive UTC datetime the database columns use."""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(tzinfo=None)


class DatabaseStore:
    """Revocations as insert-only rows of token_revocation (no Redis configured)."""

    def add(self, conn: Connection, key: str, keep: dt.timedelta) -> None:
        """Record a revocation in the caller's transaction and drop the ones that no longer matter."""
        now = utcnow()
        conn.execute(delete(TokenRevocation).where(TokenRevocation.expires_at < now))
        conn.execute(insert(TokenRevocation).values(key=key, revoked_at=now, expires_at=now + keep))

    def newest(self, keys: Iterable[str]) -> dt.datetime | None:
        """The latest revocation time of any of the keys."""
        from ..extensions import db

        return db.session.scalar(select(func.max(TokenRevocation.revoked_at))
                                 .where(TokenRevocation.key.in_(list(keys)),
                                        TokenRevocation.expires_at > utcnow()))


class RedisStore:
    """Revocations as Redis keys with a time to live (REDIS_URL set: every worker sees them at once)."""

    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5)
        self.prefix = prefix

    def add(self, _conn: Connection | None, key: str, keep: dt.timedelta) -> None:
        """Set the key to now; it expires when no token it could end is still alive."""
        self.client.set(self.prefix + key, repr(time.time()), ex=int(keep.total_seconds()) + 1)

    def newest(self, keys: Iterable[str]) -> dt.datetime | None:
        """The latest revocation time of any of the keys."""
        values = [float(v) for v in self.client.mget([self.prefix + k for k in keys]) if v is not None]
        return _to_utc(max(values)) if values else None


def store(app: Flask | None = None):
    """The revocation store of the app (chosen once, from REDIS_URL)."""
    app = app or current_app
    found = app.extensions.get(EXTENSION)
    if found is None:
        url = app.config.get("REDIS_URL")
        found = RedisStore(url, app.config.get("HUKOU_REDIS_PREFIX", "hukou:")) if url else DatabaseStore()
        app.extensions[EXTENSION] = found
    return found


def revoke_user(conn: Connection, user_id: int) -> None:
    """End every API token of a user issued until now (in `conn`'s transaction for the database store)."""
    store().add(conn, f"u:{int(user_id)}", keep_for(current_app))


def revoke_family(conn: Connection, family: str) -> None:
    """End the access and refresh tokens of one API login."""
    store().add(conn, f"f:{family}", keep_for(current_app))


def is_revoked(payload: dict) -> bool:
    """Whether a decoded token was revoked (its user's or its family's revocation is newer than it)."""
    keys = [f"u:{payload.get('sub')}"]
    if payload.get(FAMILY):
        keys.append(f"f:{payload[FAMILY]}")
    try:
        newest = store().newest(keys)
    except Exception:  # noqa: BLE001  (Redis down: fail closed, a token we cannot check is refused)
        log.exception("cannot read token revocations")
        return True
    if newest is None:
        return False
    issued = payload.get(ISSUED, payload.get("iat", 0))
    return _to_utc(float(issued)) <= newest


def _revoked_answer(_header, _payload):
    """401 in Chinese for a revoked token."""
    return jsonify(message=gettext("This sign-in has ended; please sign in again")), 401


def install(jwt_manager) -> None:
    """Refuse revoked tokens on every JWT-protected endpoint (also /refresh and /logout)."""
    jwt_manager.token_in_blocklist_loader(lambda _header, payload: is_revoked(payload))
    jwt_manager.revoked_token_loader(_revoked_answer)
