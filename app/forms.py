"""WTForms pieces shared by screens: the one ID-number validator, code-table selects, date fields."""
from __future__ import annotations

from typing import Any

from flask import flash, g
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Optional, ValidationError

from .domain import codes, idnumber
from .domain.errors import Message, N_
from .i18n import render


def duplicate_id(number: str, exclude_id: Any = None) -> Message | None:
    """A message when another resident already has this normalised ID number (checked unit-wide, unscoped)."""
    from .extensions import db
    from .models import Resident

    stmt = select(Resident.id).where(Resident.id_number == number)
    if exclude_id not in (None, ""):
        stmt = stmt.where(Resident.id != int(exclude_id))
    if db.session.scalar(stmt.limit(1)) is None:
        return None
    return Message("id_duplicate", N_("The ID number %(number)s is already registered for another resident"),
                   {"number": number})


def note_warnings(result: idnumber.IdCheck) -> list[str]:
    """Translate an accepted number's warnings (e.g. unknown region) and keep them for this request."""
    texts = [render(w) for w in result.warnings]
    g.hk_warnings = list(dict.fromkeys([*g.get("hk_warnings", []), *texts]))
    return texts


class IdNumberValidator:
    """Validate and normalise a 公民身份号码 with app.domain.idnumber (errors block, warnings do not)."""

    def __init__(self, unique_resident: bool = False) -> None:
        """unique_resident: also refuse a number another resident already has (the register's forms)."""
        self.unique_resident = unique_resident

    def __call__(self, form, field) -> None:
        """Replace the field data with the normalised number or raise the first Chinese error."""
        result = idnumber.check(field.data)
        if not result.ok:
            raise ValidationError(render(result.errors[0]))
        field.data = result.number
        birth = getattr(form, "birth_date", None)
        gender = getattr(form, "gender", None)
        problems = idnumber.consistency(result, birth.data if birth else None, gender.data if gender else None)
        # FAB's edit sets form._id to the row being edited, so its own number is not a duplicate.
        dup = duplicate_id(result.number, getattr(form, "_id", None)) if self.unique_resident else None
        if problems or dup:
            raise ValidationError(render((problems or (dup,))[0]))
        for text in note_warnings(result):
            flash(text, "warning")


def code_select(label, table: dict, required: bool = False) -> SelectField:
    """A select over a national code table, showing 'code name'."""
    choices = [("", "")] + [(c, f"{n}") for c, n in codes.choices(table)]
    return SelectField(label, choices=choices, widget=Select2Widget(),
                       validators=[DataRequired() if required else Optional()])


def enum_select(label, mapping: dict, required: bool = True) -> SelectField:
    """A select over a code → msgid mapping, labels translated lazily."""
    return SelectField(label, choices=[(k, _l(v)) for k, v in mapping.items()], widget=Select2Widget(),
                       validators=[DataRequired() if required else Optional()])


def id_number_field(unique_resident: bool = False) -> StringField:
    """The ID-number input used by every form (unique_resident: the register's own forms)."""
    return StringField(_l("ID number"), validators=[DataRequired(), IdNumberValidator(unique_resident)],
                       widget=BS3TextFieldWidget())
