"""`flask --app run hukou workdays DATE N` and `hukou calendar import FILE | status`."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


def fallback_warning(years: list[int]) -> str:
    """The warning printed (CLI) and shown (home page) when a year has no official holiday data."""
    listed = "、".join(str(y) for y in years)
    return (f"警告：{listed} 年没有官方节假日安排数据，暂按《全国年节及纪念日放假办法》的法定假日计算（没有调休上班日）；"
            "国务院公布安排后请管理员在「设置 → 工作日历」导入或用 hukou calendar import 导入。")


def _parse_day(value: str) -> dt.date:
    """A YYYY-MM-DD argument, or a usage error in Chinese."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD，收到「{value}」", param_hint="DATE") from None


@click.command("workdays")
@click.argument("date")
@click.argument("n", type=int)
@with_appcontext
def workdays_cmd(date: str, n: int) -> None:
    """Print the N-th Chinese working day after DATE (holidays off, make-up working days on)."""
    from .workdays import add_workdays, years_without_data

    start = _parse_day(date)
    result = add_workdays(start, n)
    missing = years_without_data(range(min(start, result).year, max(start, result).year + 1))
    if missing:
        click.echo(fallback_warning(missing), err=True)
    click.echo(result.isoformat())


@click.group("calendar")
def calendar_cmd() -> None:
    """The working-day calendar (statutory holidays and make-up working days)."""


@calendar_cmd.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def calendar_import_cmd(file: Path) -> None:
    """Import a year's holidays from a CSV/xlsx file with the columns 日期, 类型 (放假/上班), 名称."""
    from ..domain.errors import DomainError
    from ..i18n import render
    from ..security.actor import cli_actor
    from ..uow import unit_of_work
    from .service import import_year_rows, read_file

    try:
        rows = read_file(file, file.name)
        with unit_of_work(cli_actor("系统（工作日历导入）")) as uow:
            result = import_year_rows(uow, rows)
    except DomainError as err:
        for msg in err.messages:
            click.echo(f"错误：{render(msg)}", err=True)
        sys.exit(1)
    for year, count in sorted(result.years.items()):
        click.echo(f"{year} 年：已导入 {count} 天（放假或调休上班），该年标记为官方数据。")
    if result.skipped:
        click.echo(f"跳过 {result.skipped} 行（周末放假或工作日上班，与平常相同）。")


@calendar_cmd.command("status")
@with_appcontext
def calendar_status_cmd() -> None:
    """List the years with official data and warn about this year and the next when they have none."""
    from ..clock import today
    from .workdays import years_without_data
    from ..extensions import db
    from ..models.calendar import CalendarYear

    for row in db.session.scalars(db.select(CalendarYear).order_by(CalendarYear.year)):
        click.echo(f"{row.year}\t{'chinese-calendar 官方数据' if row.source == 'official' else '管理员导入'}")
    year = today().year
    missing = years_without_data([year, year + 1])
    if missing:
        click.echo(fallback_warning(missing), err=True)
