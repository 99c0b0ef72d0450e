"""The one way to query rows: every query goes through the current user's row scope."""
from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import Select, select

from .extensions import db
from .security.scope import Scope, criteria, current_scope


def scoped(stmt: Select, model, scope: Scope | None = None) -> Select:
    """Add the scope's WHERE clause for `model` to a select."""
    clause = criteria(model, scope or current_scope())
    return stmt if clause is None else stmt.where(clause)


def visible(model, scope: Scope | None = None) -> Select:
    """SELECT model rows the scope may see."""
    return scoped(select(model), model, scope)


def get_visible(model, pk: Any, scope: Scope | None = None):
    """The row with primary key `pk` if the scope may see it, else None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(visible(model, scope).where(model.id == pk))


def get_or_404(model, pk: Any, scope: Scope | None = None):
    """The visible row or a 404 that does not tell 'missing' from 'not yours'."""
    obj = get_visible(model, pk, scope)
    if obj is None:
        abort(404)
    return obj
