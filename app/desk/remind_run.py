"""Running the day's reminders: find them, record them in one unit of work, then deliver after the commit.

    result = run_reminders(day)               # `hukou remind`
    result = run_reminders(day, once=True)    # the 08:30 schedule (and `hukou remind --once` from cron)

`once` makes several schedulers (app servers, workers, cron on several hosts) send a day's reminders once:
the write unit that records the notifications first takes a lock that serialises them (PostgreSQL:
pg_advisory_xact_lock; SQLite: the write lock of BEGIN IMMEDIATE), then looks for the day's `remind_daily` audit
row. The row is written by the same commit as the notifications, so a run that fails leaves the day open for the
next try. Finding the reminders (the slow part at scale) happens before, in a read without the write lock.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, text

from ..models import AuditLog
from ..uow import unit_of_work
from .remind import RemindSettings, find_reminders

ACTOR = "系统（催办）"
DAILY = "remind_daily"    # audit action of a run that counts as the day's scheduled run
BY_HAND = "remind_run"    # audit action of any other run (`hukou remind` without --once)
LOCK_KEY = 0x6875_6B6F_7552  # pg advisory lock of the daily run ("hukouR")


@dataclass
class RemindResult:
    """What a run did: each message's outcome, the delivery report, or why it did nothing."""

    day: dt.date
    outcomes: list = field(default_factory=list)
    delivery: Any = None          # notifications.service.DeliveryReport (None: dry run or skipped)
    dry_run: bool = False
    skipped: bool = False         # once=True and the day's run had already happened

    def counts(self) -> dict[str, Counter]:
        """kind → Counter of outcome statuses ("new" / "duplicate")."""
        out: dict[str, Counter] = {}
        for o in self.outcomes:
            out.setdefault(o.message.kind, Counter())[o.status] += 1
        return out

    @property
    def new(self) -> int:
        """How many notifications were (or, in a dry run, would be) recorded."""
        return sum(1 for o in self.outcomes if o.status == "new")


def settings() -> RemindSettings:
    """The reminder windows from the app's config."""
    cfg = current_app.config
    return RemindSettings(id_expiry_days=int(cfg.get("HUKOU_REMIND_ID_EXPIRY_DAYS", 30)),
                          cert_days=int(cfg.get("HUKOU_REMIND_CERT_DAYS", 7)))


def message_locale() -> str:
    """The language notifications are written in (the office's default, Chinese)."""
    return current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh"


def batch_render():
    """app.i18n.render with each msgid looked up once (Flask-Babel's gettext costs ~0.1 ms a call, a run makes
    tens of thousands); call it inside the locale the texts are written in."""
    from flask_babel import get_translations

    from ..i18n import render

    lookup, seen = get_translations().gettext, {}

    def translate(msgid: str) -> str:
        """The translation of a msgid, cached for this run."""
        if msgid not in seen:
            seen[msgid] = lookup(msgid)
        return seen[msgid]

    return lambda msg: render(msg, translate)


def _day_done(session, day: dt.date) -> bool:
    """Whether the day's daily run has committed (its audit row exists)."""
    found = session.scalar(select(AuditLog.id).where(AuditLog.action == DAILY, AuditLog.object_type == "Reminder",
                                                     AuditLog.object_id == day.isoformat()).limit(1))
    return found is not None


def _day_taken(session, day: dt.date) -> bool:
    """Serialise the daily runs (the write unit holds SQLite's lock already), then ask _day_done."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    return _day_done(session, day)


def run_reminders(day: dt.date, dry_run: bool = False, once: bool = False) -> RemindResult:
    """Find the day's reminders (a read, no write lock held), record them as 「系统（催办）」 in one write unit,
    then deliver them after its commit."""
    from ..notifications.service import deliver, send
    from ..security.actor import cli_actor

    actor, result = cli_actor(ACTOR), RemindResult(day, dry_run=dry_run)
    once = once and not dry_run
    with unit_of_work(actor, write=False) as uow, force_locale(message_locale()):
        if once and _day_done(uow.session, day):  # a catch-up run after the day's run: no work at all
            result.skipped = True
            return result
        messages = find_reminders(uow.session, day, batch_render(), settings())
    with unit_of_work(actor, write=not dry_run) as uow:
        if once and _day_taken(uow.session, day):  # another scheduler committed while we were finding
            result.skipped = True
            return result
        result.outcomes = send(uow, messages, day, dry_run=dry_run)
        if not dry_run:
            counts = {kind: dict(c) for kind, c in result.counts().items()}
            uow.record(DAILY if once else BY_HAND, object_type="Reminder", object_id=day.isoformat(),
                       detail={"recorded": result.new, "kinds": counts})
    if not dry_run:
        result.delivery = deliver(day)
    return result
