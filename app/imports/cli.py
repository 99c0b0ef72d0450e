"""`flask --app run hukou import roster|hr FILE [--dry-run]`: the counts and every error, exit 1 on any error."""
from __future__ import annotations

import secrets
import shutil
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from .apply import HR_ACTOR

_COUNTS = (("created", "新增"), ("updated", "更新"), ("unchanged", "未变化"), ("skipped", "跳过"), ("errors", "错误"))


@click.command("import")
@click.argument("kind", type=click.Choice(["roster", "hr"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@with_appcontext
def import_cmd(kind: str, file: Path, dry_run: bool) -> None:
    """Import a roster (花名册) or HR changes (人事变动) from an .xlsx or .csv file."""
    from ..i18n import render
    from ..security.actor import cli_actor
    from .service import import_dir, run_import

    stored = f"cli-{secrets.token_hex(8)}{file.suffix.lower()[:8]}"
    shutil.copyfile(file, import_dir() / stored)
    actor = cli_actor(HR_ACTOR if kind == "hr" else "系统（命令行）")
    outcome = run_import(actor, kind, stored, file.name, dry_run=dry_run)
    plan = outcome.plan
    if plan.file_error:
        click.echo(f"错误：{render(plan.file_error)}", err=True)
        sys.exit(1)
    counts = plan.counts
    click.echo(f"行数 {plan.rows_total}：" + "，".join(f"{label} {counts[key]}" for key, label in _COUNTS))
    if plan.ignored:
        click.echo("已忽略的列：" + "、".join(plan.ignored))
    for row, name, msg in plan.skipped:
        click.echo(f"跳过 第{row}行 {name}：{render(msg)}")
    for e in plan.errors:
        click.echo(f"第{e.row}行 [{e.header}] {render(e.message)}", err=True)
    if plan.errors:
        click.echo("有错误，未写入任何数据。", err=True)
        sys.exit(1)
    if not plan.creates and not plan.updated_count:
        click.echo("没有任何变化（文件已导入过或与登记一致）。")
    click.echo("预检完成，未写入数据。" if dry_run else f"已导入（批次 #{outcome.batch_id}）。")
