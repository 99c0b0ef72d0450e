"""Audit trail and login bookkeeping (server-side sessions, lockout)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import utcnow


class AuditLog(Model):
    """Append-only record of who did what, when, and whether it succeeded (triggers forbid edits)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_at", "at", "id"),  # (at, id): the list's ORDER BY at, id without a sort (migration 0010)
        Index("ix_audit_object", "object_type", "object_id"),
        Index("ix_audit_user_at", "user_id", "at"),
        Index("ix_audit_action_at", "action", "at", "id"),
        Index("ix_audit_type_at", "object_type", "at", "id"),
        Index("ix_audit_username", "username", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    user_id: Mapped[Optional[int]] = mapped_column(Integer)
    username: Mapped[Optional[str]] = mapped_column(String(100))
    ip: Mapped[Optional[str]] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    object_type: Mapped[Optional[str]] = mapped_column(String(40))
    object_id: Mapped[Optional[str]] = mapped_column(String(40))
    success: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    detail: Mapped[Optional[str]] = mapped_column(Text)
    role: Mapped[Optional[str]] = mapped_column(String(100))
    request_id: Mapped[Optional[str]] = mapped_column(String(32))
    prev_hash: Mapped[Optional[str]] = mapped_column(String(64))
    row_hash: Mapped[Optional[str]] = mapped_column(String(64))


class AuditAnchor(Model):
    """Left by a retention purge for each row whose predecessor was purged: the purged row's hash, so the
    remaining chain still verifies (and a deletion without an anchor does not)."""

    __tablename__ = "audit_anchor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    resume_id: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    purged: Mapped[int] = mapped_column(Integer, nullable=False)


class LoginSession(Model):
    """A server-side record of one browser login; logout revokes it so a copied cookie stops working."""

    __tablename__ = "login_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    ip: Mapped[Optional[str]] = mapped_column(String(45))
    # Written at most once a minute (idle timeout); NULL until the first refresh means "created_at".
    last_seen_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)


class TokenRevocation(Model):
    """Revoked API tokens (JWT), when no Redis is configured: key 'u:<user id>' ends every token of a user
    issued before `revoked_at`, key 'f:<family>' one login's access and refresh tokens. Insert-only."""

    __tablename__ = "token_revocation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True, nullable=False)
    revoked_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True, nullable=False)


class LoginLock(Model):
    """Consecutive failed logins of a user and the time until which the account is locked."""

    __tablename__ = "login_lock"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
