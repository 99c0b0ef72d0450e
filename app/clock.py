"""The one clock: UTC timestamps for storage, and "today" as the office's calendar day (configured zone)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

_zone = ZoneInfo("Asia/Shanghai")


def configure(zone_name: str) -> None:
    """Set the office's time zone (BABEL_DEFAULT_TIMEZONE) once at start-up."""
    global _zone
    _zone = ZoneInfo(zone_name)


def zone() -> ZoneInfo:
    """The office's time zone."""
    return _zone


def utcnow() -> dt.datetime:
    """Naive UTC now: every stored timestamp column uses it."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def now() -> dt.datetime:
    """Aware local now in the office's zone."""
    return dt.datetime.now(_zone)


def today() -> dt.date:
    """The office's calendar day: due dates, deadlines, archive years and file names use it, never date.today()."""
    return now().date()


def local(stamp: dt.datetime | None) -> dt.datetime | None:
    """A stored naive-UTC timestamp as an aware local time."""
    if stamp is None:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(_zone)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The naive-UTC [start, end) of a local calendar day, for filtering stored timestamps."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=_zone)
    end = start + dt.timedelta(days=1)
    return (start.astimezone(dt.timezone.utc).replace(tzinfo=None),
            end.astimezone(dt.timezone.utc).replace(tzinfo=None))
