"""Chinese working days: the table seeded from chinese-calendar, the law fallback for 2027, the CLI."""
import datetime as dt
import random

import pytest

from app.calendar import law, workdays
from app.calendar.workdays import add_workdays, is_workday, workdays_between, years_without_data
from app.cli import hukou_cli
from app.desk.limits import due_on, stage_limit

D = dt.date


@pytest.fixture
def ctx(app):
    """An app context with a fresh calendar cache."""
    with app.app_context():
        workdays.invalidate()
        yield
        workdays.invalidate()


@pytest.mark.parametrize("day, expected", [
    (D(2026, 9, 30), True),    # Wednesday before National Day
    (D(2026, 10, 1), False), (D(2026, 10, 5), False), (D(2026, 10, 7), False),  # Golden Week
    (D(2026, 10, 8), True),
    (D(2026, 10, 10), True),   # Saturday: make-up working day (调休上班)
    (D(2026, 10, 11), False),  # Sunday
    (D(2026, 9, 20), True),    # Sunday: make-up working day
    (D(2026, 2, 16), False), (D(2026, 2, 14), True),  # Spring Festival 2026 and its make-up Saturday
    (D(2026, 12, 31), True),
    (D(2027, 1, 1), False),    # New Year 2027: no package data, the law gives 1 January
    (D(2027, 1, 4), True),
    (D(2027, 2, 5), False),    # 2027 除夕 (lunar), by the law
    (D(2027, 2, 9), False),    # 补假 for 春节 days on the weekend (办法 第六条)
    (D(2027, 10, 4), False),   # 补假 for 2 and 3 October 2027 (Saturday, Sunday)
])
def test_is_workday(ctx, day, expected):
    assert is_workday(day) is expected


@pytest.mark.parametrize("start, n, expected", [
    (D(2026, 9, 30), 3, D(2026, 10, 10)),  # the example
    (D(2026, 9, 30), 1, D(2026, 10, 8)),
    (D(2026, 9, 30), 0, D(2026, 9, 30)),
    (D(2026, 10, 8), -1, D(2026, 9, 30)),
    (D(2026, 12, 31), 1, D(2027, 1, 4)),   # across New Year 2027 (law fallback)
    (D(2026, 12, 30), 5, D(2027, 1, 7)),
])
def test_add_workdays(ctx, start, n, expected):
    assert add_workdays(start, n) == expected


def test_workdays_between_counts_the_half_open_range(ctx):
    assert workdays_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert workdays_between(D(2026, 10, 10), D(2026, 9, 30)) == 0
    assert workdays_between(D(2026, 10, 1), D(2026, 10, 1)) == 0
    assert workdays_between(D(2026, 12, 31), D(2027, 1, 4)) == 1


def test_workdays_between_matches_a_day_by_day_count(ctx):
    rng = random.Random(8)
    for _ in range(60):
        start = D(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 900))
        end = start + dt.timedelta(days=rng.randrange(0, 400))
        slow = sum(1 for i in range(1, (end - start).days + 1) if is_workday(start + dt.timedelta(days=i)))
        assert workdays_between(start, end) == slow, (start, end)
        if slow:
            assert add_workdays(start, slow) <= end and add_workdays(start, slow + 1) > end


def test_years_without_data(ctx):
    assert years_without_data([2026, 2027, 2025]) == [2027]
    assert years_without_data(range(2004, 2027)) == []


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_law_agrees_with_official_years(year):
    """Every statutory day the fallback computes is a holiday in the official arrangement of that year."""
    from chinese_calendar import is_holiday

    days = [day for _, block in law.statutory_blocks(year) for day in block]
    assert len(days) == 13  # 2025 revision: 元旦1, 春节4, 清明1, 劳动节2, 端午1, 中秋1, 国庆3
    assert all(is_holiday(day) for day in days), [d for d in days if not is_holiday(d)]


def test_cli_prints_the_date(app):
    result = app.test_cli_runner().invoke(hukou_cli, ["workdays", "2026-09-30", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2026-10-10" and "警告" not in result.stderr


def test_cli_warns_for_a_year_without_data(app):
    result = app.test_cli_runner().invoke(hukou_cli, ["workdays", "2026-12-31", "1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2027-01-04"
    assert "2027" in result.stderr and "法定假日" in result.stderr


def test_cli_refuses_a_bad_date(app):
    result = app.test_cli_runner().invoke(hukou_cli, ["workdays", "2026-13-01", "1"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


@pytest.mark.parametrize("status, since, expected", [
    ("submitted", D(2026, 9, 30), D(2026, 10, 10)),   # 3 working days
    ("at_police", D(2026, 9, 30), D(2026, 10, 20)),   # 10 working days
    ("leaver", D(2026, 9, 30), D(2026, 10, 30)),      # 30 calendar days
    ("loan", D(2026, 9, 30), D(2026, 10, 15)),        # 15 calendar days
    ("draft", D(2026, 9, 30), None),
])
def test_stage_limits(ctx, status, since, expected):
    assert due_on(status, since) == expected


def test_stage_limit_is_a_setting(app, ctx):
    old = app.config["HUKOU_LIMIT_DEPT_DAYS"]
    app.config["HUKOU_LIMIT_DEPT_DAYS"] = 5
    try:
        assert stage_limit("dept_review") == (5, "work")
        assert due_on("dept_review", D(2026, 9, 30)) == D(2026, 10, 13)
    finally:
        app.config["HUKOU_LIMIT_DEPT_DAYS"] = old
