"""Row-level access: which rows an Actor may reach. Fails closed: a model it does not know is invisible."""
from __future__ import annotations

from sqlalchemy import false, or_, select

from ..domain.actor import Actor
from ..models import (Application, ArchiveRecord, CalendarDay, Department, EligibilityRule, Fee, Material,
                      MaterialType, PageLoan, Resident)

# Reference data every permitted reader sees whole (permissions decide who may read it at all).
UNIT_DATA = frozenset({Department, MaterialType, EligibilityRule, CalendarDay})


def _resident_clause(actor: Actor, dept_col, resident_col):
    """Department or own-resident condition on two columns."""
    parts = []
    if actor.department_ids:
        parts.append(dept_col.in_(sorted(actor.department_ids)))
    if actor.resident_id is not None:
        parts.append(resident_col == actor.resident_id)
    return or_(*parts) if parts else false()


def criteria(model, actor: Actor):
    """A WHERE clause limiting `model` to the actor's rows; None when nothing needs limiting; false() if unknown."""
    if model in UNIT_DATA:
        return None
    if not actor.is_authenticated:
        return false()
    if actor.unit_wide:
        return None
    if model is Resident:
        return _resident_clause(actor, Resident.department_id, Resident.id)
    if model is Application:
        return _resident_clause(actor, Application.department_id, Application.resident_id)
    if model in (Material, ArchiveRecord):
        return model.application_id.in_(select(Application.id).where(criteria(Application, actor)))
    if model in (PageLoan, Fee):
        return model.resident_id.in_(select(Resident.id).where(criteria(Resident, actor)))
    return false()


def resident_allowed(actor: Actor, department_id: int | None, resident_id: int | None = None) -> bool:
    """Whether a resident row with these values lies inside the scope (so a scoped writer cannot move it out)."""
    if actor.unit_wide:
        return True
    return department_id in actor.department_ids or (
        resident_id is not None and resident_id == actor.resident_id)
