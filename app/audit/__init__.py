"""The audit trail: explicit events and automatic change logging, chained and written at commit.

Every row is collected in the session (`session.info`) and appended, hash-chained, when the transaction
commits (see chain.append); a rolled-back transaction leaves no audit row, and nothing here commits.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from typing import Any, Callable

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..clock import utcnow
from ..domain.actor import Actor, system_actor
from ..domain.masking import mask_id, mask_phone
from ..models.base import ChangeLogged
from . import chain

PENDING = "hk_audit_pending"
ACTOR = "hk_actor"
_MASKERS = {"id_number": mask_id, "phone": mask_phone}
_SKIP = {"created_on", "changed_on", "version"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
SYSTEM = system_actor("系统")

# Set by the web layer: the actor of the current request when no unit of work named one.
actor_provider: Callable[[], Actor | None] = lambda: None  # noqa: E731


def clean_text(value: Any, limit: int) -> str | None:
    """Text safe for one audit cell: control and bidi characters escaped, cut to the column's length."""
    if value is None:
        return None
    text = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))
    return text[:limit]


def _plain(value: Any) -> Any:
    """A JSON-safe form of a column value."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def acting(session: Session | None = None) -> Actor:
    """Who the audit rows of this session are written for: the unit's actor, the request's, else the system."""
    actor = session.info.get(ACTOR) if session is not None else None
    return actor or actor_provider() or SYSTEM


def entry(action: str, object_type: str | None = None, object_id: Any = None, success: bool = True,
          detail: dict | None = None, username: str | None = None, user_id: int | None = None,
          actor: Actor | None = None) -> dict:
    """One audit row: who (user, role, IP, request id), when, what, on which object, with what result."""
    actor = actor or actor_provider() or SYSTEM
    return {"at": utcnow(), "user_id": user_id if user_id is not None else actor.user_id,
            "username": clean_text(username or (actor.label if actor.system else actor.username), 100),
            "role": clean_text(actor.role_label, 100) or None, "ip": actor.ip, "request_id": actor.request_id,
            "action": action, "object_type": object_type,
            "object_id": None if object_id is None else clean_text(object_id, 40), "success": bool(success),
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None}


def record(session: Session, action: str, actor: Actor | None = None, **kwargs: Any) -> None:
    """Collect an audit row in the session's transaction; it is written, chained, when that commits."""
    session.info.setdefault(PENDING, []).append(entry(action, actor=actor or acting(session), **kwargs))


def record_rows(session: Session, rows: list[dict]) -> None:
    """Collect prepared rows (from entry()) for a Core bulk write that ORM events cannot see."""
    session.info.setdefault(PENDING, []).extend(rows)


def mask_value(key: str, value: Any, masked: tuple[str, ...]) -> Any:
    """A column value as the trail shows it: personal numbers masked as on screen."""
    if key in masked and value:
        return _MASKERS.get(key, lambda v: "***")(value)
    return value


def _changes(obj: ChangeLogged, deleted: bool = False) -> dict[str, list]:
    """{column: [old, new]} of an object's modified columns, personal numbers masked."""
    state = inspect(obj)
    masked = getattr(obj, "__audit_masked__", ())
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
        if deleted and old is None:
            continue
        out[key] = [_plain(mask_value(key, old, masked)), _plain(mask_value(key, new, masked))]
    return out


def _pk(obj) -> str:
    """The primary key of an object as text (read from the instance: new objects have no identity yet)."""
    state = inspect(obj)
    return ",".join(str(v) for v in state.mapper.primary_key_from_instance(obj))


_SECRET = {"password"}
_SECURITY_TYPES = {"User", "Role", "Permission", "PermissionView", "ViewMenu"}


def _security_changes(obj, deleted: bool) -> dict[str, list]:
    """Changed columns and role/permission links of a FAB security object (passwords never shown)."""
    state = inspect(obj)
    out: dict[str, list] = {}
    for attr in state.mapper.attrs:
        key = attr.key
        if key in ("changed_on", "created_on", "last_login", "login_count", "fail_login_count"):
            continue
        hist = state.attrs[key].history
        if not deleted and not hist.has_changes():
            continue
        if key in ("roles", "permissions", "groups"):
            out[key] = [[str(o) for o in hist.deleted], [str(o) for o in hist.added]]
        elif hasattr(attr, "columns"):
            old = state.attrs[key].loaded_value if deleted else (hist.deleted[0] if hist.deleted else None)
            new = None if deleted else (hist.added[0] if hist.added else None)
            if key in _SECRET:
                old, new = ("***" if old else None), ("***" if new else None)
            out[key] = [_plain(old), _plain(new)]
    return {k: v for k, v in out.items() if v != [[], []] and v[0] != v[1]}


def _is_logged(obj) -> bool:
    """Business records (ChangeLogged) and FAB's users, roles and permissions are change-logged."""
    return isinstance(obj, ChangeLogged) or type(obj).__name__ in _SECURITY_TYPES


@event.listens_for(Session, "after_flush")
def _log_changes(session: Session, _ctx) -> None:
    """Collect one audit row per inserted, updated or deleted ChangeLogged object of this flush."""
    actor = acting(session)
    for kind, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not _is_logged(obj):
                continue
            if not isinstance(obj, ChangeLogged):
                changes = _security_changes(obj, kind == "delete")
                if changes or kind != "update":
                    record(session, kind, actor=actor, object_type=type(obj).__name__, object_id=_pk(obj),
                           detail=changes)
                continue
            if kind == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, deleted=kind == "delete")
            if kind == "update" and not changes:
                continue
            record(session, kind, actor=actor, object_type=type(obj).__name__, object_id=_pk(obj),
                   detail=changes)


@event.listens_for(Session, "before_commit")
def _append_chain(session: Session) -> None:
    """At commit: flush (so ORM changes are collected), then append the collected rows to the chain."""
    session.flush()
    rows = session.info.pop(PENDING, None)
    if rows:
        chain.append(session.connection(), rows)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    """A rolled-back transaction leaves no audit row (a commit has already taken its rows)."""
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING, None)


def pending_mark(session: Session) -> int:
    """How many audit rows the session has collected so far (to undo a savepoint's rows)."""
    return len(session.info.get(PENDING, ()))


def drop_since(session: Session, mark: int) -> None:
    """Forget the rows collected after `mark` (their savepoint was rolled back)."""
    rows = session.info.get(PENDING)
    if rows is not None:
        del rows[mark:]
