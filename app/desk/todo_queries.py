"""The SQL of the to-do list: which rows wait for this actor, counted per queue, and the oldest few of each.

Who an application waits for is read from the workflow table: the rows of its status whose action moves it
forward (QUEUE_ACTIONS), the actor's roles on them, the department scope of scoped roles, the applicant-only
rows (the applicant's own turn) and the "not_own" guard. Every query goes through app.dao.scoped.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from app.dao import scoped
from app.domain.actor import Actor
from app.domain.workflow_table import OFFICE, SCOPED_ROLES, TABLE, Transition
from app.models import (Application, ApplicationHistory, Department, Fee, Material, MaterialType, PageLoan,
                        Resident)

# Actions that move an application on; refusals, withdrawals and reopening are not work waiting for anyone.
# submit_police is left out: after a police return the officer's turn shows as materials to verify.
QUEUE_ACTIONS = frozenset({"submit", "pass_review", "dept_approve", "leader_approve", "enter", "complete",
                           "archive"})
# Drafts wait for nobody but their author, who has not handed them in: no one's queue.
NO_QUEUE = frozenset({"draft"})
VERIFY_STATUSES = ("submitted", "needs_materials")
OPEN_MOVE_OUT = ("submitted", "needs_materials", "dept_review", "leader_review", "entry", "at_police")


@dataclass(frozen=True)
class Queue:
    """One line of the to-do list: a kind of item, for applications also the status."""

    kind: str
    status: str
    count: int


def _own(actor: Actor):
    """The actor's own applications (created by them, or about their own resident record)."""
    parts = []
    if actor.user_id is not None:
        # NULL-safe, so that NOT(own) holds for rows nobody created through the app
        parts.append(and_(Application.created_by_id.is_not(None), Application.created_by_id == actor.user_id))
    if actor.resident_id is not None:
        parts.append(Application.resident_id == actor.resident_id)
    return or_(*parts) if parts else false()


def _row_condition(row: Transition, actor: Actor):
    """SQL for "this table row lets the actor move an application (in one of its sources) on", or None."""
    granted = actor.roles & row.roles
    if not granted:
        return None
    parts = []
    if row.types is not None:
        parts.append(Application.type.in_(sorted(row.types)))
    if row.applicant_only:
        parts.append(_own(actor))
    if not granted - SCOPED_ROLES:
        parts.append(Application.department_id.in_(sorted(actor.department_ids)) if actor.department_ids
                     else false())
    if "not_own" in row.guards:
        parts.append(not_(_own(actor)))
    return and_(*parts) if parts else true()


def conditions(actor: Actor) -> dict[str, object]:
    """Per status, the SQL for the applications in it that wait for this actor (statuses with none left out).

    One condition per status, so each count and each pick is an index range on that status."""
    per_status: dict[str, list] = {}
    for row in TABLE:
        if row.action not in QUEUE_ACTIONS:
            continue
        cond = _row_condition(row, actor)
        if cond is None:
            continue
        for status in row.sources - NO_QUEUE:
            per_status.setdefault(status, []).append(cond)
    return {status: and_(Application.status == status, or_(*conds)) for status, conds in per_status.items()}


def entered(session: Session, status: str, app_ids: list[int]) -> dict[int, dt.datetime]:
    """When each application last entered `status` (its last history row into it)."""
    if not app_ids:
        return {}
    stmt = (select(ApplicationHistory.application_id, func.max(ApplicationHistory.at))
            .where(ApplicationHistory.application_id.in_(app_ids), ApplicationHistory.to_status == status)
            .group_by(ApplicationHistory.application_id))
    return dict(session.execute(stmt).tuples().all())


def application_counts(session: Session, actor: Actor) -> dict[str, int]:
    """Waiting applications per status (one count per status)."""
    out = {}
    for status, cond in conditions(actor).items():
        out[status] = session.scalar(scoped(select(func.count(Application.id)).where(cond), Application, actor)) or 0
    return {status: n for status, n in out.items() if n}


def applications(session: Session, actor: Actor, status: str, limit: int) -> list[tuple[Application, dt.datetime]]:
    """The `limit` applications waiting longest for the actor in `status`, with the time they entered it.

    Chosen by changed_on (every transition sets it; index ix_application_status_changed), so the pick is an
    index range however many rows wait; the time shown is the exact one from the history."""
    cond = conditions(actor).get(status)
    if cond is None:
        return []
    stmt = scoped(select(Application).where(cond).order_by(Application.changed_on, Application.id).limit(limit),
                  Application, actor)
    apps = session.scalars(stmt).all()
    since = entered(session, status, [a.id for a in apps])
    return [(a, since.get(a.id) or a.changed_on) for a in apps]


def is_office(actor: Actor) -> bool:
    """The registration office (officer, Admin): leavers and loans are its follow-up."""
    return bool(actor.roles & OFFICE)


def _leaver_condition(today: dt.date, move_out_days: int):
    """Residents who left more than the move-out period ago and still hold a page in the household."""
    return and_(Resident.leave_date.is_not(None), Resident.leave_date < today - dt.timedelta(days=move_out_days),
                Resident.status.in_(("active", "leaving")))


def leavers(session: Session, actor: Actor, today: dt.date, move_out_days: int, limit: int) -> tuple[int, list]:
    """Count and the longest-gone leavers past their move-out deadline."""
    cond = _leaver_condition(today, move_out_days)
    total = session.scalar(scoped(select(func.count(Resident.id)).where(cond), Resident, actor)) or 0
    stmt = (select(Resident.id, Resident.status, Resident.leave_date, Resident.name, Department.name)
            .outerjoin(Department, Department.id == Resident.department_id).where(cond)
            .order_by(Resident.leave_date, Resident.id).limit(limit))
    return total, (session.execute(scoped(stmt, Resident, actor)).tuples().all() if total else [])


def overdue_loans(session: Session, actor: Actor, today: dt.date, limit: int) -> tuple[int, list]:
    """Count and the longest-overdue page loans not returned."""
    cond = and_(PageLoan.returned_on.is_(None), PageLoan.due_on < today)
    total = session.scalar(scoped(select(func.count(PageLoan.id)).where(cond), PageLoan, actor)) or 0
    stmt = (select(PageLoan.id, PageLoan.lent_on, PageLoan.due_on, Resident.name)
            .join(Resident, Resident.id == PageLoan.resident_id).where(cond)
            .order_by(PageLoan.due_on, PageLoan.id).limit(limit))
    return total, (session.execute(scoped(stmt, PageLoan, actor)).tuples().all() if total else [])


def materials_to_verify(session: Session, actor: Actor, limit: int) -> tuple[int, list]:
    """Count and the oldest uploaded materials not yet verified nor returned, on applications in pre-review."""
    cond = and_(Material.verified.is_(False), Material.returned_reason.is_(None),
                Material.application_id.in_(select(Application.id)
                                            .where(Application.status.in_(VERIFY_STATUSES))))
    total = session.scalar(scoped(select(func.count(Material.id)).where(cond), Material, actor)) or 0
    stmt = (select(Material.id, Material.application_id, Material.uploaded_at, MaterialType.name, Resident.name)
            .join(MaterialType, MaterialType.id == Material.material_type_id)
            .join(Application, Application.id == Material.application_id)
            .join(Resident, Resident.id == Application.resident_id).where(cond)
            .order_by(Material.uploaded_at, Material.id).limit(limit))
    return total, (session.execute(scoped(stmt, Material, actor)).tuples().all() if total else [])


def fees_before_move_out(session: Session, actor: Actor, limit: int) -> tuple[int, list]:
    """Count and the unpaid fees of residents with a move-out in progress (it cannot complete before)."""
    moving = select(Application.resident_id).where(Application.type == "move_out",
                                                   Application.status.in_(OPEN_MOVE_OUT))
    cond = and_(Fee.status == "unpaid", Fee.resident_id.in_(moving))
    total = session.scalar(scoped(select(func.count(Fee.id)).where(cond), Fee, actor)) or 0
    stmt = (select(Fee.id, Fee.status, Fee.resident_id, Fee.due_on, Resident.name)
            .join(Resident, Resident.id == Fee.resident_id).where(cond)
            .order_by(Fee.due_on.asc().nulls_last(), Fee.id).limit(limit))
    return total, (session.execute(scoped(stmt, Fee, actor)).tuples().all() if total else [])


def move_out_started(session: Session, resident_ids: list[int]) -> dict[int, dt.datetime]:
    """When each resident's open move-out was handed in (the fee waits since then)."""
    if not resident_ids:
        return {}
    stmt = (select(Application.resident_id, func.min(func.coalesce(Application.submitted_at, Application.created_on)))
            .where(Application.type == "move_out", Application.status.in_(OPEN_MOVE_OUT),
                   Application.resident_id.in_(resident_ids)).group_by(Application.resident_id))
    return dict(session.execute(stmt).tuples().all())

