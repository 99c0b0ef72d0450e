"""Building the Actor: from a FAB user (once per request) or by name for CLI commands and jobs."""
from __future__ import annotations

import secrets

from flask import g, has_request_context, request
from sqlalchemy import literal, select, union_all

from ..domain.actor import NOBODY, Actor, system_actor
from ..extensions import db
from ..models import UserDepartment, UserResident
from .roles import RESOURCE_VERBS, ROLES, UNIT_WIDE_ROLES

ALL_GRANTS = frozenset((res, verb) for res, verbs in RESOURCE_VERBS.items() for verb in verbs)


def grants_of(role_names: frozenset[str]) -> frozenset[tuple[str, str]]:
    """The (resource, verb) permissions of a set of roles, from the roles declared in code (Admin: all)."""
    if "Admin" in role_names:
        return ALL_GRANTS
    return frozenset((res, verb) for role in role_names for res, verbs in ROLES.get(role, {}).items()
                     for verb in verbs)


def role_names(user) -> frozenset[str]:
    """The names of a user's roles (empty for anonymous or inactive users)."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return frozenset()
    return frozenset(r.name for r in user.roles)


def _row_scope(user_id: int) -> tuple[frozenset[int], int | None]:
    """(departments approved, own resident) of a user in one statement: it runs on every request."""
    rows = db.session.execute(union_all(
        select(literal(1).label("kind"), UserDepartment.department_id.label("ref"))
        .where(UserDepartment.user_id == user_id),
        select(literal(2), UserResident.resident_id).where(UserResident.user_id == user_id))).all()
    residents = sorted(ref for kind, ref in rows if kind == 2)
    return frozenset(ref for kind, ref in rows if kind == 1), (residents[0] if residents else None)


def actor_of(user, ip: str | None = None, request_id: str | None = None) -> Actor:
    """The Actor of a FAB user: roles, permissions, row scope (departments approved, own resident)."""
    names = role_names(user)
    if not names:
        return Actor(user_id=None, username="anonymous", ip=ip, request_id=request_id)
    unit_wide = bool(names & UNIT_WIDE_ROLES)
    # Loaded for every role: the workflow asks "approver of this department?" and "own application?" of all.
    deps, rid = _row_scope(user.id)
    display = "".join(p for p in (getattr(user, "last_name", ""), getattr(user, "first_name", "")) if p)  # one 姓名
    return Actor(user_id=user.id, username=user.username, display_name=display, roles=names,
                 grants=grants_of(names), unit_wide=unit_wide, department_ids=deps, resident_id=rid,
                 ip=ip, request_id=request_id)


def request_id() -> str | None:
    """This request's id (set by the before_request hook; sent back as X-Request-Id)."""
    if not has_request_context():
        return None
    rid = g.get("hk_request_id")
    if rid is None:
        rid = g.hk_request_id = secrets.token_hex(8)
    return rid


def current_actor() -> Actor:
    """The Actor of this request's user (session or JWT), computed once per request; NOBODY outside requests."""
    if not has_request_context():
        return NOBODY
    user = getattr(g, "user", None)
    key = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    cached = g.get("hk_actor")
    if cached is None or cached[0] != key:
        cached = (key, actor_of(user, request.remote_addr, request_id()))
        g.hk_actor = cached
    return cached[1]


def cli_actor(name: str = "系统（命令行）") -> Actor:
    """The named system actor of a CLI command or background job (unit-wide, every permission)."""
    return system_actor(name, grants=ALL_GRANTS)


def request_unit(write: bool = True):
    """The unit of work of this request's actor (views and REST endpoints open it around a command)."""
    from ..uow import unit_of_work

    return unit_of_work(current_actor(), write=write)
