"""Resident rules shared by the screens and the REST API: scope of a written row, fields from the ID number."""
from __future__ import annotations

from sqlalchemy import inspect

from ..domain import idnumber
from ..domain.actor import Actor
from ..domain.errors import Message, N_
from ..models import Resident
from ..security.scope import resident_allowed

OUT_OF_SCOPE = Message("department_out_of_scope",
                       N_("Department: you can only register residents of your own departments"))


def department_in_scope(actor: Actor, item: Resident) -> bool:
    """A scoped writer (e.g. an approver given write) may not put a resident outside their departments."""
    # A form sets the relationship, the API sets the column; whichever was changed in this request wins.
    if inspect(item).attrs.department.history.has_changes():
        dept_id = item.department.id if item.department is not None else None
    else:
        dept_id = item.department_id
    return resident_allowed(actor, dept_id, item.id)


def fill_from_id(item: Resident) -> None:
    """Derive birth date and gender from the (validated) ID number when they were left empty."""
    result = idnumber.check(item.id_number)
    if result.ok:
        item.id_number = result.number
        item.birth_date = item.birth_date or result.birth_date
        item.gender = item.gender or result.gender
