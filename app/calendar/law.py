"""The statutory holidays of 《全国年节及纪念日放假办法》 (2025 revision), for a year without official data.

Without the State Council's yearly notice there are no make-up working days (调休); a statutory day that
falls on a Saturday or Sunday is made up on the next working day (办法 第六条, 补假). Spring Festival, Dragon
Boat and Mid-Autumn follow the lunar calendar (borax), Qingming the solar term (chinese-calendar).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

D = dt.date


def _lunar(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a lunar-calendar day of `year`."""
    from borax.calendars.lunardate import LunarDate

    return LunarDate(year, month, day).to_solar_date()


def _qingming(year: int) -> dt.date:
    """The 清明 solar term of `year` (4 or 5 April)."""
    from chinese_calendar import get_solar_terms

    for day, name in get_solar_terms(D(year, 4, 1), D(year, 4, 10)):
        if name == "清明":
            return day
    return D(year, 4, 5)  # pragma: no cover  (the formula covers 1900–2100)


def statutory_blocks(year: int) -> list[tuple[str, list[dt.date]]]:
    """The holidays the law gives everybody in `year`, as (name, consecutive days): 13 days in all."""
    new_year = _lunar(year, 1, 1)
    return [
        ("元旦", [D(year, 1, 1)]),
        ("春节", [new_year - dt.timedelta(days=1)] + [new_year + dt.timedelta(days=i) for i in range(3)]),
        ("清明节", [_qingming(year)]),
        ("劳动节", [D(year, 5, 1), D(year, 5, 2)]),
        ("端午节", [_lunar(year, 5, 5)]),
        ("中秋节", [_lunar(year, 8, 15)]),
        ("国庆节", [D(year, 10, 1), D(year, 10, 2), D(year, 10, 3)]),
    ]


@lru_cache(maxsize=64)
def law_holidays(year: int) -> dict[dt.date, str]:
    """Weekdays off in `year` by the law alone: the statutory days plus 补假 for those on a weekend."""
    off: dict[dt.date, str] = {}
    blocks = statutory_blocks(year)
    taken = {day for _, days in blocks for day in days}
    for name, days in blocks:
        owed = 0
        for day in days:
            if day.weekday() < 5:
                off[day] = name
            else:
                owed += 1
        day = max(days)
        while owed:
            day += dt.timedelta(days=1)
            if day.weekday() < 5 and day not in taken and day not in off:
                off[day] = f"{name}（补假）"
                owed -= 1
    return {day: name for day, name in off.items() if day.year == year}
