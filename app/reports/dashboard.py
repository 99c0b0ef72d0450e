"""The statistics dashboard (统计看板): residents by status, applications by stage, overdue items, this month's
moves and the last twelve months' trend, for the actor's rows (no Flask)."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..dao import scoped
from ..domain.actor import Actor
from ..domain.workflow_table import OPEN_STATUSES, STATUSES
from ..models import Application, Fee, PageLoan, Resident
from ..models.resident import RESIDENT_STATUSES
from . import figures
from .monthly import moves_summary
from .periods import Period, current_month, month
from .sqlfn import local_month, offset_hours

TREND_MONTHS = 12
# Open applications someone other than the applicant acts on (drafts are nobody's queue).
STAGE_ORDER = [s for s in STATUSES if s in OPEN_STATUSES and s != "draft"]


def residents_by_status(session: Session, actor: Actor) -> dict[str, int]:
    """Visible residents per hukou status, in the statuses' order."""
    stmt = select(Resident.status, func.count(Resident.id)).group_by(Resident.status)
    counts = dict(session.execute(scoped(stmt, Resident, actor)).tuples().all())
    return {s: counts.get(s, 0) for s in RESIDENT_STATUSES}


def applications_by_stage(session: Session, actor: Actor) -> dict[str, int]:
    """Visible open applications per waiting status (drafts left out)."""
    stmt = (select(Application.status, func.count(Application.id))
            .where(Application.status.in_(STAGE_ORDER)).group_by(Application.status))
    counts = dict(session.execute(scoped(stmt, Application, actor)).tuples().all())
    return {s: counts.get(s, 0) for s in STAGE_ORDER}


def overdue(session: Session, actor: Actor, today: dt.date, move_out_days: int) -> dict[str, int]:
    """Pages not back by their due date, leavers past the move-out deadline, unpaid fees past 应缴日期."""
    def count(model, *where) -> int:
        return session.scalar(scoped(select(func.count(model.id)).where(*where), model, actor)) or 0

    return {
        "loans": count(PageLoan, PageLoan.returned_on.is_(None), PageLoan.due_on < today),
        "leavers": count(Resident, Resident.leave_date < today - dt.timedelta(days=move_out_days),
                         Resident.status.in_(("active", "leaving"))),
        "fees": count(Fee, Fee.status == "unpaid", Fee.due_on < today),
    }


def trend(session: Session, actor: Actor, today: dt.date, months: int = TREND_MONTHS) -> list[dict]:
    """Moves in and out completed per month over the last `months` months (this one included)."""
    first = current_month(today)
    for _ in range(months - 1):
        prev = first.start - dt.timedelta(days=1)
        first = month(f"{prev.year}-{prev.month}")
    span = Period("trend", first.start, current_month(today).end)
    start, end = span.utc_bounds()
    # Application.completed_at is written in the same transition as the history's `completed` row; its index
    # (type, completed_at) lets twelve months be counted without reading the history
    when = local_month(session, Application.completed_at, offset_hours(today))
    stmt = (select(when, Application.type, func.count())
            .where(Application.type.in_(figures.MOVE_TYPES), Application.completed_at >= start,
                   Application.completed_at < end)
            .group_by(when, Application.type))
    counts: Counter = Counter({(str(m), typ): n for m, typ, n in session.execute(scoped(stmt, Application, actor))})
    out, day = [], first.start
    while day < span.end:
        label = f"{day.year:04d}-{day.month:02d}"
        out.append({"month": label, "move_in": counts[(label, "move_in")], "move_out": counts[(label, "move_out")]})
        day = month(label).end
    return out


def build(session: Session, actor: Actor, today: dt.date, move_out_days: int) -> dict:
    """Every figure of the dashboard."""
    this_month = current_month(today)
    moves = figures.completed_moves(session, actor, this_month)
    return {
        "today": today.isoformat(),
        "month": this_month.label,
        "residents_by_status": residents_by_status(session, actor),
        "applications_by_stage": applications_by_stage(session, actor),
        "overdue": overdue(session, actor, today, move_out_days),
        "moves_in": moves_summary(moves, "move_in"),
        "moves_out": moves_summary(moves, "move_out"),
        "trend": trend(session, actor, today),
    }
