"""How long an item may wait in each stage before it is overdue: working days for the workflow stages,
calendar days for page loans and moving out. The figures are settings (config.py, README)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from app.calendar.workdays import add_workdays

WORK, CALENDAR = "work", "calendar"

# status -> (setting, default, kind). "loan" and "leaver" are not application statuses: a lent page is due
# HUKOU_LOAN_DAYS after lending, a resident who left must move out within HUKOU_MOVE_OUT_DAYS.
LIMITS: dict[str, tuple[str, int, str]] = {
    "submitted": ("HUKOU_LIMIT_PRE_REVIEW_DAYS", 3, WORK),
    "needs_materials": ("HUKOU_LIMIT_MATERIALS_DAYS", 10, WORK),
    "dept_review": ("HUKOU_LIMIT_DEPT_DAYS", 3, WORK),
    "leader_review": ("HUKOU_LIMIT_LEADER_DAYS", 3, WORK),
    "entry": ("HUKOU_LIMIT_ENTRY_DAYS", 3, WORK),
    "at_police": ("HUKOU_LIMIT_POLICE_DAYS", 10, WORK),
    "completed": ("HUKOU_LIMIT_ARCHIVE_DAYS", 10, WORK),
    "loan": ("HUKOU_LOAN_DAYS", 15, CALENDAR),
    "leaver": ("HUKOU_MOVE_OUT_DAYS", 30, CALENDAR),
}


def _app_settings() -> Mapping[str, Any]:
    """The running app's config, else the config module's values (CLI scripts, plain tests)."""
    try:
        from flask import current_app  # late: the module stays usable without Flask

        return current_app.config
    except RuntimeError:
        import config

        return vars(config)


settings: Callable[[], Mapping[str, Any]] = _app_settings


def stage_limit(status: str) -> tuple[int, str] | None:
    """(days, "work"|"calendar") an item may wait in `status`, or None when the stage has no limit."""
    entry = LIMITS.get(status)
    if entry is None:
        return None
    name, default, kind = entry
    days = int(settings().get(name, default))
    return (days, kind) if days > 0 else None


def due_on(status: str, since: dt.date) -> dt.date | None:
    """The last day an item waiting in `status` since `since` is on time; overdue once today is after it."""
    limit = stage_limit(status)
    if limit is None:
        return None
    days, kind = limit
    if kind == WORK:
        return add_workdays(since, days)
    return since + dt.timedelta(days=days)
