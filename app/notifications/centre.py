"""The notification centre's rules (no Flask): a user's own notifications, read marks, the record of deliveries.

An inbox is private: every query here is limited to the actor's own user id, whatever their role (Admin too).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from ..clock import local_day_bounds, utcnow
from ..domain.actor import Actor
from ..domain.errors import Message, N_, NotVisible
from ..models import Delivery, Notification, User
from ..security.labels import person_name
from ..uow import UnitOfWork

PER_PAGE = 30
FAILED_PANEL = 10
PANEL_DAYS = 7  # the home panel shows a week of failures; the record keeps them all
STATUSES = {"pending": N_("Waiting to be sent"), "sending": N_("Being sent"), "sent": N_("Delivered"),
            "failed": N_("Failed")}


def _mine(actor: Actor):
    """The condition "addressed to the actor" (nothing for anonymous or system actors)."""
    return Notification.recipient_id == (actor.user_id if actor.user_id is not None else -1)


def unread_count(session: Session, actor: Actor) -> int:
    """How many of the actor's notifications are unread (the menu badge)."""
    if actor.user_id is None:
        return 0
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(_mine(actor), Notification.read_at.is_(None))) or 0


@dataclass(frozen=True)
class Page:
    """One page of a list and how many rows there are in all."""

    rows: list
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """The number of pages (at least one)."""
        return max(1, -(-self.total // self.per_page))


def page_number(raw) -> int:
    """A page number from the query string (1 when missing or unreadable)."""
    try:
        return max(1, min(int(raw), 100000))
    except (TypeError, ValueError):
        return 1


def my_notifications(session: Session, actor: Actor, page: int = 1, unread_only: bool = False) -> Page:
    """The actor's notifications, newest first."""
    cond = [_mine(actor)] + ([Notification.read_at.is_(None)] if unread_only else [])
    total = session.scalar(select(func.count()).select_from(Notification).where(*cond)) or 0
    rows = session.scalars(select(Notification).where(*cond)
                           .order_by(Notification.created_at.desc(), Notification.id.desc())
                           .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return Page(list(rows), total, page)


def mark_read(uow: UnitOfWork, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read; someone else's (or a missing one) is "not found"."""
    note = uow.session.scalar(select(Notification).where(Notification.id == notification_id, _mine(uow.actor)))
    if note is None:
        raise NotVisible(Message("record_not_found", N_("Record %(id)s was not found."), {"id": str(notification_id)}),
                         object_type="Notification", object_id=str(notification_id))
    if note.read_at is None:
        note.read_at = utcnow()
    return note


def mark_all_read(uow: UnitOfWork) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    result = uow.session.execute(update(Notification).where(_mine(uow.actor), Notification.read_at.is_(None))
                                 .values(read_at=utcnow()))
    return result.rowcount or 0


def failed_deliveries(session: Session, limit: int = FAILED_PANEL) -> tuple[int, list[tuple]]:
    """Failed deliveries of the last PANEL_DAYS for the Admin's home panel: how many, and (channel, error,
    count, last attempt) per channel and error, latest first (a dead robot fails every reminder alike)."""
    since = utcnow() - dt.timedelta(days=PANEL_DAYS)
    failed = and_(Delivery.status == "failed", func.coalesce(Delivery.last_attempt_at, Delivery.created_at) >= since)
    total = session.scalar(select(func.count()).select_from(Delivery).where(failed)) or 0
    last = func.max(func.coalesce(Delivery.last_attempt_at, Delivery.created_at))
    rows = session.execute(select(Delivery.channel, Delivery.last_error, func.count(), last).where(failed)
                           .group_by(Delivery.channel, Delivery.last_error)
                           .order_by(last.desc(), Delivery.channel).limit(limit)).all()
    return total, [tuple(r) for r in rows]


@dataclass(frozen=True)
class RecordFilter:
    """The filters of the record of sent reminders."""

    day_from: dt.date | None = None
    day_to: dt.date | None = None
    kind: str | None = None
    result: str | None = None  # pending | sent | failed | in_app (no external delivery)


def sent_record(session: Session, flt: RecordFilter, page: int = 1) -> Page:
    """Sent reminders for the record, newest first: each notification with its recipient and its deliveries."""
    cond = []
    if flt.day_from:
        cond.append(Notification.created_at >= local_day_bounds(flt.day_from)[0])
    if flt.day_to:
        cond.append(Notification.created_at < local_day_bounds(flt.day_to)[1])
    if flt.kind:
        cond.append(Notification.kind == flt.kind)
    if flt.result in STATUSES:
        cond.append(Notification.id.in_(select(Delivery.notification_id).where(Delivery.status == flt.result)))
    elif flt.result == "in_app":
        cond.append(~Notification.id.in_(select(Delivery.notification_id)))
    total = session.scalar(select(func.count()).select_from(Notification).where(*cond)) or 0
    notes = session.scalars(select(Notification).where(*cond)
                            .order_by(Notification.created_at.desc(), Notification.id.desc())
                            .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    ids = [n.id for n in notes]
    by_note: dict[int, list[Delivery]] = {}
    if ids:
        for d in session.scalars(select(Delivery).where(Delivery.notification_id.in_(ids)).order_by(Delivery.id)):
            by_note.setdefault(d.notification_id, []).append(d)
    return Page([(n, by_note.get(n.id, [])) for n in notes], total, page)


def user_name(user: User | None) -> str:
    """How lists name a user: their one 姓名, else the login name."""
    return person_name(user)
