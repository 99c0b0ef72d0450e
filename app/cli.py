"""`flask --app run hukou …` commands: init, demo, purge-audit, backup, restore, check."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from .audit.cli import audit_verify_cmd, purge_audit_cmd
from .exports.cli import export_cmd
from .jobs.cli import worker_cmd

hukou_cli = AppGroup("hukou", help="Hukou Desk administration commands.")
hukou_cli.add_command(purge_audit_cmd)
hukou_cli.add_command(audit_verify_cmd)
hukou_cli.add_command(export_cmd)
hukou_cli.add_command(worker_cmd)
from .imports.cli import import_cmd  # noqa: E402  (issue 7: roster / HR imports)
hukou_cli.add_command(import_cmd)
from .doctor.cli import doctor_cmd  # noqa: E402  (issue 11: deployment checks)
hukou_cli.add_command(doctor_cmd)
from .calendar.cli import calendar_cmd, workdays_cmd  # noqa: E402  (issue 8: working days)
hukou_cli.add_command(workdays_cmd)
hukou_cli.add_command(calendar_cmd)
from .reports.cli import report_cmd  # noqa: E402  (issue 8: monthly report, annual summary)
hukou_cli.add_command(report_cmd)
from .desk.remind_cli import remind_cmd  # noqa: E402  (issue 8: reminders)
hukou_cli.add_command(remind_cmd)
from .notifications.cli import notify_cmd  # noqa: E402  (issue 8: notification channels)
hukou_cli.add_command(notify_cmd)
from .ocr.cli import ocr_check_cmd  # noqa: E402  (issue 10: ID-card OCR check of materials)
hukou_cli.add_command(ocr_check_cmd)


def _check_password(password: str | None, username: str) -> None:
    """Refuse a password that breaks the policy, with the reasons in Chinese (before anything is written)."""
    from .i18n import render
    from .security.passwords import problems

    found = problems(password, username) if password else []
    if found:
        raise click.ClickException("；".join(render(m) for m in found))


@hukou_cli.command("init")
@with_appcontext
def init_cmd() -> None:
    """Migrate the database, sync roles, seed reference data and create the admin (idempotent)."""
    from .bootstrap import bootstrap

    _check_password(os.environ.get("HUKOU_ADMIN_PASSWORD"), "admin")
    from .bootstrap import ADMIN_PASSWORD_IGNORED, admin_password_ignored

    if admin_password_ignored(os.environ.get("HUKOU_ADMIN_PASSWORD")):
        click.echo(ADMIN_PASSWORD_IGNORED)
    generated = bootstrap(os.environ.get("HUKOU_ADMIN_PASSWORD"))
    if generated:
        click.echo(f"admin password (shown once): {generated}")
    click.echo("database ready")


@hukou_cli.command("demo")
@click.option("--password", required=True, help="Password for every demo user.")
@click.option("--residents", default=2000, show_default=True, type=int, help="Number of demo residents.")
@click.option("--seed", default=2026, show_default=True, type=int, help="Random seed (same seed, same data).")
@with_appcontext
def demo_cmd(password: str, residents: int, seed: int) -> None:
    """Load realistic demo data: departments, residents, applications in every state, one user per role."""
    from .bootstrap import bootstrap
    from .demo import load_demo

    _check_password(password, "admin")  # the demo users, admin included, all get this password
    _check_password(os.environ.get("HUKOU_ADMIN_PASSWORD"), "admin")
    bootstrap(os.environ.get("HUKOU_ADMIN_PASSWORD") or password)
    summary = load_demo(password=password, residents=residents, seed=seed)
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


def _run_backup_step(action, lines, *args) -> None:
    """Run a backup/restore/check action, print its Chinese summary, exit 1 unless it was ok."""
    from sqlalchemy.exc import SQLAlchemyError

    from .backup import BackupError, report

    try:
        result = action(*args)
    except (BackupError, OSError, SQLAlchemyError) as err:  # a full disk or a missing table: a message
        click.echo(report.error_line(err), err=True)
        raise click.exceptions.Exit(1) from err
    for line in lines(result):
        click.echo(line)
    if not result.ok:
        raise click.exceptions.Exit(1)


@hukou_cli.command("backup")
@click.argument("directory", type=click.Path(path_type=Path))
@with_appcontext
def backup_cmd(directory: Path) -> None:
    """Write a consistent snapshot of the database, the uploaded files and manifest.json to DIRECTORY
    (new or empty); safe while the app is running."""
    from .backup import report, take_backup

    _run_backup_step(take_backup, report.backup_lines, directory)


@hukou_cli.command("restore")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
@with_appcontext
def restore_cmd(directory: Path, force: bool) -> None:
    """Restore a backup DIRECTORY into the configured (empty) database and upload folder, then verify it.
    Stop the app first."""
    from .backup import report, run_restore

    _run_backup_step(run_restore, report.restore_lines, directory, force)


@hukou_cli.command("check")
@click.option("--fix", is_flag=True, help="Move orphan files to <UPLOAD_FOLDER>/../quarantine/<date>/.")
@click.option("--min-age", default=60, show_default=True, type=click.IntRange(min=0),
              help="Minutes a file without a row must be old to count as an orphan.")
@with_appcontext
def check_cmd(fix: bool, min_age: int) -> None:
    """Find orphan files, materials whose file is missing or altered, and a broken audit chain."""
    from .backup import report, run_check

    _run_backup_step(run_check, report.check_lines, fix, min_age)
