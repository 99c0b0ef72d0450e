"""`flask --app run hukou export residents|applications|materials|loans|fees OUT.xlsx|OUT.csv [--unmask]`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .specs import CLI_KINDS

ACTOR_NAME = "系统（命令行导出）"


@click.command("export")
@click.argument("kind", type=click.Choice(CLI_KINDS))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--unmask", is_flag=True, help="Write full ID and phone numbers (audited).")
@with_appcontext
def export_cmd(kind: str, out: Path, unmask: bool) -> None:
    """Export a whole list (unit-wide, masked unless --unmask) to OUT (.xlsx or .csv); the export is audited."""
    from ..security.actor import cli_actor
    from ..uow import unit_of_work
    from .query import export_query
    from .service import options_for, record_export, write_export
    from .specs import SPECS

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise click.ClickException("输出文件须以 .xlsx 或 .csv 结尾")
    spec, actor = SPECS[kind], cli_actor(ACTOR_NAME)
    opts = options_for(actor, unmask)
    tmp = out.with_name(out.name + ".part")
    try:
        with current_app.test_request_context("/"), unit_of_work(actor, write=False):
            with open(tmp, "wb") as fp:
                rows = write_export(spec, export_query(spec, actor), opts, fmt, fp)
        with unit_of_work(actor) as uow:
            record_export(uow, spec, rows, opts, fmt, {}, "cli")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)  # the file appears only complete and audited
    click.echo(f"已导出 {rows} 行到 {out}" + ("（完整号码）" if opts.full else "（号码已脱敏）"))
