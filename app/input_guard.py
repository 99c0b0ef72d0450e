"""Malformed input is refused before any view runs: a clean 400/404/422 in the user's language, never a 500.

One check for every request, web and API: path parameters (ids beyond the database's integer range), query
arguments (control characters, FAB's rison `q` and the `_flt_` filters of list pages checked against their
column types), JSON bodies (invalid, too deeply nested, lone surrogates, numbers beyond 64 bits) and form fields
(the text rule of app.domain.text). FAB's add/edit forms check text with a WTForms validator instead, so that
the error shows next to the field (see attach_text_validators).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Iterator

import prison
from flask import Flask, current_app, jsonify, request
from flask_appbuilder.models.filters import FilterRelation, map_args_filter
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from wtforms.fields import PasswordField, StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation

from .domain.text import code_point, text_problem
from .i18n import render

MAX_PK = 2**31 - 1  # INTEGER primary keys (PostgreSQL int4)
INT64 = 2**63
MAX_Q_CHARS = 10_000
MAX_Q_DEPTH = 6  # (filters:!((col:…,value:!(…)))) is 4 deep
MAX_JSON_DEPTH = 20
MAX_PAGE = 1_000_000
_FLT_ARG = re.compile(r"_flt_(\d)_(.*)")
_DIGITS = re.compile(r"\s*[+-]?\d+\s*")
# FAB's REST filter operators whose value is a list.
_LIST_OPERATORS = frozenset({"in", "not_in", "rel_m_m"})


class Refused(Exception):
    """Input refused with an HTTP status and a message (text, or {field: [texts]} for a 422)."""

    def __init__(self, status: int, message: Any):
        super().__init__(status)
        self.status = status
        self.message = message


def install(app: Flask) -> None:
    """Check every request before its view, and add the text validator to every FAB form."""
    app.before_request(check_request)
    attach_text_validators(app.appbuilder)


def check_request():
    """before_request: None when the request is well formed, else the error response."""
    view = _current_view()
    try:
        _check_path()
        _check_args(view)
        _check_json(view)
        _check_form(view)
    except Refused as refused:
        return _answer(refused)
    return None


def _current_view():
    """The FAB view (or API) instance serving this request, if any (its labels and columns name fields)."""
    function = current_app.view_functions.get(request.endpoint or "")
    return getattr(function, "__self__", None)


def _answer(refused: Refused):
    """The JSON (API) or HTML error response for a refusal."""
    from .errors import error_response

    if request.path.startswith("/api/"):
        return jsonify(message=refused.message), refused.status
    message = refused.message
    if isinstance(message, dict):
        message = "；".join(text for texts in message.values() for text in texts)
    return error_response(refused.status, message)


def _label(view, name: str) -> str:
    """The field's label as the user sees it (FAB label_columns), else its name."""
    labels = getattr(view, "label_columns", None) or {}
    return str(labels.get(name) or name)


def _shown(name: str) -> str:
    """A client's field or argument name to echo: at most 40 characters, unprintable ones as U+XXXX."""
    return "".join(ch if ch.isprintable() else code_point(ch) for ch in str(name)[:40])


def _field_error(view, name: str, problem: str) -> Refused:
    """A 422 naming the field, in the shape of the API's validation errors."""
    shown = _shown(name)
    return Refused(422, {shown: [f"{_label(view, shown)}：{problem}"]})


# --- path parameters -----------------------------------------------------------------------------------------

def _check_path() -> None:
    """An id outside the INTEGER range, or a path part with control characters, names no row: 404."""
    if _text_id_on_id_route():
        raise Refused(404, gettext("Not found"))
    for value in (request.view_args or {}).values():
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not 0 <= value <= MAX_PK:
            raise Refused(404, gettext("Not found"))
        if isinstance(value, str):
            if text_problem(value) or (_DIGITS.fullmatch(value) and not -MAX_PK <= int(value) <= MAX_PK):
                raise Refused(404, gettext("Not found"))


def _text_id_on_id_route() -> bool:
    """GET /api/v1/roles/abc: FAB's PUT/DELETE routes take any text as <pk>, so Flask answers 405 for GET;
    the id names nothing, which is a 404."""
    error = request.routing_exception
    if not isinstance(error, MethodNotAllowed) or not request.path.startswith("/api/"):
        return False
    adapter = current_app.url_map.bind("localhost")
    for method in error.valid_methods or ():
        try:
            _, args = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if any(isinstance(v, str) and not re.fullmatch(r"[0-9]+", v) for v in args.values()):
            return True
    return False


# --- query arguments -----------------------------------------------------------------------------------------

def _check_args(view) -> None:
    """Every query argument is clean text; `q` (API) and `_flt_` (web lists) are checked against columns."""
    for key in request.args:
        for value in request.args.getlist(key):
            problem = text_problem(key) or text_problem(value)
            if problem:
                raise Refused(400, gettext("Query argument %(name)s %(problem)s", name=_shown(key),
                                           problem=render(problem)))
        match = _FLT_ARG.fullmatch(key)
        if match:
            _check_web_filter(view, int(match.group(1)), match.group(2), request.args.getlist(key))
    if "q" in request.args and request.path.startswith("/api/"):
        _check_rison(view, request.args["q"])


def _check_web_filter(view, index: int, column: str, values: list[str]) -> None:
    """A list page's `_flt_<n>_<column>`: an existing filter, and a whole number for id/relation columns."""
    filters = getattr(view, "_filters", None)
    if filters is None or view is None:
        return
    search = filters.get_search_filters()
    if column not in search:
        return  # FAB ignores filters on columns that are not searchable
    if index >= len(search[column]):
        raise Refused(400, gettext("Unknown filter on %(column)s", column=_label(view, column)))
    # Our own filters (e.g. the applicant's name on the applications list) read text; FAB's read keys.
    own_filter = not type(search[column][index]).__module__.startswith("flask_appbuilder")
    if _is_key_column(view, column) and not own_filter:
        for value in values:
            if value.strip() and not _valid_key(value):
                raise Refused(400, _whole_number_message(view, column))


def _is_key_column(view, column: str) -> bool:
    """An integer column or a relation (whose filter value is the related row's id)."""
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None or "." in column:
        return False
    try:
        return bool(datamodel.is_relation(column) or datamodel.is_integer(column))
    except Exception:  # noqa: BLE001 - an unknown column is FAB's business (it answers 400 itself)
        return False


def _valid_key(value: Any) -> bool:
    """A whole number (or its decimal text) within the INTEGER range; not a boolean or a fraction."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            return False
        value = int(value)
    return isinstance(value, int) and -MAX_PK <= value <= MAX_PK


def _whole_number_message(view, column: str) -> str:
    """The filter on `column` needs a whole number in range."""
    return gettext("The filter on %(column)s needs a whole number between %(min)s and %(max)s",
                   column=_label(view, column), min=-MAX_PK, max=MAX_PK)


def parse_rison(raw: str) -> Any:
    """FAB's `q`: rison, else JSON (FAB_API_ALLOW_JSON_QS); Refused(400) for anything else or too long."""
    if len(raw) > MAX_Q_CHARS:
        raise Refused(400, gettext("The query argument q is too long"))
    try:
        return prison.loads(raw)
    except Exception:  # noqa: BLE001 - prison raises ParserException, ValueError, RecursionError…
        pass
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, gettext("The query argument q is neither valid rison nor JSON")) from None


def _check_rison(view, raw: str) -> None:
    """`q` is an object of sane values; paging is in range; filter values fit their columns."""
    value = parse_rison(raw)
    if not isinstance(value, dict):
        raise Refused(400, gettext("The query argument q must be an object, for example (page:0,page_size:25)"))
    for item, depth in _walk(value):
        if depth > MAX_Q_DEPTH:
            raise Refused(400, gettext("The query argument q is nested too deeply"))
        problem = _scalar_problem(item)
        if problem:
            raise Refused(400, gettext("Query argument %(name)s %(problem)s", name="q", problem=problem))
    _check_paging(value)
    filters = value.get("filters")
    if isinstance(filters, list):
        for flt in filters:
            if isinstance(flt, dict):
                _check_rest_filter(view, flt)


def _check_paging(value: dict) -> None:
    """page ≥ 0 and page_size ≥ 1, both whole numbers (PostgreSQL refuses a negative OFFSET or LIMIT)."""
    for key, low in (("page", 0), ("page_size", 1)):
        if key not in value:
            continue
        number = value[key]
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= MAX_PAGE:
            raise Refused(400, gettext("%(name)s must be a whole number between %(min)s and %(max)s",
                                       name=key, min=low, max=MAX_PAGE))


def _check_rest_filter(view, flt: dict) -> None:
    """A REST filter's value has the type of its column: ids whole numbers in range, text columns text."""
    column, operator, value = flt.get("col"), flt.get("opr"), flt.get("value")
    if not isinstance(column, str) or not isinstance(operator, str):
        return  # FAB's own schema check answers 400
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and operator not in _LIST_OPERATORS:
        raise Refused(400, gettext("The filter on %(column)s needs a single value", column=_label(view, column)))
    filter_class = map_args_filter.get(operator)
    if filter_class is None or not _allowed_filter(view, column, operator):
        return  # an unknown operator, or a column/operator the API does not allow: FAB answers 400 itself
    if _is_key_column(view, column) and (issubclass(filter_class, FilterRelation) or not _is_relation(view, column)):
        if not all(_valid_key(v) for v in values):
            raise Refused(400, _whole_number_message(view, column))
    elif _is_text_column(view, column) and not all(isinstance(v, str) for v in values):
        raise Refused(400, gettext("The filter on %(column)s needs text", column=_label(view, column)))


def _allowed_filter(view, column: str, operator: str) -> bool:
    """Whether the API lets `column` be filtered with `operator` (only then does the value's type matter)."""
    filters = getattr(view, "_filters", None)
    search = filters.get_search_filters() if filters is not None else {}
    return any(getattr(flt, "arg_name", None) == operator for flt in search.get(column, ()))


def _is_relation(view, column: str) -> bool:
    """A relation column (its stock REST filters take the related row's id; an API's own may take text)."""
    datamodel = getattr(view, "datamodel", None)
    try:
        return bool(datamodel is not None and "." not in column and datamodel.is_relation(column))
    except Exception:  # noqa: BLE001 - unknown column: FAB answers 400
        return False


def _is_text_column(view, column: str) -> bool:
    """A string/text/date column: FAB compares or pattern-matches the value as text."""
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None or "." in column:
        return False
    try:
        return bool(datamodel.is_string(column) or datamodel.is_text(column) or datamodel.is_date(column)
                    or datamodel.is_datetime(column))
    except Exception:  # noqa: BLE001 - unknown column: FAB answers 400
        return False


# --- JSON bodies ---------------------------------------------------------------------------------------------

def _walk(value: Any) -> Iterator[tuple[Any, int]]:
    """Every value inside a parsed JSON/rison document with its depth (keys included), without recursion."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        yield item, depth
        if isinstance(item, dict):
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _scalar_problem(item: Any) -> str | None:
    """Why a JSON scalar cannot be stored: control characters, or a number that is not finite or too large."""
    if isinstance(item, str):
        problem = text_problem(item, multiline=True)
        return render(problem) if problem else None
    if isinstance(item, bool):
        return None
    if isinstance(item, int) and not -INT64 <= item < INT64:
        return gettext("holds a number that is too large")
    if isinstance(item, float) and not math.isfinite(item):
        return gettext("holds a number that is not finite")
    return None


def _check_json(view) -> None:
    """A JSON body parses, is not absurdly nested, and every value in it can be stored."""
    if not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw.strip():
        return  # the view decides whether a body is required
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, gettext("The request body is not valid JSON")) from None
    fields = body.items() if isinstance(body, dict) else [("_schema", body)]
    for name, value in fields:
        if text_problem(str(name)):
            raise Refused(422, {"_schema": [gettext("A field name contains a control character")]})
        for item, depth in _walk(value):
            if depth > MAX_JSON_DEPTH:
                raise Refused(400, gettext("The request body is nested too deeply"))
            problem = _scalar_problem(item) or _single_line_problem(view, name, item, depth)
            if problem:
                raise _field_error(view, str(name), problem)


def _single_line_problem(view, name: str, item: Any, depth: int) -> str | None:
    """Line breaks in a short text column (a name, a code, a number) are refused too."""
    if depth or not isinstance(item, str) or not _is_single_line_column(view, name):
        return None
    problem = text_problem(item, multiline=False)
    return render(problem) if problem else None


def _is_single_line_column(view, name: str) -> bool:
    """A String column of at most 100 characters: names, codes, numbers, places (the web shows one line)."""
    datamodel = getattr(view, "datamodel", None)
    column = getattr(getattr(datamodel, "obj", None), "__table__", None)
    column = column.columns.get(name) if column is not None else None
    length = getattr(getattr(column, "type", None), "length", None)
    return length is not None and length <= 100


# --- form fields ---------------------------------------------------------------------------------------------

def _check_form(view) -> None:
    """Form fields (uploads, custom forms, API multipart) are clean text; FAB's model forms check themselves."""
    if request.method not in ("POST", "PUT", "PATCH") or request.is_json:
        return
    if any(not name for name in (*request.form, *request.files)):
        raise Refused(400, gettext("A form field has no name"))  # a multipart part without name="…"
    if _is_model_form(view):
        return
    for name, values in request.form.lists():
        if "password" in name.lower():
            continue  # secrets are hashed, never shown: any character the user can type is theirs
        for value in values:
            problem = text_problem(name) or text_problem(value, multiline=True)
            if problem:
                raise _field_error(view, name, render(problem))


def _is_model_form(view) -> bool:
    """FAB's add/edit form of a ModelView (its fields carry the PlainText validator)."""
    from flask_appbuilder import ModelView

    return isinstance(view, ModelView) and (request.endpoint or "").rsplit(".", 1)[-1] in ("add", "edit")


# --- WTForms -------------------------------------------------------------------------------------------------

class PlainText:
    """WTForms validator: the text rule of app.domain.text (single line unless the field is a text area)."""

    def __init__(self, multiline: bool = False) -> None:
        """multiline: tabs and line breaks allowed (text areas)."""
        self.multiline = multiline

    def __call__(self, form, field) -> None:
        """Stop the field's validation with a message naming the refused character."""
        if isinstance(field.data, str):
            problem = text_problem(field.data, self.multiline)
            if problem:  # stop the chain: later validators (e.g. "unique") would send the text to the database
                raise StopValidation(render(problem))


def attach_text_validators(appbuilder) -> None:
    """Add PlainText to every text field of every registered FAB form (add, edit, search and simple forms)."""
    for view in appbuilder.baseviews:
        for attr in ("add_form", "edit_form", "form"):
            form = getattr(view, attr, None)
            if isinstance(form, type):
                _attach(form)


def _attach(form_class: type) -> None:
    """PlainText on each StringField/TextAreaField of one form class (once; passwords excepted)."""
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if not isinstance(unbound, UnboundField) or not issubclass(unbound.field_class, StringField):
            continue
        if issubclass(unbound.field_class, PasswordField):
            continue
        multiline = issubclass(unbound.field_class, TextAreaField)
        validators = list(unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else []))
        if any(isinstance(v, PlainText) for v in validators):
            continue
        validators.insert(0, PlainText(multiline))  # first: nothing else sees refused text
        if len(unbound.args) > 1:
            unbound.args = (unbound.args[0], validators, *unbound.args[2:])
        else:
            unbound.kwargs["validators"] = validators
