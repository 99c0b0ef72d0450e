"""Register rules behind the screens (no Flask): marking leavers, the top-bar search, the leavers block."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..dao import scoped, visible
from ..domain import idnumber
from ..domain.actor import Actor
from ..domain.errors import DomainError, Message, N_
from ..models import Application, Resident

SEARCH_LIMIT = 50
# The last 4 to 6 characters of an ID number (the check character may be X).
_TAIL = re.compile(r"^[0-9]{3,5}[0-9Xx]$")


@dataclass
class LeavingResult:
    """What 「标记为迁出中」 did: the names changed, and the names left alone (not in the household)."""

    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def check_leave_date(value: dt.date | None, today: dt.date) -> dt.date:
    """The leave date HR gave: required, and not absurdly far from today (a typo in the year)."""
    if value is None:
        raise DomainError(Message("leave_date_required", N_("Leave date: please enter the date the person leaves")))
    if abs((value - today).days) > 366 * 5:
        raise DomainError(Message("leave_date_far", N_("Leave date: %(date)s is more than five years from today"),
                                  {"date": value.isoformat()}))
    return value


def mark_leaving(session: Session, actor: Actor, ids: list[int], leave_date: dt.date) -> LeavingResult:
    """In-household residents among `ids` (visible to `actor`) become 迁出中 with the leave date; others stay."""
    rows = session.scalars(visible(Resident, actor).where(Resident.id.in_(ids)).order_by(Resident.name)
                           .with_for_update(of=Resident).execution_options(populate_existing=True)).all()
    result = LeavingResult()
    for row in rows:
        if row.status != "active":
            result.skipped.append(row.name)
            continue
        row.status, row.leave_date = "leaving", leave_date
        row.version = (row.version or 0) + 1
        result.changed.append(row.name)
    return result


def leaving_block(session: Session, actor: Actor, limit: int = 10) -> tuple[int, list[Resident]]:
    """The 迁出中 residents the actor may see: their count and the earliest leavers first."""
    cond = Resident.status == "leaving"
    total = session.scalar(scoped(select(func.count(Resident.id)).where(cond), Resident, actor)) or 0
    rows = session.scalars(visible(Resident, actor).where(cond)
                           # NULLS LAST rather than "IS NULL" first: the (status, leave_date) index gives the order
                           .order_by(Resident.leave_date.asc().nulls_last(), Resident.id).limit(limit))
    return total, list(rows)


def search_kind(term: str, may_partial: bool) -> tuple[str, str] | None:
    """How a top-bar term is searched: ('id', number), ('tail', digits), ('name', text); None = refused."""
    term = term.strip()
    if not term:
        return None
    number = idnumber.normalize(term)
    if len(number) == 18 and idnumber.check(number).ok:
        return "id", number
    if _TAIL.match(term):
        # A part of a number narrows down digits the user could not see: only for those who may unmask.
        return ("tail", term.upper()) if may_partial else None
    if any(ch.isdigit() for ch in term):
        return None  # a number of another length: never a "contains" search over personal numbers
    return "name", term


def find_residents(session: Session, actor: Actor, kind: str, value: str,
                   limit: int = SEARCH_LIMIT) -> list[Resident]:
    """Visible residents matching a classified term (see search_kind), by name."""
    if kind == "id":
        cond = Resident.id_number == value
    elif kind == "tail":
        cond = Resident.id_number.endswith(value, autoescape=True)
    else:
        cond = or_(Resident.name.startswith(value, autoescape=True),
                   Resident.former_name.startswith(value, autoescape=True))
    stmt = visible(Resident, actor).where(cond).order_by(Resident.name, Resident.id).limit(limit)
    return list(session.scalars(stmt))


def application_counts(session: Session, actor: Actor, resident_ids: list[int]) -> dict[int, int]:
    """How many applications of each resident the actor may see."""
    if not resident_ids:
        return {}
    stmt = scoped(select(Application.resident_id, func.count(Application.id))
                  .where(Application.resident_id.in_(resident_ids)).group_by(Application.resident_id),
                  Application, actor)
    return dict(session.execute(stmt).all())


def recent_applications(session: Session, actor: Actor, resident_ids: list[int],
                        per_person: int = 5) -> dict[int, list[Application]]:
    """The newest visible applications of each resident (at most `per_person` each)."""
    if not resident_ids:
        return {}
    stmt = (visible(Application, actor).where(Application.resident_id.in_(resident_ids))
            .order_by(Application.id.desc()).limit(per_person * len(resident_ids)))
    out: dict[int, list[Application]] = {}
    for app in session.scalars(stmt):
        bucket = out.setdefault(app.resident_id, [])
        if len(bucket) < per_person:
            bucket.append(app)
    return out
