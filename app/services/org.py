"""Department rules shared by the screens and the REST API."""
from __future__ import annotations

from sqlalchemy import func, select

from ..domain.errors import DomainError, Message, N_
from ..extensions import db
from ..models import Application, Department, Resident


def check_department_deletable(dept: Department) -> None:
    """Refuse to delete a department that residents or applications still refer to."""
    residents = db.session.scalar(select(func.count(Resident.id)).where(Resident.department_id == dept.id))
    if residents:
        raise DomainError(Message("department_has_residents", N_(
            "Department %(name)s still has %(count)s residents; move them to another department before "
            "deleting it"), {"name": dept.name, "count": residents}))
    apps = db.session.scalar(select(func.count(Application.id)).where(Application.department_id == dept.id))
    if apps:
        raise DomainError(Message("department_has_applications", N_(
            "Department %(name)s is used by %(count)s applications and cannot be deleted"),
            {"name": dept.name, "count": apps}))


def check_department_unique(dept: Department) -> None:
    """Code and name are unique; say which one clashes before the database refuses it."""
    other = Department.id != (dept.id or 0)
    with db.session.no_autoflush:
        by_code = db.session.scalar(select(Department).where(Department.code == dept.code, other))
        by_name = db.session.scalar(select(Department.id).where(Department.name == dept.name, other))
    problems = []
    if by_code is not None:
        problems.append(Message("department_code_taken", N_("Department code %(code)s is already used by %(name)s"),
                                {"code": dept.code, "name": by_code.name}))
    if by_name is not None:
        problems.append(Message("department_name_taken", N_("Department name %(name)s already exists"),
                                {"name": dept.name}))
    if problems:
        raise DomainError(*problems)
