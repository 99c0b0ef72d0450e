"""WTForms pieces shared by screens: the one ID-number validator, code-table selects, date fields."""
from __future__ import annotations

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Optional, ValidationError

from .domain import codes, idnumber
from .i18n import render


class IdNumberValidator:
    """Validate and normalise a 公民身份号码 with app.domain.idnumber (errors block, warnings do not)."""

    def __call__(self, form, field) -> None:
        """Replace the field data with the normalised number or raise the first Chinese error."""
        result = idnumber.check(field.data)
        if not result.ok:
            raise ValidationError(render(result.errors[0]))
        field.data = result.number
        birth = getattr(form, "birth_date", None)
        gender = getattr(form, "gender", None)
        problems = idnumber.consistency(result, birth.data if birth else None, gender.data if gender else None)
        if problems:
            raise ValidationError(render(problems[0]))


def code_select(label, table: dict, required: bool = False) -> SelectField:
    """A select over a national code table, showing 'code name'."""
    choices = [("", "")] + [(c, f"{n}") for c, n in codes.choices(table)]
    return SelectField(label, choices=choices, widget=Select2Widget(),
                       validators=[DataRequired() if required else Optional()])


def enum_select(label, mapping: dict, required: bool = True) -> SelectField:
    """A select over a code → msgid mapping, labels translated lazily."""
    return SelectField(label, choices=[(k, _l(v)) for k, v in mapping.items()], widget=Select2Widget(),
                       validators=[DataRequired() if required else Optional()])


def id_number_field() -> StringField:
    """The ID-number input used by every form."""
    return StringField(_l("ID number"), validators=[DataRequired(), IdNumberValidator()],
                       widget=BS3TextFieldWidget())
