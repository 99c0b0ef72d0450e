"""SQL for the office's calendar day and month of a stored (naive UTC) timestamp, so that big periods are counted
by the database in groups instead of row by row in Python (SQLite and PostgreSQL).

The zone's offset is taken once for the period (exact for zones without daylight saving, e.g. Asia/Shanghai).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String, cast, func, literal_column
from sqlalchemy.orm import Session

from .. import clock


def offset_hours(at: dt.date) -> float:
    """The office zone's offset from UTC on a day, in hours."""
    local = clock.local(dt.datetime.combine(at, dt.time(12)))
    return local.utcoffset().total_seconds() / 3600


def local_day(session: Session, column, hours: float):
    """SQL: the local calendar day of a UTC timestamp column, as text YYYY-MM-DD."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, f"{hours:+.2f} hours")
    shifted = column + literal_column(f"interval '{int(round(hours * 60))} minutes'")
    return cast(cast(shifted, Date), String)


def local_month(session: Session, column, hours: float):
    """SQL: the local month of a UTC timestamp column, as text YYYY-MM."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", column, f"{hours:+.2f} hours")
    shifted = column + literal_column(f"interval '{int(round(hours * 60))} minutes'")
    return func.to_char(shifted, "YYYY-MM")


def as_date(value) -> dt.date:
    """A day selected by local_day (text, or a date on some drivers) as a date."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
