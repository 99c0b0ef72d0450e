"""Who a reminder goes to: officers, leaders, a department's approvers, a resident's own user (no Flask).

Only active users count; a person with no account is simply not addressed (the officer is, and calls them).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import UserDepartment, UserResident

CHUNK = 500  # ids per IN (...) so SQLite's parameter limit is never reached


def users_with_role(session: Session, role: str) -> tuple[int, ...]:
    """Ids of the active users holding `role`, in id order."""
    stmt = (select(User.id).join(User.roles).where(Role.name == role, User.active.is_(True))
            .order_by(User.id).distinct())
    return tuple(session.scalars(stmt))


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    """The distinct ids in sorted chunks of CHUNK."""
    values = sorted(set(ids))
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


@dataclass
class People:
    """The recipients of one run, loaded once: role holders, approvers per department, users per resident."""

    session: Session
    officers: tuple[int, ...] = ()
    leaders: tuple[int, ...] = ()
    approvers: dict[int, tuple[int, ...]] = field(default_factory=dict)
    residents: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> "People":
        """Officers, leaders and every department's active approvers (small tables, read once)."""
        people = cls(session, users_with_role(session, "HukouOfficer"), users_with_role(session, "Leader"))
        stmt = (select(UserDepartment.department_id, UserDepartment.user_id)
                .join(User, User.id == UserDepartment.user_id).where(User.active.is_(True))
                .order_by(UserDepartment.department_id, UserDepartment.user_id))
        for dept_id, user_id in session.execute(stmt):
            people.approvers[dept_id] = people.approvers.get(dept_id, ()) + (user_id,)
        return people

    def know_residents(self, resident_ids: Iterable[int]) -> None:
        """Load the own users of these residents (only the ones this run needs)."""
        missing = [rid for rid in set(resident_ids) if rid not in self.residents]
        for chunk in _chunks(missing):
            stmt = (select(UserResident.resident_id, UserResident.user_id)
                    .join(User, User.id == UserResident.user_id)
                    .where(UserResident.resident_id.in_(chunk), User.active.is_(True)))
            self.residents.update(dict(self.session.execute(stmt).tuples().all()))

    def own(self, resident_id: int | None) -> tuple[int, ...]:
        """The resident's own user, if they have an active account (call know_residents first)."""
        user_id = self.residents.get(resident_id) if resident_id is not None else None
        return (user_id,) if user_id is not None else ()

    def department(self, department_id: int | None) -> tuple[int, ...]:
        """The approvers of a department (none when it has no department or no approver)."""
        return self.approvers.get(department_id, ()) if department_id is not None else ()


def merge(*groups: Iterable[int], leave_out: Iterable[int] = ()) -> tuple[int, ...]:
    """The union of recipient groups in first-seen order, each user once, without `leave_out`."""
    skip = set(leave_out)
    out: list[int] = []
    for group in groups:
        for user_id in group:
            if user_id not in skip and user_id not in out:
                out.append(user_id)
    return tuple(out)
