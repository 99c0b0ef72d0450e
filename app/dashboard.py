"""Figures for the home page: work waiting per status, leavers who have not moved out, overdue page loans."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from .dao import scoped
from .extensions import db
from .models import Application, PageLoan, Resident


def pending_by_status() -> list[tuple[str, int]]:
    """Open applications visible to the user, counted per status."""
    from .domain.workflow import OPEN_STATUSES

    stmt = scoped(select(Application.status, func.count(Application.id))
                  .where(Application.status.in_(sorted(OPEN_STATUSES))).group_by(Application.status), Application)
    return sorted(db.session.execute(stmt).tuples(), key=lambda t: t[0])


def overdue_leavers(days: int, today: dt.date | None = None, limit: int = 20) -> tuple[int, list[Resident]]:
    """Residents who left more than `days` ago and are still in the household (the main source of trouble)."""
    cutoff = (today or dt.date.today()) - dt.timedelta(days=days)
    cond = (Resident.leave_date.is_not(None), Resident.leave_date < cutoff,
            Resident.status.in_(("active", "leaving")))
    total = db.session.scalar(scoped(select(func.count(Resident.id)).where(*cond), Resident)) or 0
    rows = db.session.scalars(scoped(select(Resident).where(*cond).order_by(Resident.leave_date)
                                     .limit(limit), Resident)).all()
    return total, rows


def overdue_loans(today: dt.date | None = None) -> int:
    """Lent pages past their due date and not returned."""
    stmt = select(func.count(PageLoan.id)).where(PageLoan.returned_on.is_(None),
                                                 PageLoan.due_on < (today or dt.date.today()))
    return db.session.scalar(scoped(stmt, PageLoan)) or 0
