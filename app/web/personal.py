"""Personal numbers on screens and in the REST API: who sees them whole, and which searches and sorts are allowed.

Anyone finds one person by a complete, valid ID number (one row or none), nobody by a part of it (a "starts with"
filter gives any number back in ~40 requests, and the search itself is not logged like an unmask). Phone numbers
and birth dates cannot be searched; sorting by birth date needs `unmask` (its order narrows the hidden month and
day), by ID or phone number is not offered at all.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from flask import abort, current_app, g, has_request_context, request
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter, get_field_setup_query
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import false

from ..domain import idnumber
from .datamodel import HukouInterface

# Columns that are searched by the exact, complete number only (id_number) or not at all.
PERSONAL_FILTER_COLUMNS = ("id_number", "phone", "birth_date")
_WEB_FILTER_ARG = re.compile(r"_flt_(\d)_(.*)")  # FAB's own pattern (re.findall anywhere in the name)


def may_unmask() -> bool:
    """Whether the current user holds `unmask` on Resident (cached for the request)."""
    if not has_request_context():
        return False
    if "hk_may_unmask" not in g:
        g.hk_may_unmask = bool(current_app.appbuilder.sm.has_access("can_unmask", "Resident"))
    return g.hk_may_unmask


def exact_id(value: Any) -> str | None:
    """The normalised number if `value` is one complete, valid 18-character ID number, else None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    result = idnumber.check(value)
    return result.number if result.ok and result.number and len(result.number) == 18 else None


def partial_search_message() -> str:
    """Why a search by a part of a personal number is refused (400), naming the field."""
    return gettext("ID number: only a complete, valid 18-character number can be searched; "
                   "phone numbers and birth dates cannot be searched")


class UnmaskOnlyColumns:
    """A column list (e.g. order_columns) that leaves out `private` columns for users without `unmask`.

    A data descriptor: FAB assigns the attribute at start-up, which is ignored; every read asks the request."""

    def __init__(self, columns: Iterable[str], private: Iterable[str]) -> None:
        self.columns, self.private = list(columns), frozenset(private)

    def __get__(self, obj, owner=None) -> list[str]:
        """All columns for users who may unmask (and outside requests), else without the private ones."""
        if obj is None or may_unmask() or not has_request_context():
            return list(self.columns)
        return [c for c in self.columns if c not in self.private]

    def __set__(self, obj, value) -> None:
        """FAB's `self.order_columns = self.order_columns or …` at start-up: keep the declared list."""


class IdNumberEquals(BaseFilter):
    """The one ID-number filter: equal to a complete, valid number (normalised: spaces, full-width, lower x)."""

    name = _l("Equals (complete ID number)")
    arg_name = "eq"

    def apply(self, query, value):
        """Rows whose number is exactly the given one; nothing for anything else."""
        query, field = get_field_setup_query(query, self.model, self.column_name)
        number = exact_id(value)
        return query.filter(field == number) if number else query.filter(false())


class PersonalFilterConverter(SQLAFilterConverter):
    """FAB's filters, except: the ID number only by IdNumberEquals; phone and birth date not at all."""

    def convert(self, col_name):
        """Filters offered for one column."""
        if col_name == "id_number":
            return [IdNumberEquals(col_name, self.datamodel)]
        if col_name in PERSONAL_FILTER_COLUMNS:
            return []
        return super().convert(col_name)


class PersonalInterface(HukouInterface):
    """The data interface of models with personal numbers (Resident)."""

    filter_converter_class = PersonalFilterConverter


def check_web_filters() -> None:
    """400 for any `_flt_` argument on a personal column other than an exact, complete ID number."""
    for arg in request.args:
        found = _WEB_FILTER_ARG.findall(arg)
        if not found or found[0][1] not in PERSONAL_FILTER_COLUMNS:
            continue
        index, column = found[0]
        values = request.args.getlist(arg)
        if column != "id_number" or index != "0" or not all(exact_id(v) for v in values):
            abort(400, description=partial_search_message())


class PartialSearchRefused(FABException):
    """A REST filter on a personal column other than `eq` with a complete number (FAB answers 400)."""


def check_rest_filters(filters: Any) -> Any:
    """The rison filters with ID numbers normalised; PartialSearchRefused for any partial or other search."""
    if not isinstance(filters, list):
        return filters
    checked = []
    for flt in filters:
        if isinstance(flt, dict) and flt.get("col") in PERSONAL_FILTER_COLUMNS:
            number = exact_id(flt.get("value"))
            if flt.get("col") != "id_number" or flt.get("opr") != "eq" or number is None:
                raise PartialSearchRefused(partial_search_message())
            flt = {**flt, "value": number}
        checked.append(flt)
    return checked
