"""Row-level access: which residents, applications and materials the current user may reach."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import false, or_, select

from ..extensions import db
from ..models import (Application, ArchiveRecord, Fee, Material, PageLoan, Resident, UserDepartment,
                      UserResident)
from .roles import UNIT_WIDE_ROLES


@dataclass(frozen=True)
class Scope:
    """unit_wide: every row; otherwise the union of some departments and one own resident."""

    unit_wide: bool
    department_ids: frozenset[int] = frozenset()
    resident_id: int | None = None


NOBODY = Scope(unit_wide=False)


def role_names(user) -> frozenset[str]:
    """The names of a user's roles (empty for anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(r.name for r in user.roles)


def scope_of(user) -> Scope:
    """Compute a user's scope from their roles and their department / resident links."""
    names = role_names(user)
    if not names:
        return NOBODY
    if names & UNIT_WIDE_ROLES:
        return Scope(unit_wide=True)
    deps: frozenset[int] = frozenset()
    if "DeptApprover" in names:
        deps = frozenset(db.session.scalars(select(UserDepartment.department_id)
                                            .where(UserDepartment.user_id == user.id)))
    rid = None
    if "Employee" in names:
        rid = db.session.scalar(select(UserResident.resident_id).where(UserResident.user_id == user.id))
    return Scope(unit_wide=False, department_ids=deps, resident_id=rid)


def current_user_obj():
    """The user of this request (session or JWT), via FAB's g.user."""
    return getattr(g, "user", None) if has_request_context() else None


def current_scope() -> Scope:
    """The scope of the current request's user, computed once per request."""
    if not has_request_context():
        return NOBODY
    cached = g.get("_hukou_scope")
    user = current_user_obj()
    key = getattr(user, "id", None)
    if cached is None or cached[0] != key:
        cached = (key, scope_of(user))
        g._hukou_scope = cached
    return cached[1]


def _resident_clause(scope: Scope, dept_col, resident_col):
    """Department or own-resident condition on two columns."""
    parts = []
    if scope.department_ids:
        parts.append(dept_col.in_(sorted(scope.department_ids)))
    if scope.resident_id is not None:
        parts.append(resident_col == scope.resident_id)
    return or_(*parts) if parts else false()


def criteria(model, scope: Scope):
    """A WHERE clause limiting `model` to the scope, or None when nothing needs limiting."""
    if scope.unit_wide:
        return None
    if model is Resident:
        return _resident_clause(scope, Resident.department_id, Resident.id)
    if model is Application:
        return _resident_clause(scope, Application.department_id, Application.resident_id)
    if model in (Material, ArchiveRecord):
        return model.application_id.in_(select(Application.id).where(criteria(Application, scope)))
    if model in (PageLoan, Fee):
        return model.resident_id.in_(select(Resident.id).where(criteria(Resident, scope)))
    return None  # reference data (departments, material types, rules): permissions decide


def resident_allowed(scope: Scope, department_id: int | None, resident_id: int | None = None) -> bool:
    """Whether a resident row with these values lies inside the scope (so a scoped writer cannot move it out)."""
    if scope.unit_wide:
        return True
    return department_id in scope.department_ids or (
        resident_id is not None and resident_id == scope.resident_id)
