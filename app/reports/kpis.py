"""KPIs from the application history: first-pass rate of materials and working days spent per stage (no Flask)."""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Callable

from ..domain.errors import N_

# The stages an application waits in, by the status it waits in.
STAGES = {
    "submitted": N_("Pre-review"),
    "dept_review": N_("Department approval"),
    "leader_review": N_("Leader approval"),
    "entry": N_("Police-system entry"),
    "at_police": N_("Police-station review"),
}


def weekday_count(start: dt.date, end: dt.date) -> int:
    """Monday-to-Friday days after `start` up to and including `end` (used only without the holiday calendar)."""
    return sum(1 for n in range(1, (end - start).days + 1) if (start + dt.timedelta(days=n)).weekday() < 5)


def workday_counter() -> tuple[Callable[[dt.date, dt.date], int], bool]:
    """The working-day count between two days: the holiday calendar's if installed (True), else weekdays."""
    try:
        from app.calendar.workdays import workdays_between
    except ImportError:
        return weekday_count, False
    return workdays_between, True


def memo(between: Callable[[dt.date, dt.date], int]) -> Callable[[dt.date, dt.date], int]:
    """The same count for the same two days computed once (many stays share their days)."""
    seen: dict[tuple[dt.date, dt.date], int] = {}

    def counted(a: dt.date, b: dt.date) -> int:
        key = (a, b)
        if key not in seen:
            seen[key] = between(a, b)
        return seen[key]

    return counted


def first_pass_rate(passed: int, clean: int) -> dict:
    """The first-pass figures: how many passed pre-review, how many at the first look, the rate (4 places)."""
    return {"passed": passed, "first_pass": clean, "rate": round(clean / passed, 4) if passed else None}


def weighted_percentile(counts: dict[int, int], share: float) -> int | None:
    """Nearest-rank percentile of values given as value → how many times it occurs."""
    total = sum(counts.values())
    if not total:
        return None
    rank, seen = max(math.ceil(share * total), 1), 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return None


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    return weighted_percentile(Counter(values), share)


def stage_times(stays: list[tuple[str, dt.date, dt.date, int]], between: Callable[[dt.date, dt.date], int]) -> dict:
    """Count, average and 90th percentile of working days per stage from grouped stays (stage, in, out, n)."""
    days: dict[str, Counter] = {stage: Counter() for stage in STAGES}
    count = memo(between)
    for stage, entered, left, n in stays:
        if stage in days:
            days[stage][count(entered, left)] += n
    out = {}
    for stage, counts in days.items():
        total = sum(counts.values())
        out[stage] = {"count": total,
                      "average": round(sum(d * n for d, n in counts.items()) / total, 1) if total else None,
                      "p90": weighted_percentile(counts, 0.9)}
    return out
