"""Application add/edit form pieces: one input per changeable resident field instead of a JSON text area."""
from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import Form, SelectField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Optional

from ..domain.masking import mask_changes
from ..domain.type_fields import CHANGES, off_type, types_with
from ..domain.workflow import TYPES
from ..extensions import db
from ..forms import code_select, enum_select
from ..models import Application, EligibilityRule
from ..services.effects import CHANGEABLE
from .lookup import ResidentPickerField

INFO_CHANGE = "info_change"
# Own msgids ("New marital status"), because the form asks for the new value, not the current one.
CHANGE_LABELS = {
    "name": _l("New name"), "former_name": _l("New former name"), "marital_status": _l("New marital status"),
    "education": _l("New education"), "ethnicity": _l("New ethnicity"), "occupation": _l("New occupation"),
    "phone": _l("New phone"),
}
# Form input name → resident field; the prefix keeps the inputs apart from real Application columns.
CHANGE_FIELDS = {f"new_{field}": field for field in CHANGE_LABELS}
CHANGES_HINT = _l("Only for an information change: fill in just the fields that change; "
                  "empty inputs keep the current value.")
# hukou.js shows the inputs only for an information change by finding them through this attribute.
MARKER = {"data-hk-change": True}


def _strip(value: Any) -> Any:
    """Surrounding blanks are not part of a new value."""
    return value.strip() if isinstance(value, str) else value


def change_inputs() -> dict[str, UnboundField]:
    """One optional input per changeable field: a code select for coded fields, a text input otherwise."""
    inputs: dict[str, UnboundField] = {}
    for name, field in CHANGE_FIELDS.items():
        label, table = CHANGE_LABELS[field], CHANGEABLE[field][2]
        description = CHANGES_HINT if not inputs else None
        if table is not None:
            unbound = code_select(label, table)
            unbound.kwargs.update(render_kw=dict(MARKER), description=description or "")
        else:
            unbound = StringField(label, description=description or "", widget=BS3TextFieldWidget(),
                                  filters=[_strip], validators=[Optional()], render_kw=dict(MARKER))
        inputs[name] = unbound
    return inputs


def _rule_values(column) -> list[str]:
    """Distinct non-empty values of one eligibility-rule column ('*' means any and is not a choice)."""
    values = db.session.scalars(select(column).distinct().where(column.isnot(None), column != "", column != "*"))
    return sorted(v.strip() for v in values if v and v.strip())


def _stored(column: str) -> list[str]:
    """The edited application's current value, so an old value stays valid on its edit form."""
    pk = str((request.view_args or {}).get("pk") or "") if request else ""
    if not pk.isdigit():  # the URL's pk is text; PostgreSQL compares integers only with integers
        return []
    value = db.session.scalar(select(getattr(Application, column)).where(Application.id == int(pk)))
    return [value] if value else []


def pathway_choices() -> list[tuple[str, str]]:
    """落户途径 from the rule table (plus the stored value when editing)."""
    values = dict.fromkeys(_rule_values(EligibilityRule.pathway) + _stored("pathway"))
    return [("", "")] + [(v, v) for v in values]


def city_choices() -> list[tuple[str, str]]:
    """城市 from the rule table and the unit's configured city (plus the stored value when editing)."""
    default = (current_app.config.get("HUKOU_CITY") or "").strip()
    values = dict.fromkeys(([default] if default else []) + _rule_values(EligibilityRule.city) + _stored("city"))
    return [("", "")] + [(v, v) for v in values]


def rule_selects() -> dict[str, UnboundField]:
    """落户途径 and 城市 as selects of the values the eligibility rules know (never typed)."""
    return {
        "pathway": SelectField(_l("Pathway"), choices=pathway_choices, widget=Select2Widget(),
                               validators=[Optional()], render_kw={"data-hk-types": " ".join(types_with("pathway"))},
                               description=_l("As listed in the eligibility rules")),
        "city": SelectField(_l("City"), choices=city_choices, widget=Select2Widget(), validators=[Optional()],
                            render_kw={"data-hk-types": " ".join(types_with("city"))}),
    }


def add_form_fields() -> dict[str, UnboundField]:
    """Add form: applicant picker, type as a select of translated labels, rule selects and the change inputs."""
    return {"resident": ResidentPickerField(_l("Applicant"), validators=[DataRequired()]),
            "type": enum_select(_l("Application type"), TYPES), **rule_selects(), **change_inputs()}


def edit_form_fields() -> dict[str, UnboundField]:
    """Edit form: the rule selects and the change inputs."""
    return {**rule_selects(), **change_inputs()}


def form_names(field: str) -> list[str]:
    """The form inputs of one type-dependent field (the requested changes are several inputs)."""
    return list(CHANGE_FIELDS) if field == CHANGES else [field]


def drop_off_type(form: Form, app_type: str | None) -> None:
    """Remove the inputs that do not belong to this type, so they are neither shown nor saved."""
    for field in off_type(app_type):
        for name in form_names(field):
            if name in form:
                del form[name]


def clear_off_type(item: Application) -> None:
    """A new application keeps no value of a field its type does not have (the add form showed them all)."""
    for field in off_type(item.type):
        if field != CHANGES:
            setattr(item, field, None)


def take_changes(form: Form) -> dict[str, str]:
    """The filled change inputs as {resident field: value}, removed from the form so populate_obj skips them."""
    values: dict[str, str] = {}
    for name, field in CHANGE_FIELDS.items():
        if name not in form:
            continue
        data = _strip(form[name].data)
        if data:
            values[field] = data
        del form[name]
    return values


def apply_changes(item: Application, values: dict[str, str] | None) -> None:
    """change_json from the inputs, for check_changes to judge (None: the form had no change inputs)."""
    if values is None:
        return
    # An information change stores "{}" when nothing was filled so that check_changes reports it at once;
    # any other type keeps filled inputs so that check_changes refuses them instead of dropping them silently.
    if item.type == INFO_CHANGE or values:
        item.change_json = json.dumps(values, ensure_ascii=False)
    else:
        item.change_json = None


def stored_changes(change_json: str | None) -> dict[str, Any]:
    """The stored requested changes as a dict ({} when absent or unreadable)."""
    try:
        data = json.loads(change_json) if change_json else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def prefill_changes(form: Form, item: Application) -> None:
    """Fill the inputs from the stored changes and tell hukou.js the application's type (no type select)."""
    stored = stored_changes(item.change_json)
    for name, field in CHANGE_FIELDS.items():
        if name not in form:
            continue
        value = stored.get(field)
        form[name].data = "" if value is None else str(value)
        form[name].render_kw = {**(form[name].render_kw or {}), "data-hk-type": item.type}


def fmt_changes(value) -> str:
    """Requested changes as 'label: value' pairs, a new phone number masked (the page has no logged unmask)."""
    value = mask_changes(value)
    try:
        data = json.loads(value) if value else {}
    except ValueError:
        return value or ""
    if not isinstance(data, dict):
        return value
    return "；".join(f"{CHANGEABLE[k][0] if k in CHANGEABLE else k}：{v if v is not None else ''}"
                    for k, v in data.items())
