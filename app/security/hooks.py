"""Request hooks: server-side login sessions (logout kills copied cookies) and locale defaults."""
from __future__ import annotations

import hashlib
import secrets

from flask import Flask, g, request, session
from flask_login import current_user, logout_user, user_logged_in, user_logged_out
from sqlalchemy import select, update

from ..extensions import db
from ..models import LoginSession
from ..models.base import utcnow

SESSION_KEY = "hk_sid"


def _hash(token: str) -> str:
    """Only a hash of the session token is stored, so a database reader cannot hijack sessions."""
    return hashlib.sha256(token.encode()).hexdigest()


def _on_login(_app, user) -> None:
    """Open a server-side session for a browser login and remember its token in the cookie."""
    if not request or request.blueprint and request.path.startswith("/api/"):
        return
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=_hash(token), user_id=user.id, ip=request.remote_addr))
    db.session.commit()
    session[SESSION_KEY] = token


def _on_logout(_app, user) -> None:
    """Revoke the server-side session of this cookie."""
    token = session.pop(SESSION_KEY, None)
    if token:
        db.session.execute(update(LoginSession).where(LoginSession.token_hash == _hash(token))
                           .values(revoked_at=utcnow()))
        db.session.commit()


def revoke_sessions(user_id: int, keep_current: bool = False) -> int:
    """Revoke a user's open server-side sessions (all, or all but this request's); returns how many."""
    stmt = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    token = session.get(SESSION_KEY) if keep_current else None
    if token:
        stmt = stmt.where(LoginSession.token_hash != _hash(token))
    count = db.session.execute(stmt.values(revoked_at=utcnow())).rowcount
    db.session.commit()
    return count


def _check_session() -> None:
    """Log out a cookie whose server-side session is missing or revoked (e.g. copied before logout)."""
    if not current_user.is_authenticated:
        return
    token = session.get(SESSION_KEY)
    valid = token and db.session.scalar(
        select(LoginSession.user_id).where(LoginSession.token_hash == _hash(token),
                                           LoginSession.revoked_at.is_(None))) == current_user.id
    if not valid:
        logout_user()
        session.clear()
        g.user = current_user


def install(app: Flask, appbuilder) -> None:
    """Connect the login signals and the per-request session check."""
    user_logged_in.connect(_on_login, app)
    user_logged_out.connect(_on_logout, app)
    app.before_request(_check_session)
