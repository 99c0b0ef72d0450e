"""Report periods: a month or a year of local calendar days, and its bounds as stored (naive UTC) timestamps."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .. import clock
from ..domain.errors import DomainError, Message, N_

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
FIRST_YEAR, LAST_YEAR = 1950, 2100


@dataclass(frozen=True)
class Period:
    """Local days [start, end): `label` is YYYY-MM for a month, YYYY for a year."""

    label: str
    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        """The period's last calendar day."""
        return self.end - dt.timedelta(days=1)

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as naive UTC timestamps: local midnight of the first and of the day after the last."""
        return clock.local_day_bounds(self.start)[0], clock.local_day_bounds(self.end)[0]

    def cutoff(self, today: dt.date) -> dt.date:
        """The day a "still open at the end" figure is taken: the last day, or today for a running period."""
        return min(self.last_day, today)


def _bad_month(text: object) -> DomainError:
    """The 400 for a month that is not YYYY-MM."""
    return DomainError(Message("bad_month", N_("Month: %(value)s is not a month in the form YYYY-MM, "
                                               "e.g. 2026-11"), {"value": str(text)[:20]}))


def month(text: str | None) -> Period:
    """The month named YYYY-MM (also YYYY-M); DomainError naming the field otherwise."""
    match = _MONTH.fullmatch((text or "").strip())
    if not match:
        raise _bad_month(text)
    year, mon = int(match.group(1)), int(match.group(2))
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= mon <= 12):
        raise _bad_month(text)
    start = dt.date(year, mon, 1)
    end = dt.date(year + mon // 12, mon % 12 + 1, 1)
    return Period(f"{year:04d}-{mon:02d}", start, end)


def year(text: str | int | None) -> Period:
    """The calendar year YYYY; DomainError naming the field otherwise."""
    value = str(text or "").strip()
    if not _YEAR.fullmatch(value) or not FIRST_YEAR <= int(value) <= LAST_YEAR:
        raise DomainError(Message("bad_year", N_("Year: %(value)s is not a year such as 2026"),
                                  {"value": value[:20]}))
    return Period(value, dt.date(int(value), 1, 1), dt.date(int(value) + 1, 1, 1))


def months_of(period: Period) -> list[Period]:
    """The months a period covers, in order."""
    out, day = [], period.start
    while day < period.end:
        out.append(month(f"{day.year}-{day.month}"))
        day = out[-1].end
    return out


def current_month(today: dt.date) -> Period:
    """The month containing `today`."""
    return month(f"{today.year}-{today.month}")
