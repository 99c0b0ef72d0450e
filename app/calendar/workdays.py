"""Chinese working days: Mon–Fri work and Sat/Sun off, corrected by the calendar table (statutory holidays,
make-up working days); a year without official data falls back to the law (app.calendar.law).

Plain module: it reads the table through the session passed in, else the app's `db.session`. The table is
read once per process and kept for CACHE_SECONDS (another worker's edit shows up within that time); edits
made through app.calendar.service call invalidate() at once.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar.law import law_holidays

CACHE_SECONDS = 60.0
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class _Year:
    """One year's deviations from the plain week: weekdays off and weekend days worked."""

    off: frozenset[dt.date]
    on: frozenset[dt.date]
    official: bool
    # Sorted deviations with their effect on a count of working days (-1 weekday off, +1 weekend worked).
    changes: tuple[dt.date, ...]
    deltas: tuple[int, ...]


@dataclass(frozen=True)
class _Snapshot:
    """The whole table as read once: deviating days and the official years."""

    holidays: dict[dt.date, str]
    workdays: dict[dt.date, str]
    official_years: frozenset[int]
    loaded: float


_lock = threading.Lock()
_snapshot: _Snapshot | None = None
_years: dict[int, _Year] = {}


def _session(session: Session | None) -> Session:
    """The session to read with: the one passed in, else the application's."""
    if session is not None:
        return session
    from app.extensions import db  # late: the module itself stays free of Flask

    return db.session


def invalidate() -> None:
    """Forget the cached table (after an edit or an import)."""
    global _snapshot
    with _lock:
        _snapshot = None
        _years.clear()


def _load(session: Session | None) -> _Snapshot:
    """The cached snapshot, re-read when missing or older than CACHE_SECONDS."""
    global _snapshot
    snap = _snapshot
    if snap is not None and time.monotonic() - snap.loaded < CACHE_SECONDS:
        return snap
    from app.models.calendar import CalendarDay, CalendarYear

    s = _session(session)
    holidays, workdays = {}, {}
    for day, kind, name in s.execute(select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)).tuples():
        (holidays if kind == "holiday" else workdays)[day] = name
    official = frozenset(s.scalars(select(CalendarYear.year)))
    snap = _Snapshot(holidays, workdays, official, time.monotonic())
    with _lock:
        _snapshot = snap
        _years.clear()
    return snap


def _year(year: int, session: Session | None = None) -> _Year:
    """The deviations of one year: the table's rows, plus the law's holidays when the year is not official."""
    snap = _load(session)
    cached = _years.get(year)
    if cached is not None:
        return cached
    official = year in snap.official_years
    off = {d for d in snap.holidays if d.year == year}
    on = {d for d in snap.workdays if d.year == year}
    if not official:
        off |= {d for d in law_holidays(year) if d not in on}
    off = {d for d in off if d.weekday() < 5}
    on = {d for d in on if d.weekday() >= 5}
    changes = sorted(off | on)
    result = _Year(frozenset(off), frozenset(on), official, tuple(changes),
                   tuple(-1 if d in off else 1 for d in changes))
    _years[year] = result
    return result


def is_workday(day: dt.date, session: Session | None = None) -> bool:
    """True when `day` is a working day in China (holidays off, 调休 make-up days on)."""
    year = _year(day.year, session)
    if day in year.off:
        return False
    if day in year.on:
        return True
    return day.weekday() < 5


def holiday_name(day: dt.date, session: Session | None = None) -> str | None:
    """The name of the holiday or make-up working day on `day`, if the table or the law names one."""
    snap = _load(session)
    name = snap.holidays.get(day) or snap.workdays.get(day)
    if name is None and day.year not in snap.official_years:
        name = law_holidays(day.year).get(day)
    return name


def add_workdays(start: dt.date, n: int, session: Session | None = None) -> dt.date:
    """The n-th working day strictly after `start` (n < 0: strictly before; n == 0: `start` itself)."""
    step = ONE_DAY if n >= 0 else -ONE_DAY
    day, left = start, abs(n)
    while left:
        day += step
        if is_workday(day, session):
            left -= 1
    return day


def _weekdays_upto(day: dt.date) -> int:
    """Mon–Fri days from a fixed Monday up to and including `day` (for differences only)."""
    ordinal = day.toordinal() - dt.date(1, 1, 1).toordinal()  # 0001-01-01 is a Monday
    weeks, rest = divmod(ordinal + 1, 7)
    return weeks * 5 + min(rest, 5)


def workdays_between(start: dt.date, end: dt.date, session: Session | None = None) -> int:
    """Working days in (start, end]; 0 when end <= start. Cheap for long spans: weekdays by arithmetic."""
    if end <= start:
        return 0
    count = _weekdays_upto(end) - _weekdays_upto(start)
    for year in range(start.year, end.year + 1):
        y = _year(year, session)
        lo, hi = bisect_right(y.changes, start), bisect_right(y.changes, end)
        count += sum(y.deltas[lo:hi])
    return count


def years_without_data(years: Iterable[int], session: Session | None = None) -> list[int]:
    """The years among `years` whose holidays are not official (law fallback in use), ascending."""
    official = _load(session).official_years
    return sorted({y for y in years if y not in official})

