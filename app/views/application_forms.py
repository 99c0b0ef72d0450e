"""Application add/edit form pieces: one input per changeable resident field instead of a JSON text area."""
from __future__ import annotations

import json
from typing import Any

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_babel import lazy_gettext as _l
from wtforms import Form, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Optional

from ..domain.masking import mask_changes
from ..domain.workflow import TYPES
from ..forms import code_select, enum_select
from ..models import Application
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


def add_form_fields() -> dict[str, UnboundField]:
    """Add form: applicant picker, type as a select of translated labels, and the change inputs."""
    return {"resident": ResidentPickerField(_l("Applicant"), validators=[DataRequired()]),
            "type": enum_select(_l("Application type"), TYPES), **change_inputs()}


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
