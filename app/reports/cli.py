"""`flask --app run hukou report monthly YYYY-MM OUT.xlsx` and `… report annual YYYY OUT.xlsx`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

ACTOR_NAME = "系统（统计月报）"


def _write(kind: str, value: str, out: Path) -> None:
    """Build the unit-wide report, write it to OUT (appears only complete) and audit the export."""
    from flask_babel import gettext

    from ..domain.errors import DomainError
    from ..i18n import render_error
    from ..security.actor import cli_actor
    from ..uow import unit_of_work
    from . import service
    from .present import rendered

    if out.suffix.lower() != ".xlsx":
        raise click.ClickException("输出文件须以 .xlsx 结尾")
    actor = cli_actor(ACTOR_NAME)
    tmp = out.with_name(out.name + ".part")
    with current_app.test_request_context("/"):
        try:
            report = (service.annual_report if kind == "annual" else service.monthly_report)(actor, value)
        except DomainError as err:
            raise click.ClickException(render_error(err)) from err
        try:
            with unit_of_work(actor) as uow, open(tmp, "wb") as fp:
                sheets = service.export(uow, report, fp, gettext, "cli")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(out)
        r = rendered(report, gettext)
        click.echo(f"已写入 {out}（{sheets} 个工作表）：迁入 {r['moves_in']['total']}，迁出 {r['moves_out']['total']}，"
                   f"离职 {r['departures']}，借出户口页 {r['loans']['lent']}")
        for note in r["notes"]:
            click.echo(f"注意：{note}")


@click.group("report")
def report_cmd() -> None:
    """Statistics: the monthly report and the annual summary as .xlsx (unit-wide, audited)."""


@report_cmd.command("monthly")
@click.argument("month")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def monthly_cmd(month: str, out: Path) -> None:
    """Write the monthly report of MONTH (YYYY-MM) to OUT.xlsx."""
    _write("monthly", month, out)


@report_cmd.command("annual")
@click.argument("year")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def annual_cmd(year: str, out: Path) -> None:
    """Write the annual summary of YEAR (YYYY) to OUT.xlsx, one row per month included."""
    _write("annual", year, out)
