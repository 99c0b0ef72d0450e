"""The audit trail: explicit events (login, unmask, export, transition) and automatic change logging."""
from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from .domain.masking import mask_id, mask_phone
from .models import AuditLog
from .models.base import ChangeLogged, utcnow

_MASKERS = {"id_number": mask_id, "phone": mask_phone}
_SKIP = {"created_on", "changed_on", "version"}


def _who() -> tuple[int | None, str, str | None]:
    """(user id, username, client IP) of the current request, or the system for CLI work."""
    if not has_request_context():
        return None, "system", None
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id, user.username, request.remote_addr
    return None, "anonymous", request.remote_addr


def _plain(value: Any) -> Any:
    """A JSON-safe form of a column value."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def entry(action: str, object_type: str | None = None, object_id: Any = None, success: bool = True,
          detail: dict | None = None, username: str | None = None, user_id: int | None = None) -> dict:
    """A row for the audit_log table filled with who/when/where."""
    uid, uname, ip = _who()
    return {"at": utcnow(), "user_id": user_id if user_id is not None else uid,
            "username": username or uname, "ip": ip, "action": action, "object_type": object_type,
            "object_id": None if object_id is None else str(object_id), "success": success,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None}


def record(session: Session, action: str, **kwargs: Any) -> None:
    """Add an audit row to the session's current transaction (commits with the change it describes)."""
    session.execute(insert(AuditLog.__table__), [entry(action, **kwargs)])


def record_now(session: Session, action: str, **kwargs: Any) -> None:
    """Write an audit row in its own committed transaction (for events with no other write)."""
    record(session, action, **kwargs)
    session.commit()


def _changes(obj: ChangeLogged, deleted: bool = False) -> dict[str, list]:
    """{column: [old, new]} of an object's modified columns, personal numbers masked."""
    state = inspect(obj)
    out: dict[str, list] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIP:
            continue
        hist = state.attrs[key].history
        if deleted:
            old, new = state.attrs[key].loaded_value, None
        elif not hist.has_changes():
            continue
        else:
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
        if key in getattr(obj, "__audit_masked__", ()):
            mask = _MASKERS.get(key, lambda v: "***")
            old, new = (mask(old) if old else old), (mask(new) if new else new)
        if deleted and old is None:
            continue
        out[key] = [_plain(old), _plain(new)]
    return out


def _pk(obj) -> str:
    """The primary key of an object as text (read from the instance: new objects have no identity yet)."""
    state = inspect(obj)
    return ",".join(str(v) for v in state.mapper.primary_key_from_instance(obj))


@event.listens_for(Session, "after_flush")
def _log_changes(session: Session, _ctx) -> None:
    """Write one audit row per inserted, updated or deleted ChangeLogged object, in the same transaction."""
    rows = []
    for kind, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not isinstance(obj, ChangeLogged):
                continue
            if kind == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, deleted=kind == "delete")
            if kind == "update" and not changes:
                continue
            rows.append(entry(kind, type(obj).__name__, _pk(obj), detail=changes))
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)
