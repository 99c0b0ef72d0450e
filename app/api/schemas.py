"""The REST APIs' marshmallow schemas made exact: strict whole numbers in range, enums, finite numbers, and one
schema object per request (load() keeps the row being edited on the schema object itself)."""
from __future__ import annotations

import copy
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from marshmallow.validate import OneOf, Range
from sqlalchemy import Integer, Numeric

MAX_KEY = 2**31 - 1  # INTEGER columns (PostgreSQL int4)
MAX_AMOUNT = 10**6  # months, years: far above any real value, far below any overflow


class PerRequestSchema:
    """A descriptor for FAB's add/edit schema: the schema built at start-up, copied once per request.

    marshmallow-sqlalchemy's `load(data, instance=item)` stores `item` on the schema object until it returns,
    and FAB keeps one schema per API class: two threads editing at once swapped their rows (DetachedInstanceError)
    or lost them (an INSERT of the existing row). A copy per request keeps each request's row its own.
    """

    def __set_name__(self, owner, name: str) -> None:
        """Remember the attribute name."""
        self.name = name
        self.key = f"_hk_template_{name}"

    def __get__(self, obj, owner=None):
        """The request's own copy (the template itself outside a request, e.g. at start-up)."""
        if obj is None:
            return self
        template = obj.__dict__.get(self.key)
        if template is None or not has_request_context():
            return template
        copies = g.setdefault("hk_schemas", {})
        key = (id(obj), self.name)
        if key not in copies:
            copies[key] = copy.copy(template)
        return copies[key]

    def __set__(self, obj, value) -> None:
        """FAB assigns the schema it built; keep it as the template."""
        obj.__dict__[self.key] = value


class WholeNumber(fields.Integer):
    """An integer field that refuses fractions (73.9 is not 73), numeric text and booleans."""

    def __init__(self, **kwargs: Any) -> None:
        """Always strict."""
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        """true/false are not numbers here."""
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


def _range(low, high) -> Range:
    """A Range validator with a translated message."""
    return Range(min=low, max=high, error=_l("Must be between {min} and {max}"))


def _replace(schema: Schema, name: str, field: fields.Field) -> None:
    """Put a new field in place of an existing one on a built schema instance."""
    old = schema.fields[name]
    field.data_key, field.attribute = old.data_key, old.attribute
    field._bind_to_schema(name, schema)
    for table in (schema.fields, schema.load_fields, schema.dump_fields, schema.declared_fields):
        if name in table:
            table[name] = field


def _column(api, name: str):
    """The model's SQL column called `name`, or None."""
    table = getattr(api.datamodel.obj, "__table__", None)
    return table.columns.get(name) if table is not None else None


def _tighten_field(api, schema: Schema, name: str) -> None:
    """Numbers: whole numbers for INTEGER columns (ids ≥ 1), non-negative finite amounts; enums from the API."""
    field, column = schema.fields[name], _column(api, name)
    kind = getattr(column, "type", None)
    if isinstance(kind, Integer):
        low = 1 if column.foreign_keys else 0
        _replace(schema, name, WholeNumber(required=field.required, allow_none=field.allow_none,
                                           validate=[*field.validators, _range(low, MAX_KEY)]))
    elif isinstance(field, (fields.Float, fields.Decimal)):
        field.allow_nan = False
        precision, scale = getattr(kind, "precision", None), getattr(kind, "scale", None) or 0
        # whole-number bounds: they compare exactly with Decimal and float, and the document shows numbers
        high = 10 ** (precision - scale) - 1 if isinstance(kind, Numeric) and precision else MAX_AMOUNT
        field.validators = [*field.validators, _range(0, high)]
    choices = api.column_enums.get(name)
    if choices:
        field.validators = [*field.validators, OneOf(list(choices), error=_l("Must be one of: {choices}"))]


def tighten(api) -> None:
    """Make the add and edit schemas of a ModelRestApi exact (what the document promises, the API enforces)."""
    for schema in {id(s): s for s in (api.add_model_schema, api.edit_model_schema) if s is not None}.values():
        for name in list(schema.fields):
            _tighten_field(api, schema, name)
    for schema in (api.list_model_schema, api.show_model_schema, api.add_model_schema, api.edit_model_schema):
        for field in (schema.fields.values() if schema is not None else ()):
            if isinstance(field, fields.Decimal):
                field.metadata["x-decimal"] = True  # sent as text: app.api.openapi documents number or text
