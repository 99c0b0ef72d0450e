"""The raw figures of a period, each one query over the rows the actor may see (row scope via app.dao.scoped).

No Flask: every function takes the session, the actor and the period. A move counts in the period in which its
application was completed (the `completed` row of the application history, local time).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm import Session

from ..dao import scoped
from ..security.scope import criteria
from ..domain.actor import Actor
from ..domain.errors import N_
from ..models import Application, ApplicationHistory, Department, PageLoan, Resident
from . import regions
from .periods import Period

MOVE_TYPES = ("move_in", "move_out")
# Move-out kinds (DOMAIN.md): the first whose keywords the reason or destination contains; else "other".
MOVE_OUT_KINDS = {
    "home": (N_("Bought a home"), ("购房", "买房", "房产")),
    "spouse": (N_("Joining a spouse or family"), ("投靠", "配偶", "夫妻", "父母", "子女")),
    "collective": (N_("Another unit's collective household"), ("集体户", "新单位", "调入", "调动")),
    "resign": (N_("Left the unit, back to home town"), ("离职", "辞职", "原籍", "解聘", "解除")),
    "other": (N_("Other"), ()),
}


def move_out_kind(reason: str | None, destination: str | None) -> str:
    """The move-out kind a reason (or failing that the destination) names."""
    for text in (reason or "", destination or ""):
        for kind, (_label, words) in MOVE_OUT_KINDS.items():
            if any(word in text for word in words):
                return kind
    return "other"


def completed_moves(session: Session, actor: Actor, period: Period) -> list[dict]:
    """Move-in and move-out applications completed in the period, one dict each (no personal numbers kept)."""
    start, end = period.utc_bounds()
    stmt = (select(Application.id, Application.type, Application.pathway, Application.reason,
                   Application.destination, Department.name, Resident.moved_from, Resident.id_number,
                   ApplicationHistory.at)
            .join(ApplicationHistory, ApplicationHistory.application_id == Application.id)
            .join(Resident, Resident.id == Application.resident_id)
            .outerjoin(Department, Department.id == Application.department_id)
            .where(ApplicationHistory.to_status == "completed", ApplicationHistory.at >= start,
                   ApplicationHistory.at < end, Application.type.in_(MOVE_TYPES)))
    out = []
    for app_id, typ, pathway, reason, destination, dept, moved_from, id_number, at in session.execute(
            scoped(stmt, Application, actor)):
        if typ == "move_in":
            kind = (pathway or "").strip()
            province = regions.province_in_text(moved_from) or regions.province_of_id(id_number)
        else:
            kind = move_out_kind(reason, destination)
            province = regions.province_in_text(destination)
        out.append({"id": app_id, "type": typ, "kind": kind, "department": dept or "", "province": province or "",
                    "at": at})
    return out


def _in_household_on(day: dt.date) -> tuple:
    """Residents in the household at 00:00 of `day`: moved in before it and not moved out before it, as two
    disjoint conditions (dated move-in; no move-in date), each cheap to count on its own.

    A row without a move-in date counts when it was entered before that day and no move-in application exists
    for it (a member registered before the system); a pending move-in has no date and an application, so it
    does not count. A moved-out row without a move-out date does not count (when it left is unknown).
    """
    start_utc = dt.datetime.combine(day, dt.time())  # created_on is UTC; the few hours of offset do not matter
    no_move_in = ~exists().where(Application.resident_id == Resident.id, Application.type == "move_in")
    not_out = or_(Resident.move_out_date >= day,
                  and_(Resident.move_out_date.is_(None), Resident.status != "moved_out"))
    return (and_(Resident.move_in_date < day, not_out),
            and_(Resident.move_in_date.is_(None), Resident.created_on < start_utc, not_out, no_move_in))


def residents_at(session: Session, actor: Actor, day: dt.date) -> int:
    """How many members the household had at the start of `day` (see _in_household_on)."""
    return sum(session.scalar(scoped(select(func.count(Resident.id)).where(cond), Resident, actor)) or 0
               for cond in _in_household_on(day))


def departures(session: Session, actor: Actor, period: Period) -> Counter:
    """Members who left the unit (leave date) in the period, counted per department name."""
    stmt = (select(Department.name, func.count(Resident.id)).select_from(Resident)
            .outerjoin(Department, Department.id == Resident.department_id)
            .where(Resident.leave_date >= period.start, Resident.leave_date < period.end)
            .group_by(Department.name))
    return Counter({name or "": n for name, n in session.execute(scoped(stmt, Resident, actor))})


def loans(session: Session, actor: Actor, period: Period, today: dt.date) -> dict:
    """Pages lent and returned in the period, and lent pages overdue at its cut-off day (not back by then)."""
    cutoff = period.cutoff(today)

    def flag(*where):
        return func.coalesce(func.sum(case((and_(*where), 1), else_=0)), 0)

    stmt = select(flag(PageLoan.lent_on >= period.start, PageLoan.lent_on < period.end),
                  flag(PageLoan.returned_on >= period.start, PageLoan.returned_on < period.end),
                  flag(PageLoan.lent_on <= cutoff, PageLoan.due_on < cutoff,
                       or_(PageLoan.returned_on.is_(None), PageLoan.returned_on > cutoff)))
    lent, returned, overdue = session.execute(scoped(stmt, PageLoan, actor)).one()  # one pass over the loans
    return {"lent": int(lent), "returned": int(returned), "overdue": int(overdue)}


def _visible_history(stmt, actor: Actor):
    """Limit a select over application_history to applications the actor may see (join only when scoped)."""
    if criteria(Application, actor) is None:
        return stmt
    return scoped(stmt.join(Application, Application.id == ApplicationHistory.application_id), Application, actor)


def first_pass(session: Session, actor: Actor, period: Period) -> tuple[int, int]:
    """(applications whose FIRST pre-review pass lies in the period, those never in needs_materials before it)."""
    start, end = period.utc_bounds()
    h, earlier = ApplicationHistory, aliased(ApplicationHistory)

    def before(*where):
        return exists().where(earlier.application_id == h.application_id, earlier.id < h.id, *where)

    clean = case((~before(earlier.to_status == "needs_materials"), 1), else_=0)
    stmt = (select(func.count(h.id), func.coalesce(func.sum(clean), 0))
            .where(h.action == "pass_review", h.at >= start, h.at < end, ~before(earlier.action == "pass_review")))
    passed, first = session.execute(_visible_history(stmt, actor)).one()
    return int(passed or 0), int(first or 0)


def stage_stays(session: Session, actor: Actor, period: Period) -> list[tuple[str, dt.date, dt.date, int]]:
    """Stays in a stage that ENDED in the period, grouped: (stage, local day entered, local day left, count).

    A stay is entered at the application's previous history row and left at the row leaving the stage.
    """
    from .kpis import STAGES
    from .sqlfn import as_date, local_day, offset_hours

    start, end = period.utc_bounds()
    h, prev = ApplicationHistory, aliased(ApplicationHistory)
    hours = offset_hours(period.start)
    entered_at = (select(prev.at).where(prev.application_id == h.application_id, prev.id < h.id)
                  .order_by(prev.id.desc()).limit(1).scalar_subquery())
    inner = _visible_history(select(h.from_status.label("stage"), entered_at.label("entered"), h.at.label("left"))
                             .where(h.at >= start, h.at < end, h.from_status.in_(list(STAGES))), actor)
    # MATERIALIZED: evaluated once per row (SQLite would otherwise repeat the correlated subquery per use)
    inner = inner.cte("stays").prefix_with("MATERIALIZED")
    entered, left = local_day(session, inner.c.entered, hours), local_day(session, inner.c.left, hours)
    stmt = (select(inner.c.stage, entered, left, func.count()).where(inner.c.entered.is_not(None))
            .group_by(inner.c.stage, entered, left))
    return [(stage, as_date(a), as_date(b), n) for stage, a, b, n in session.execute(stmt)]
