"""`flask --app run hukou …` commands: init, demo, purge-audit, backup."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup, with_appcontext

from .audit_cli import purge_audit_cmd

hukou_cli = AppGroup("hukou", help="Hukou Desk administration commands.")
hukou_cli.add_command(purge_audit_cmd)


@hukou_cli.command("init")
@with_appcontext
def init_cmd() -> None:
    """Migrate the database, sync roles, seed reference data and create the admin (idempotent)."""
    from .bootstrap import bootstrap

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

    bootstrap(os.environ.get("HUKOU_ADMIN_PASSWORD") or password)
    summary = load_demo(password=password, residents=residents, seed=seed)
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@hukou_cli.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
@with_appcontext
def backup_cmd(destination: str) -> None:
    """Write a consistent copy of the SQLite database to DESTINATION (safe while the app is running)."""
    from .backup import backup_sqlite

    try:
        rows = backup_sqlite(destination)
    except ValueError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"backup written to {destination} ({rows} residents)")
