"""The per-person to-do list (待办): what this actor must do now, oldest first, each with its stage's limit.

Plain module (no Flask): the caller passes the actor, "today" and the session. Bounded work whatever the
table sizes: one count per queue and the oldest `per_queue` rows of each.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.clock import local
from app.desk import todo_queries as q
from app.desk.limits import due_on, stage_limit
from app.domain.actor import Actor
from app.domain.errors import N_
from app.domain.workflow import AppSnapshot, available

KINDS = ("application", "loan", "leaver", "material", "fee")
PER_QUEUE = 20
# The queue "status" of the kinds that are not applications (a leaver's own status varies).
QUEUE_STATUS = {"material": "unverified", "leaver": "leaving", "loan": "lent", "fee": "unpaid"}
# The queues as the office names them (msgids, translated at the edge: home page, API).
QUEUE_LABELS = {
    ("application", "submitted"): N_("Awaiting pre-review"),
    ("application", "needs_materials"): N_("Supplement materials (your turn)"),
    ("application", "dept_review"): N_("Awaiting department approval"),
    ("application", "leader_review"): N_("Awaiting leader approval"),
    ("application", "entry"): N_("Awaiting police-system entry"),
    ("application", "at_police"): N_("At the police station (follow up)"),
    ("application", "completed"): N_("To archive"),
    ("material", "unverified"): N_("Materials to verify"),
    ("leaver", "leaving"): N_("Left the unit, not moved out past the deadline"),
    ("loan", "lent"): N_("Overdue page loans"),
    ("fee", "unpaid"): N_("Fees to settle before moving out"),
}
# Actions of the kinds that are not applications (the workflow table names the others).
OTHER_ACTIONS = {"verify": N_("Verify"), "return": N_("Return"), "pay": N_("Record payment")}
# Order of the queues on the page: the workflow's order, then the office's follow-up.
APPLICATION_ORDER = ("needs_materials", "submitted", "dept_review", "leader_review", "entry", "at_police",
                     "completed")


@dataclass(frozen=True)
class Item:
    """One thing waiting for the actor."""

    kind: str
    id: int
    status: str
    actions: tuple[str, ...]
    since: dt.date
    due: dt.date | None
    overdue: bool
    title: str
    link: str
    type: str | None = None
    department: str | None = None

    @property
    def queue(self) -> tuple[str, str]:
        """The (kind, status) of the queue the item is listed under."""
        return (self.kind, self.status if self.kind == "application" else QUEUE_STATUS[self.kind])

    def waited(self, today: dt.date) -> int:
        """Calendar days waited so far."""
        return max(0, (today - self.since).days)


@dataclass
class Todo:
    """The whole list: queues with their full counts, and the oldest items of each."""

    queues: list[q.Queue] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Everything waiting, listed or not."""
        return sum(queue.count for queue in self.queues)


def _day(stamp: dt.datetime | dt.date | None, fallback: dt.date) -> dt.date:
    """The local calendar day of a stored UTC timestamp (dates pass through)."""
    if stamp is None:
        return fallback
    if isinstance(stamp, dt.datetime):
        return local(stamp).date()
    return stamp


def _item(kind, obj_id, status, actions, since, due, today, title, link, **extra) -> Item:
    """An Item with `overdue` worked out: today is past the due day."""
    return Item(kind, obj_id, status, tuple(actions), since, due, due is not None and today > due, title, link,
                **extra)


def _snapshot(app) -> AppSnapshot:
    """The workflow's view of an application row."""
    return AppSnapshot(app.id, app.type, app.status, app.department_id, app.resident_id, app.created_by_id,
                       app.version)


def _applications(session: Session, actor: Actor, today: dt.date, per_queue: int, todo: Todo) -> None:
    """Applications per status; an item the workflow would refuse the actor is dropped, not listed."""
    counts = q.application_counts(session, actor)
    for status in sorted(counts, key=lambda s: (APPLICATION_ORDER.index(s) if s in APPLICATION_ORDER else 99, s)):
        todo.queues.append(q.Queue("application", status, counts[status]))
        for app, stamp in q.applications(session, actor, status, per_queue):
            actions = available(_snapshot(app), actor)
            if not set(actions) & q.QUEUE_ACTIONS:
                continue
            since = _day(stamp, today)
            todo.items.append(_item(
                "application", app.id, status, actions, since, due_on(status, since), today,
                app.resident.name if app.resident else f"#{app.id}", f"/applicationview/show/{app.id}",
                type=app.type, department=app.department.name if app.department else None))


def _office(session: Session, actor: Actor, today: dt.date, per_queue: int, todo: Todo) -> None:
    """The office's follow-up: leavers past the move-out deadline, overdue page loans."""
    if not q.is_office(actor):
        return
    move_out = stage_limit("leaver")
    if move_out is not None and actor.can("read", "Resident"):
        total, rows = q.leavers(session, actor, today, move_out[0], per_queue)
        todo.queues.append(q.Queue("leaver", QUEUE_STATUS["leaver"], total))
        for rid, status, left, name, dept in rows:
            todo.items.append(_item("leaver", rid, status, (), left, due_on("leaver", left), today, name,
                                    f"/residentview/show/{rid}", department=dept))
    if actor.can("read", "PageLoan"):
        total, rows = q.overdue_loans(session, actor, today, per_queue)
        todo.queues.append(q.Queue("loan", QUEUE_STATUS["loan"], total))
        can_return = ("return",) if actor.can("write", "PageLoan") else ()
        for loan_id, lent_on, due, name in rows:
            todo.items.append(_item("loan", loan_id, "lent", can_return, lent_on, due, today, name,
                                    f"/pageloanview/show/{loan_id}"))


def _materials(session: Session, actor: Actor, today: dt.date, per_queue: int, todo: Todo) -> None:
    """Uploaded materials waiting for the officer's check (part of pre-review, same limit)."""
    if not actor.can("verify", "Material"):
        return
    total, rows = q.materials_to_verify(session, actor, per_queue)
    todo.queues.append(q.Queue("material", QUEUE_STATUS["material"], total))
    for mid, app_id, uploaded, type_name, name in rows:
        since = _day(uploaded, today)
        todo.items.append(_item("material", mid, "unverified", ("verify", "return"), since,
                                due_on("submitted", since), today, name, f"/applicationview/show/{app_id}",
                                type=type_name))


def _fees(session: Session, actor: Actor, today: dt.date, per_queue: int, todo: Todo) -> None:
    """Finance: unpaid fees holding up a move-out."""
    if not actor.can("write", "Fee"):
        return
    total, rows = q.fees_before_move_out(session, actor, per_queue)
    todo.queues.append(q.Queue("fee", QUEUE_STATUS["fee"], total))
    started = q.move_out_started(session, sorted({row[2] for row in rows}))
    for fee_id, status, resident_id, due, name in rows:
        since = _day(started.get(resident_id), today)
        todo.items.append(_item("fee", fee_id, status, ("pay",), since, due, today, name, f"/feeview/show/{fee_id}"))


def todo_summary(actor: Actor, today: dt.date, session: Session | None = None, per_queue: int = PER_QUEUE) -> Todo:
    """Queues (full counts) and their oldest items, for the home page and the API."""
    if session is None:
        from app.extensions import db  # late: the module stays free of Flask

        session = db.session
    todo = Todo()
    if not actor.is_authenticated:
        return todo
    for part in (_applications, _materials, _office, _fees):
        part(session, actor, today, per_queue, todo)
    todo.queues = [queue for queue in todo.queues if queue.count]
    todo.items.sort(key=lambda item: (item.since, KINDS.index(item.kind), item.id))
    return todo


def todo_for(actor: Actor, today: dt.date, session: Session | None = None, per_queue: int = PER_QUEUE) -> list[Item]:
    """What the actor must do now, oldest first (the oldest `per_queue` of each queue)."""
    return todo_summary(actor, today, session, per_queue).items
