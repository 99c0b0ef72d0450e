"""`flask --app run hukou doctor`: print every finding in Chinese; exit 1 when any is an error."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext

from . import ERROR, OK, SKIPPED, WARNING, Finding, run_checks


def lines(findings: list[Finding]) -> list[str]:
    """[通过]/[警告]/[错误]/[跳过] check: message, the fix indented below, then the totals."""
    labels = {OK: gettext("passed"), WARNING: gettext("warning"), ERROR: gettext("error"),
              SKIPPED: gettext("skipped")}
    out = []
    for f in findings:
        out.append(f"[{labels[f.level]}] {f.check}：{f.message}")
        if f.fix and f.level in (WARNING, ERROR):
            out.append("    " + gettext("What to do: %(fix)s", fix=f.fix))
    errors = sum(f.level == ERROR for f in findings)
    warnings = sum(f.level == WARNING for f in findings)
    out.append(gettext("%(errors)s errors, %(warnings)s warnings", errors=errors, warnings=warnings))
    return out


@click.command("doctor")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@with_appcontext
def doctor_cmd(strict: bool) -> None:
    """Check this deployment (secret key, cookies, database, Redis, shared folders, worker, time zone,
    holiday calendar, backups); exit 1 naming each fault."""
    findings = run_checks(current_app)
    for line in lines(findings):
        click.echo(line)
    failing = {ERROR, WARNING} if strict else {ERROR}
    if any(f.level in failing for f in findings):
        raise click.exceptions.Exit(1)
