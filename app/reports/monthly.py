"""The monthly report (统计月报) and the annual summary (年度汇总) as plain dicts (no Flask; JSON-ready).

    report = build(session, actor, periods.month("2026-11"), today)
Keys of the issue: month, moves_in / moves_out ({total, by_department, by_type}), departures, departure_rate,
loans {lent, returned, overdue}, first_pass_rate. Department names, pathways and province names are data; the
empty string means "none / unknown" and move-out kinds are codes: app.reports.present renders both.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..dao import scoped
from ..domain.actor import Actor
from ..models import Application, Fee, Material, PageLoan, Resident
from . import figures, kpis
from .periods import Period, months_of

NOTE_NO_CALENDAR = "no_calendar"
NOTE_LAW_FALLBACK = "law_fallback"
NOTE_NO_REMINDERS = "no_reminders"
# Reminders are counted for objects the actor may see (unknown object types are not counted: fails closed).
REMINDER_OBJECTS = (Application, Resident, PageLoan, Fee, Material)


def moves_summary(rows: list[dict], typ: str) -> dict:
    """{total, by_department, by_type, by_province} of one move type, keys sorted by count then name."""
    mine = [r for r in rows if r["type"] == typ]

    def tally(key: str) -> dict:
        counts = Counter(r[key] for r in mine)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    return {"total": len(mine), "by_department": tally("department"), "by_type": tally("kind"),
            "by_province": tally("province")}


def reminders_sent(session: Session, actor: Actor, period: Period) -> int | None:
    """Notifications (reminders and 催办) created in the period about visible objects; None without the table."""
    try:
        from ..models.notifications import Notification
    except ImportError:
        return None
    start, end = period.utc_bounds()
    base = select(func.count(Notification.id)).where(Notification.created_at >= start,
                                                      Notification.created_at < end)
    if actor.unit_wide:
        return session.scalar(base) or 0
    total = 0
    for model in REMINDER_OBJECTS:
        total += session.scalar(base.where(Notification.object_type == model.__name__,
                                           Notification.object_id.in_(scoped(select(model.id), model, actor)))) or 0
    return total


def _kpis(session: Session, actor: Actor, period: Period, notes: list[str], stages: bool = True) -> dict:
    """First-pass rate and working days per stage, counted by the database from the period's history rows."""
    first = kpis.first_pass_rate(*figures.first_pass(session, actor, period))
    if not stages:
        return {"first_pass": first, "stages": {}}
    counter, official = kpis.workday_counter()
    if not official:
        notes.append(NOTE_NO_CALENDAR)
        between = counter
    else:
        from app.calendar.workdays import years_without_data

        if years_without_data(range(period.start.year - 1, period.last_day.year + 1), session):
            notes.append(NOTE_LAW_FALLBACK)
        between = lambda a, b: counter(a, b, session)  # noqa: E731
    return {"first_pass": first, "stages": kpis.stage_times(figures.stage_stays(session, actor, period), between)}


def build(session: Session, actor: Actor, period: Period, today: dt.date, stages: bool = True) -> dict:
    """Every figure of the period for this actor's rows (`stages=False`: without the working days per stage)."""
    notes: list[str] = []
    moves = figures.completed_moves(session, actor, period)
    at_start = figures.residents_at(session, actor, period.start)
    leavers = figures.departures(session, actor, period)
    left = sum(leavers.values())
    kpi = _kpis(session, actor, period, notes, stages)
    reminders = reminders_sent(session, actor, period)
    if reminders is None:
        notes.append(NOTE_NO_REMINDERS)
    return {
        "month": period.label,
        "period": {"start": period.start.isoformat(), "end": period.last_day.isoformat(),
                   "cutoff": period.cutoff(today).isoformat()},
        "moves_in": moves_summary(moves, "move_in"),
        "moves_out": moves_summary(moves, "move_out"),
        "departures": left,
        "departures_by_department": dict(sorted(leavers.items(), key=lambda kv: (-kv[1], kv[0]))),
        "residents_at_start": at_start,
        "departure_rate": round(left / at_start, 4) if at_start else None,
        "loans": figures.loans(session, actor, period, today),
        "first_pass_rate": kpi["first_pass"]["rate"],
        "first_pass": {"passed": kpi["first_pass"]["passed"], "first_pass": kpi["first_pass"]["first_pass"]},
        "stage_workdays": kpi["stages"],
        "reminders_sent": reminders or 0,
        "notes": notes,
    }


def annual(session: Session, actor: Actor, year: Period, today: dt.date) -> dict:
    """The year as one period (the same figures) plus one row of totals per month, for the audit."""
    report = build(session, actor, year, today)
    report["year"] = report.pop("month")
    report["months"] = []
    for month in months_of(year):
        if month.start > today:
            break
        one = build(session, actor, month, today, stages=False)  # the month rows carry no stage times
        report["months"].append({
            "month": one["month"], "moves_in": one["moves_in"]["total"], "moves_out": one["moves_out"]["total"],
            "residents_at_start": one["residents_at_start"], "departures": one["departures"],
            "departure_rate": one["departure_rate"], "loans_lent": one["loans"]["lent"],
            "loans_returned": one["loans"]["returned"], "loans_overdue": one["loans"]["overdue"],
            "first_pass_rate": one["first_pass_rate"], "reminders_sent": one["reminders_sent"]})
    return report
