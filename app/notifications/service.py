"""Sending notifications (inside the caller's unit of work) and delivering them to external channels (after it).

No Flask here: the settings come from settings.current(), the database through the unit of work.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..clock import today, utcnow
from ..domain.actor import system_actor
from ..domain.masking import mask_text
from ..models import Delivery, DeliveryAttempt, Notification, User
from ..uow import UnitOfWork, unit_of_work
from . import channels
from .centre import user_name
from .channels import CHANNEL_LABELS, KIND_LABELS, Attempt, Item
from .settings import Settings, current

KINDS = frozenset(KIND_LABELS)
OBJECT_TYPES = frozenset({"Application", "PageLoan", "Resident"})
RETRY_DAYS = 3  # a delivery still failing three days after its reminder is stale: the next reminder replaces it
DELIVERY_ACTOR = "系统（消息推送）"
CLAIM_MINUTES = 30  # a delivery claimed ("sending") this long ago belongs to a run that died: take it over
_CHUNK = 500


@dataclass(frozen=True)
class Message:
    """A notification to send: rendered Chinese text for one user about one object."""

    kind: str          # loan_overdue | leaver_overdue | materials_missing | approval_overdue | id_expiring |
                       # certificate_lapsing | manual
    recipient_id: int  # ab_user.id
    subject: str       # Chinese, rendered, no full ID/phone number
    body: str
    link: str          # path to the object, e.g. /applicationview/show/12
    object_type: str   # "Application" | "PageLoan" | "Resident"
    object_id: int


@dataclass(frozen=True)
class Outcome:
    """What send() did with one message: recorded ("new") or already sent that day ("duplicate")."""

    message: Message
    status: str = "new"


@dataclass
class ChannelReport:
    """One channel's result of a delivery run: deliveries sent, failed, and the distinct error texts."""

    channel: str
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    attempts: int = 0

    @property
    def label(self) -> str:
        """The channel's Chinese name."""
        return CHANNEL_LABELS.get(self.channel, self.channel)


@dataclass
class DeliveryReport:
    """The result of deliver(): one ChannelReport per channel that had something to deliver."""

    day: dt.date
    channels: dict[str, ChannelReport] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every delivery went out."""
        return all(r.failed == 0 for r in self.channels.values())

    def lines(self) -> list[str]:
        """The report as Chinese lines for the CLI."""
        if not self.channels:
            return ["外部渠道：没有待发送的消息"]
        out = []
        for r in self.channels.values():
            out.append(f"{r.label}：成功 {r.sent}，失败 {r.failed}")
            out += [f"  错误：{e}" for e in r.errors]
        return out


def _clean(m: Message) -> Message:
    """The message checked and masked: nothing recorded or sent carries a full ID or phone number."""
    if m.kind not in KINDS:
        raise ValueError(f"unknown notification kind {m.kind!r}")
    if m.object_type not in OBJECT_TYPES:
        raise ValueError(f"unknown object type {m.object_type!r}")
    return replace(m, subject=mask_text(m.subject).strip()[:200], body=mask_text(m.body),
                   link=(m.link or "")[:300], object_id=int(m.object_id), recipient_id=int(m.recipient_id))


def _key(m: Message) -> tuple:
    """The once-a-day identity of a message (with the day, the unique constraint uq_notification_once)."""
    return (m.kind, m.recipient_id, m.object_type, m.object_id)


def _already_sent(session: Session, messages: list[Message], day: dt.date) -> set[tuple]:
    """The keys among `messages` already recorded on `day`."""
    found: set[tuple] = set()
    recipients = sorted({m.recipient_id for m in messages})
    for i in range(0, len(recipients), _CHUNK):
        rows = session.execute(select(Notification.kind, Notification.recipient_id, Notification.object_type,
                                      Notification.object_id)
                               .where(Notification.day == day,
                                      Notification.recipient_id.in_(recipients[i:i + _CHUNK])))
        found.update(tuple(r) for r in rows)
    return found


def send(uow: UnitOfWork, messages: list[Message], day: dt.date, dry_run: bool = False,
         settings: Settings | None = None) -> list[Outcome]:
    """Record one in-app notification per new message and one pending delivery per configured channel.

    The same (kind, recipient, object, day) is recorded once (a unique constraint backs the check); dry_run
    records nothing but reports what would be new."""
    cleaned = [_clean(m) for m in messages]
    seen = _already_sent(uow.session, cleaned, day) if cleaned else set()
    outcomes: list[Outcome] = []
    for m in cleaned:
        outcomes.append(Outcome(m, "duplicate" if _key(m) in seen else "new"))
        seen.add(_key(m))
    fresh = [o.message for o in outcomes if o.status == "new"]
    if dry_run or not fresh:
        return outcomes
    lost = _record(uow, fresh, day, (settings or current()).channels())
    return [replace(o, status="duplicate") if o.status == "new" and _key(o.message) in lost else o
            for o in outcomes]


def _record(uow: UnitOfWork, fresh: list[Message], day: dt.date, wanted: list[str]) -> set[tuple]:
    """Insert the notifications and their deliveries; returns the keys a concurrent run recorded first."""
    session = uow.session
    users = {u.id: u for i in range(0, len(fresh), _CHUNK)
             for u in session.scalars(select(User).where(User.id.in_({m.recipient_id for m in fresh[i:i + _CHUNK]})))}
    lost: set[tuple] = set()
    for m in fresh:
        user = users.get(m.recipient_id)
        if user is None:
            raise ValueError(f"no user {m.recipient_id} to notify")
        note = Notification(kind=m.kind, recipient_id=m.recipient_id, subject=m.subject, body=m.body, link=m.link,
                            object_type=m.object_type, object_id=m.object_id, day=day,
                            sender=(uow.actor.label or None) and uow.actor.label[:100])
        try:
            with session.begin_nested():  # a concurrent run may have sent it a moment ago: skip, keep the rest
                session.add(note)
                session.flush()
        except IntegrityError:
            lost.add(_key(m))
            continue
        for channel in wanted:
            if channel == "email" and not (user.email and user.active):
                continue
            session.add(Delivery(notification_id=note.id, channel=channel, status="pending", attempts=0,
                                 address=user.email if channel == "email" else None))
    session.flush()
    return lost


def _pending(session: Session, day: dt.date, wanted: list[str]) -> list[Item]:
    """The deliveries to push now: pending or failed, of reminders from the last RETRY_DAYS days up to `day`."""
    oldest = day - dt.timedelta(days=RETRY_DAYS)
    stale = (select(Notification.id).where(Notification.day < oldest)).scalar_subquery()
    session.execute(update(Delivery).where(Delivery.status == "pending", Delivery.notification_id.in_(stale))
                    .values(status="failed", last_error=f"超过 {RETRY_DAYS} 天未能发送，不再重试"))
    abandoned = utcnow() - dt.timedelta(minutes=CLAIM_MINUTES)
    rows = session.execute(
        select(Delivery, Notification, User)
        .join(Notification, Delivery.notification_id == Notification.id)
        .join(User, Notification.recipient_id == User.id)
        .where(or_(Delivery.status.in_(("pending", "failed")),
                   and_(Delivery.status == "sending", Delivery.last_attempt_at < abandoned)),
               Notification.day >= oldest, Notification.day <= day)
        .order_by(Delivery.id)
        # two runs at once (cron and `hukou remind`) must not send twice: PostgreSQL skips rows another run
        # holds; SQLite's BEGIN IMMEDIATE already serialises the claims
        .with_for_update(of=Delivery, skip_locked=True))
    items = []
    claimed = utcnow()
    for d, n, u in rows:
        if d.channel not in wanted:
            d.status, d.last_error = "failed", "该渠道已不再配置"
            continue
        d.status, d.last_attempt_at = "sending", claimed
        items.append(Item(d.id, d.channel, d.address, n.kind, n.subject, n.body, n.link, user_name(u),
                          n.object_type, n.object_id, n.day))
    return items


def _store(session: Session, attempts: list[Attempt]) -> None:
    """Record every attempt and the resulting state of its delivery."""
    by_id: dict[int, list[Attempt]] = {}
    for a in attempts:
        by_id.setdefault(a.delivery_id, []).append(a)
    ids = sorted(by_id)
    for i in range(0, len(ids), _CHUNK):
        for d in session.scalars(select(Delivery).where(Delivery.id.in_(ids[i:i + _CHUNK]))):
            tries = by_id[d.id]
            last = tries[-1]
            d.attempts += len(tries)
            d.last_attempt_at = last.at
            d.status = "sent" if last.ok else "failed"
            d.sent_at = last.at if last.ok else None
            d.last_error = None if last.ok else (last.error or "")[:500]
    session.add_all(DeliveryAttempt(delivery_id=a.delivery_id, at=a.at, ok=a.ok, error=(a.error or None) and
                                    a.error[:500]) for a in attempts)


def _summarise(channel: str, attempts: list[Attempt]) -> ChannelReport:
    """Count a channel's deliveries by their final result and collect its distinct errors."""
    final: dict[int, Attempt] = {}
    for a in attempts:
        final[a.delivery_id] = a
    report = ChannelReport(channel, attempts=len(attempts))
    report.sent = sum(1 for a in final.values() if a.ok)
    report.failed = len(final) - report.sent
    report.errors = list(dict.fromkeys(a.error for a in attempts if not a.ok and a.error))
    return report


def deliver(day: dt.date | None = None, settings: Settings | None = None) -> DeliveryReport:
    """Push pending deliveries channel by channel in their own units of work; a failing channel never stops
    the others, and every attempt is recorded."""
    settings = settings or current()
    day = day or today()
    actor = system_actor(DELIVERY_ACTOR)
    with unit_of_work(actor) as uow:
        items = _pending(uow.session, day, settings.channels())
    report = DeliveryReport(day)
    for channel in settings.channels():
        mine = [it for it in items if it.channel == channel]
        if not mine:
            continue
        try:
            attempts = channels.push(channel, mine, settings)
        except Exception as exc:  # noqa: BLE001  (a fault in one channel must not stop the others)
            attempts = [Attempt(it.delivery_id, utcnow(), False, f"发送程序出错：{type(exc).__name__}")
                        for it in mine]
        with unit_of_work(actor) as uow:
            _store(uow.session, attempts)
        report.channels[channel] = _summarise(channel, attempts)
    return report
