"""Figures for the home page: work waiting per status, leavers who have not moved out, overdue page loans."""
from __future__ import annotations

import datetime as dt

from .clock import today as local_today
from .domain.actor import Actor

from sqlalchemy import func, select

from .dao import scoped
from .extensions import db
from .models import Application, PageLoan, Resident


def pending_by_status(actor: Actor) -> list[tuple[str, int]]:
    """Open applications visible to the user, counted per status."""
    from .domain.workflow import OPEN_STATUSES

    stmt = scoped(select(Application.status, func.count(Application.id))
                  .where(Application.status.in_(sorted(OPEN_STATUSES))).group_by(Application.status), Application, actor)
    return sorted(db.session.execute(stmt).tuples(), key=lambda t: t[0])


def overdue_leavers(actor: Actor, days: int, today: dt.date | None = None, limit: int = 20) -> tuple[int, list[Resident]]:
    """Residents who left more than `days` ago and are still in the household (the main source of trouble)."""
    cutoff = (today or local_today()) - dt.timedelta(days=days)
    cond = (Resident.leave_date.is_not(None), Resident.leave_date < cutoff,
            Resident.status.in_(("active", "leaving")))
    total = db.session.scalar(scoped(select(func.count(Resident.id)).where(*cond), Resident, actor)) or 0
    rows = db.session.scalars(scoped(select(Resident).where(*cond).order_by(Resident.leave_date)
                                     .limit(limit), Resident, actor)).all()
    return total, rows


def overdue_loans(actor: Actor, today: dt.date | None = None) -> int:
    """Lent pages past their due date and not returned."""
    stmt = select(func.count(PageLoan.id)).where(PageLoan.returned_on.is_(None),
                                                 PageLoan.due_on < (today or local_today()))
    return db.session.scalar(scoped(stmt, PageLoan, actor)) or 0
