"""Writing the calendar table: seeding official years from the chinese-calendar package, importing a year
published by the State Council from a small file (日期, 类型, 名称), and reading such a file."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.calendar import workdays
from app.clock import utcnow
from app.domain.errors import DomainError, Message, N_

KIND_WORDS = {"放假": "holiday", "休息": "holiday", "假日": "holiday", "节假日": "holiday", "holiday": "holiday",
              "上班": "workday", "调休上班": "workday", "补班": "workday", "工作日": "workday", "workday": "workday"}
HEADERS = {"date": ("日期", "date"), "kind": ("类型", "kind"), "name": ("名称", "name", "节日")}
MAX_ROWS = 400


class CalendarFileError(DomainError):
    """The calendar file cannot be imported; nothing was changed."""


@dataclass
class ImportResult:
    """What an import changed: per year, the rows written; rows equal to the plain week are skipped."""

    years: dict[int, int] = field(default_factory=dict)
    skipped: int = 0


def package_years() -> range:
    """The years the chinese-calendar package has official data for (it raises for any other year)."""
    from chinese_calendar.constants import holidays

    return range(min(holidays).year, max(holidays).year + 1)


def _package_rows(years: Iterable[int]) -> Iterator[tuple[dt.date, str, str]]:
    """(day, kind, name) for each day of `years` the package gives a deviation from the plain week."""
    from chinese_calendar.constants import Holiday, holidays, workdays as make_up

    chinese = {h.value: h.chinese for h in Holiday}
    wanted = set(years)
    for day, holiday in holidays.items():
        if day.year in wanted and day.weekday() < 5:
            yield day, "holiday", chinese.get(holiday, holiday)
    for day, holiday in make_up.items():
        if day.year in wanted and day.weekday() >= 5:
            yield day, "workday", f"{chinese.get(holiday, holiday)}调休上班"


def seed_official(session: Session) -> list[int]:
    """Load the package's years that the table does not hold yet; returns the years loaded. Idempotent."""
    from app.models.calendar import CalendarDay, CalendarYear

    have = set(session.scalars(select(CalendarYear.year)))
    years = [y for y in package_years() if y not in have]
    if not years:
        return []
    taken = set(session.scalars(select(CalendarDay.day)))  # an Admin's edit of the same day wins
    rows = [{"day": day, "kind": kind, "name": name, "source": "official"}
            for day, kind, name in _package_rows(years) if day not in taken]
    if rows:  # Core insert: reference data, not 600 "record created" audit rows
        session.execute(insert(CalendarDay), rows)
    session.execute(insert(CalendarYear), [{"year": y, "source": "official", "loaded_at": utcnow()} for y in years])
    workdays.invalidate()
    return years


def _fail(code: str, msgid: str, **params) -> CalendarFileError:
    """A CalendarFileError with one message."""
    return CalendarFileError(Message(code, msgid, params))


def _columns(header: list) -> dict[str, int]:
    """Column positions of 日期 / 类型 / 名称 in the header row."""
    names = [str(c or "").strip().lower() for c in header]
    out = {}
    for key, words in HEADERS.items():
        found = [i for i, n in enumerate(names) if n in words]
        if not found and key != "name":
            raise _fail("cal_header", N_("The first row must name the columns 日期, 类型 (放假/上班) and 名称"))
        if found:
            out[key] = found[0]
    return out


def parse_rows(rows: Iterable[list]) -> list[tuple[dt.date, str, str]]:
    """(day, kind, name) from a header row and data rows; every bad row is named in one error."""
    from app.imports.cells import CellError, date

    it = iter(rows)
    cols = _columns(next(it, []))
    out, problems = [], []
    for number, row in enumerate(it, start=2):
        cell = lambda key: row[cols[key]] if key in cols and cols[key] < len(row) else None  # noqa: E731
        if all(c in (None, "") for c in row):
            continue
        try:
            day = date(cell("date"))
        except CellError:
            day = None
        kind = KIND_WORDS.get(str(cell("kind") or "").strip().lower())
        if day is None or kind is None:
            problems.append(Message("cal_row", N_("Row %(row)d: write the date as 2027-01-01 and the type as 放假 or 上班"),
                                    {"row": number}))
            continue
        out.append((day, kind, str(cell("name") or "").strip()[:40]))
    if problems:
        raise CalendarFileError(*problems[:20])
    if not out:
        raise _fail("cal_empty", N_("The file holds no calendar rows"))
    if len(out) > MAX_ROWS:
        raise _fail("cal_too_many", N_("A calendar file holds at most %(n)d rows"), n=MAX_ROWS)
    if len({d for d, _, _ in out}) != len(out):
        raise _fail("cal_duplicate", N_("A date appears twice in the file"))
    return out


def read_file(path: Path, name: str) -> list[tuple[dt.date, str, str]]:
    """The rows of an uploaded CSV or xlsx calendar file (same checks as every import)."""
    from app.imports.reading import open_rows

    return parse_rows(open_rows(path, name, max_mb=1))


def import_year_rows(uow, rows: list[tuple[dt.date, str, str]]) -> ImportResult:
    """Replace each year present in `rows` by the file's days and mark it official (source admin)."""
    from app.models.calendar import CalendarDay, CalendarYear

    session, result = uow.session, ImportResult()
    years = sorted({d.year for d, _, _ in rows})
    for year in years:
        session.execute(delete(CalendarDay).where(CalendarDay.day >= dt.date(year, 1, 1),
                                                  CalendarDay.day <= dt.date(year, 12, 31)))
    values = []
    for day, kind, name in rows:
        if (kind == "holiday") == (day.weekday() < 5):
            result.years[day.year] = result.years.get(day.year, 0) + 1
            values.append({"day": day, "kind": kind, "source": "admin",
                           "name": name or ("放假" if kind == "holiday" else "调休上班")})
        else:
            result.skipped += 1
    if values:  # Core insert; the audit row per year below records the import
        session.execute(insert(CalendarDay), values)
    for year in years:
        result.years.setdefault(year, 0)
        row = session.get(CalendarYear, year)
        if row is None:
            session.add(CalendarYear(year=year, source="admin"))
        else:
            row.source, row.loaded_at = "admin", utcnow()
        uow.record("import", object_type="CalendarYear", object_id=year, detail={"rows": result.years[year]})
    session.flush()
    uow.after_commit(workdays.invalidate)
    workdays.invalidate()
    return result
