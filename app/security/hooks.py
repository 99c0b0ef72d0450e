"""Server-side browser sessions: idle timeout, absolute lifetime, revocation at logout and password change.

A browser login opens a `login_session` row; the cookie holds only a random token whose hash is the key.
Every request checks the row: revoked, idle for HUKOU_SESSION_IDLE_MINUTES or older than
HUKOU_SESSION_MAX_HOURS means signed out. "Last seen" is written at most once a minute, in its own short
write transaction, so GETs stay read-only.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from flask import Flask, current_app, flash, g, has_request_context, request, session
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext
from flask_login import current_user, logout_user, user_logged_in, user_logged_out
from sqlalchemy import event, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..domain.actor import Actor, system_actor
from ..extensions import db
from ..models import LoginSession
from ..models.base import utcnow
from ..uow import unit_of_work
from .actor import actor_of
from . import tokens

log = logging.getLogger(__name__)

SESSION_KEY = "hk_sid"
SEEN_EVERY = dt.timedelta(minutes=1)  # "last seen" precision: an idle timeout of N minutes is N..N+1
WRITE_ATTEMPTS = 3
SESSION_ACTOR = system_actor("系统（会话）")  # session bookkeeping writes no audit row of its own


def _hash(token: str) -> str:
    """Only a hash of the session token is stored, so a database reader cannot hijack sessions."""
    return hashlib.sha256(token.encode()).hexdigest()


def _retry_write(work, actor: Actor = SESSION_ACTOR) -> None:
    """Run `work(conn)` in its own short unit of work (SQLite: write lock from BEGIN), retrying when busy."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with unit_of_work(actor, write=True) as uow:
                work(uow.session.connection())
            return
        except OperationalError:
            if attempt == WRITE_ATTEMPTS:
                raise
            log.warning("session write failed (attempt %s), retrying", attempt)


def _revoke_token(conn: Connection, token: str) -> None:
    """Mark one browser session revoked."""
    conn.execute(update(LoginSession).where(LoginSession.token_hash == _hash(token), LoginSession.revoked_at.is_(None))
                 .values(revoked_at=utcnow()))


def _on_login(_app, user) -> None:
    """Open a server-side session for a browser login and remember its token in the cookie."""
    if not request or request.blueprint and request.path.startswith("/api/"):
        return
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with unit_of_work(actor_of(user, request.remote_addr)) as uow:
        uow.session.add(LoginSession(token_hash=_hash(token), user_id=user.id, ip=request.remote_addr,
                                     created_at=now, last_seen_at=now))
    session[SESSION_KEY] = token


def end_browser_session(user_id: int | None) -> None:
    """Logout: revoke this browser's session and the user's API tokens in one short write transaction."""
    token = session.get(SESSION_KEY)

    def work(conn: Connection) -> None:
        if token:
            _revoke_token(conn, token)
        if user_id is not None:
            tokens.revoke_user(conn, user_id)

    _retry_write(work)
    session.pop(SESSION_KEY, None)  # only now: a failed revoke must not look like a logout


def _revoke_quietly(token: str) -> None:
    """Revoke a session that is already refused anyway (expired, or logged out): a busy database may skip it."""
    try:
        _retry_write(lambda conn: _revoke_token(conn, token))
    except OperationalError:
        log.exception("could not mark a browser session revoked")


def _on_logout(_app, user) -> None:
    """Any other logout_user(): revoke the session of this cookie if nobody did yet."""
    token = session.pop(SESSION_KEY, None)
    if token:
        _revoke_quietly(token)


def revoke_sessions(conn: Connection, user_id: int, keep_token: str | None = None) -> int:
    """Revoke a user's open browser sessions (all, or all but one token's); returns how many."""
    stmt = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    if keep_token:
        stmt = stmt.where(LoginSession.token_hash != _hash(keep_token))
    return conn.execute(stmt.values(revoked_at=utcnow())).rowcount


def _changed(obj, key: str) -> bool:
    """Whether a column of a flushed object changed in this flush."""
    return inspect(obj).attrs[key].history.has_changes()


def _deactivated(obj) -> bool:
    """Whether a user was switched from active to inactive in this flush."""
    hist = inspect(obj).attrs["active"].history
    return bool(hist.added) and hist.added[0] is False


def _own_token(user_id: int) -> str | None:
    """This browser's session token when the changed user is the one signed in (they stay signed in)."""
    if not has_request_context() or str(session.get("_user_id")) != str(user_id):
        return None
    return session.get(SESSION_KEY)


@event.listens_for(Session, "after_flush")
def _on_user_change(flush_session: Session, _ctx) -> None:
    """A new password or a deactivation ends the user's other browser sessions and all their API tokens,
    in the same transaction, whichever path changed it (screens, API, CLI)."""
    for obj in flush_session.dirty:
        if not isinstance(obj, User) or obj.id is None:
            continue
        deactivated = _deactivated(obj)
        if deactivated or _changed(obj, "password"):
            conn = flush_session.connection()
            revoke_sessions(conn, obj.id, None if deactivated else _own_token(obj.id))
            tokens.revoke_user(conn, obj.id)


def _limits() -> tuple[dt.timedelta, dt.timedelta]:
    """(idle timeout, absolute lifetime) from the settings."""
    cfg = current_app.config
    return (dt.timedelta(minutes=cfg["HUKOU_SESSION_IDLE_MINUTES"]), dt.timedelta(hours=cfg["HUKOU_SESSION_MAX_HOURS"]))


def _sign_out(expired: bool = False) -> None:
    """Forget the login of this cookie for the rest of the request (and say why when it timed out)."""
    logout_user()
    session.clear()
    g.user = current_user
    if expired:
        flash(gettext("Your session has expired; please sign in again"), "warning")


def _touch(token: str, now: dt.datetime) -> None:
    """Record "last seen" (best effort: a busy database only delays it)."""
    try:
        with unit_of_work(SESSION_ACTOR, write=True) as uow:
            uow.session.execute(update(LoginSession).where(LoginSession.token_hash == _hash(token))
                                .values(last_seen_at=now))
    except OperationalError:
        log.warning("could not record last seen of a session")


def with_login_session(stmt, user_model, user_id):
    """The user loader's statement, plus this cookie's open session row when the cookie signs in `user_id`:
    the session check below then needs no statement of its own (one less on every page)."""
    token = session.get(SESSION_KEY) if has_request_context() else None
    if not token or str(session.get("_user_id")) != str(user_id):
        return stmt, None
    token_hash = _hash(token)
    return stmt.add_columns(LoginSession.user_id, LoginSession.created_at, LoginSession.last_seen_at).outerjoin(
        LoginSession, (LoginSession.user_id == user_model.id) & (LoginSession.token_hash == token_hash)
        & LoginSession.revoked_at.is_(None)), token_hash


def remember_login_session(token_hash: str, row) -> None:
    """Keep the session row the user loader read (user_id None: no open session of this user and cookie)."""
    g.hk_login_session = (token_hash, row if row.user_id is not None else None)


def _session_row(token: str):
    """This cookie's open session row: the one read with the user in this request, else from the database."""
    cached = g.pop("hk_login_session", None)
    if cached is not None and cached[0] == _hash(token):
        return cached[1]
    return db.session.execute(
        select(LoginSession.user_id, LoginSession.created_at, LoginSession.last_seen_at)
        .where(LoginSession.token_hash == _hash(token), LoginSession.revoked_at.is_(None))).first()


def _check_session() -> None:
    """Sign out a cookie whose server-side session is missing, revoked, idle too long or too old."""
    if (request.endpoint or "").endswith("static") or not current_user.is_authenticated:
        return
    token = session.get(SESSION_KEY)
    row = token and _session_row(token)
    if not row or row.user_id != current_user.id:
        _sign_out()
        return
    now, (idle, lifetime) = utcnow(), _limits()
    seen = row.last_seen_at or row.created_at
    if now - row.created_at > lifetime or now - seen > idle:
        session.pop(SESSION_KEY, None)
        _revoke_quietly(token)
        _sign_out(expired=True)
    elif now - seen >= SEEN_EVERY:
        _touch(token, now)


def install(app: Flask, appbuilder) -> None:
    """Connect the login signals, the per-request session check and the security headers."""
    from . import headers

    user_logged_in.connect(_on_login, app)
    user_logged_out.connect(_on_logout, app)
    app.before_request(_check_session)
    headers.install(app)
