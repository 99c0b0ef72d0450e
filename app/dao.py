"""The one way to query rows: every query starts from the rows an Actor may see (fails closed)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from .domain.actor import Actor
from .domain.errors import Message, N_, NotVisible
from .extensions import db
from .security.scope import criteria

MAX_PK = 2**31 - 1


def scoped(stmt: Select, model, actor: Actor) -> Select:
    """Add the actor's row-scope WHERE clause for `model` to a select."""
    clause = criteria(model, actor)
    return stmt if clause is None else stmt.where(clause)


def visible(model, actor: Actor) -> Select:
    """SELECT model rows the actor may see."""
    return scoped(select(model), model, actor)


def as_pk(pk: Any) -> int | None:
    """An integer primary key in range, or None (text, floats, booleans and huge numbers are no key)."""
    if isinstance(pk, bool) or isinstance(pk, float):
        return None
    try:
        value = int(pk)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= MAX_PK else None


def get_visible(model, pk: Any, actor: Actor, session=None):
    """The row with primary key `pk` if the actor may see it, else None."""
    key = as_pk(pk)
    if key is None:
        return None
    return (session or db.session).scalar(visible(model, actor).where(model.id == key))


def not_found(model, pk: Any) -> NotVisible:
    """The 404 for a row that is missing or outside the scope (it does not tell which); audited as a refusal."""
    return NotVisible(Message("record_not_found", N_("Record %(id)s was not found."), {"id": str(pk)[:40]}),
                      object_type=model.__name__, object_id=str(pk)[:40])


def get_or_refuse(model, pk: Any, actor: Actor, session=None):
    """The visible row, else NotVisible (a 404 that does not tell "missing" from "not yours")."""
    obj = get_visible(model, pk, actor, session)
    if obj is None:
        raise not_found(model, pk)
    return obj
