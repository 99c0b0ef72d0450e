"""`hukou doctor`: checks a deployment as Django's `check --deploy` does, each finding in Chinese with what to do.

A finding is ok, a warning (worth a look, exit 0) or an error (the deployment is broken: exit 1). The checks
are in checks.py (this server's settings, database, clock, calendar, backups) and shared.py (what several app
servers share: Redis, the file folders, the queue worker).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

OK, WARNING, ERROR, SKIPPED = "ok", "warning", "error", "skipped"


@dataclass(frozen=True)
class Finding:
    """One result: which check, how bad, what was found and (unless ok) what to do."""

    check: str
    level: str
    message: str
    fix: str = ""


def run_checks(app) -> list[Finding]:
    """Every check, in the order an administrator fixes things; a crashing check is itself an error."""
    from flask_babel import gettext

    from . import checks, shared

    found: list[Finding] = []
    steps: list[Callable] = [checks.secret_key, checks.cookies, checks.database, checks.clock_zone,
                             shared.redis, shared.folders, shared.worker, checks.calendar, checks.backups]
    for step in steps:
        try:
            found += step(app)
        except Exception as err:  # noqa: BLE001  (a check that cannot run is a finding, not a traceback)
            reason = (type(err).__name__ + ": " + str(err))[:300]
            found.append(Finding(step.__name__, ERROR, gettext("The check could not run: %(error)s", error=reason)))
    return found
