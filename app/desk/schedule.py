"""The daily reminders on the task queue's scheduler (Huey periodic task), once a day across all servers.

The task fires at HUKOU_REMIND_AT (local time, default 08:30) and again at the same minute of every later hour
until CATCH_UP_HOUR: a server that was down at 08:30, or a run that failed, is caught up the same day, while
run_reminders(once=True) makes every run after the day's first one a no-op (see app/desk/remind_run.py).
Non-working days (Chinese calendar) send nothing unless HUKOU_REMIND_WORKDAYS_ONLY=0.
The consumer of `python run.py` and `hukou worker` run periodic tasks; cron can use `hukou remind --once`.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import Flask

from .. import clock

log = logging.getLogger(__name__)
TASK_NAME = "hukou.daily_reminders"
DELIVER_TASK = "hukou.deliver_notifications"
CATCH_UP_HOUR = 18  # last local hour of a catch-up run


def remind_at(value: str | None) -> tuple[int, int]:
    """HUKOU_REMIND_AT ("HH:MM") as (hour, minute); 08:30 when empty or unreadable."""
    try:
        hour, minute = (int(part) for part in (value or "").split(":"))
        if 0 <= hour < 24 and 0 <= minute < 60:
            return hour, minute
    except ValueError:
        pass
    return 8, 30


def fires_at(stamp: dt.datetime, at: tuple[int, int]) -> bool:
    """Whether the periodic task runs at `stamp` (Huey passes naive UTC): the set minute, first or catch-up hour."""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    here = stamp.astimezone(clock.zone())
    hour, minute = at
    return here.minute == minute and hour <= here.hour <= max(hour, CATCH_UP_HOUR)


def daily(app: Flask, day: dt.date | None = None):
    """The scheduled run for `day` (default today): once per day, working days only; None when nothing ran."""
    from sqlalchemy.exc import OperationalError

    from ..calendar.workdays import is_workday
    from .remind_run import run_reminders

    with app.app_context():
        day = day or clock.today()
        if app.config.get("HUKOU_REMIND_WORKDAYS_ONLY", True) and not is_workday(day):
            log.info("reminders: %s is not a working day, nothing sent", day)
            return None
        try:
            result = run_reminders(day, once=True)
        except OperationalError:  # SQLite: another server's run held the write lock beyond the busy timeout
            log.warning("reminders: %s is being sent by another scheduler, skipped", day)
            return None
        if result.skipped:
            log.info("reminders: %s already sent by a scheduler, skipped", day)
        else:
            log.info("reminders: %s sent %s new", day, result.new)
        return result


def deliver_soon(app: Flask | None = None) -> None:
    """Push pending deliveries (a 催办 just committed) on the task queue, not in the web request."""
    from flask import current_app

    (app or current_app).extensions["hukou_deliver_task"]()


def register(app: Flask, huey) -> None:
    """Add the daily periodic task, and the task that delivers right away, to the app's Huey instance."""
    at = remind_at(app.config.get("HUKOU_REMIND_AT"))

    def deliver_now() -> None:
        """Deliver the pending notifications in a fresh app context (the queue's immediate mode: inline)."""
        from ..notifications.service import deliver

        with app.app_context():
            deliver()

    app.extensions["hukou_deliver_task"] = huey.task(name=DELIVER_TASK)(deliver_now)

    def validate(stamp: dt.datetime) -> bool:
        """Huey asks every minute whether the task is due."""
        return fires_at(stamp, at)

    def task() -> None:
        """The periodic task: the day's reminders in a fresh app context."""
        daily(app)

    app.extensions["hukou_remind_task"] = huey.periodic_task(validate, name=TASK_NAME)(task)
