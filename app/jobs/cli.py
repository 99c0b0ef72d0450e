"""`flask --app run hukou worker`: the Huey consumer that runs background jobs (imports, exports)."""
from __future__ import annotations

import socket

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32), help="Worker threads.")
@with_appcontext
def worker_cmd(workers: int) -> None:
    """Run the job consumer until stopped (SIGINT/SIGTERM); jobs left 'running' by a dead worker fail first."""
    from . import huey_of, queue_mode, worker_name
    from .heartbeat import start as start_heartbeat
    from .progress import fail_orphans

    if queue_mode(current_app) == "immediate":
        raise click.ClickException("HUKOU_QUEUE=immediate 时任务在提交时直接执行，无需 worker")
    failed = fail_orphans(socket.gethostname())
    if failed:
        click.echo(f"已将 {len(failed)} 个中断的任务标记为失败: {failed}")
    start_heartbeat(huey_of(), worker_name())  # `hukou doctor` tells a live worker by it
    huey_of().create_consumer(workers=workers, worker_type="thread", periodic=True).run()  # + daily reminders
