"""`flask --app run hukou ocr-check [--limit N]`: queue the background check of unchecked ID-card materials."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("ocr-check")
@click.option("--limit", type=click.IntRange(1, None), default=None, help="At most this many materials.")
@with_appcontext
def ocr_check_cmd(limit: int | None) -> None:
    """Read every unchecked 居民身份证 material of the open applications and compare it with the register."""
    from ..jobs import enqueue
    from .job import KIND

    if not current_app.config.get("HUKOU_OCR_ENABLED", True):
        raise click.ClickException("身份证识别已关闭（HUKOU_OCR_ENABLED=0）")
    job_id = enqueue(KIND, None, {"limit": limit})
    click.echo(f"已排队：身份证比对任务 #{job_id}（由后台进程执行，见「我的任务」或 hukou worker 的输出）")
