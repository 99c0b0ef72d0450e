"""One audit row in the user's language: action, object, field and code names, local times, masked numbers.

Used by the audit trail screens and the history tab of the resident, application and material pages.
Personal numbers are masked when the row is written (`__audit_masked__`); numbers that reach a detail in
other ways (the new phone of an information change, export filters) are masked here, at display time, for
every viewer without `unmask` on Resident.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from flask import current_app, g
from flask_babel import format_datetime, gettext
from markupsafe import Markup

from ..domain import audit_labels as labels
from ..domain import codes
from ..domain.masking import mask_birth_date, mask_text

EMPTY = "—"
_ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_BIRTH_KEYS = frozenset({"birth_date"})
# Detail keys whose value is itself a JSON text (stored column values).
_JSON_KEYS = frozenset({"change_json"})


# --- who is looking -------------------------------------------------------------------------------------

def viewer_may_unmask() -> bool:
    """Whether the viewer holds `unmask` on Resident (the Auditor does not): numbers stay masked otherwise."""
    if "hk_audit_unmask" not in g:
        g.hk_audit_unmask = bool(current_app.appbuilder.sm.has_access("can_unmask", "Resident"))
    return g.hk_audit_unmask


def viewer_reads_audit() -> bool:
    """Whether the viewer may read the audit trail itself (then the history tab also shows IP addresses)."""
    return bool(current_app.appbuilder.sm.has_access("can_read", "AuditLog"))


# --- masking --------------------------------------------------------------------------------------------

def _protect(key: str, text: str) -> str:
    """The text as this viewer may see it: unchanged with unmask, else numbers masked (older masked forms
    re-masked to today's) and birth dates as the year only, the forms every other screen uses."""
    if viewer_may_unmask():
        return text
    if key in _BIRTH_KEYS:
        # With the masked ID beside it a full birth date narrows the number down (app.domain.masking).
        return mask_birth_date(text)
    return mask_text(text)


# --- names ----------------------------------------------------------------------------------------------

def action_name(code: str | None) -> str:
    """The action's name, the code itself when unknown."""
    return gettext(labels.ACTIONS[code]) if code in labels.ACTIONS else (code or "")


def object_name(code: str | None) -> str:
    """The object type's name, the code itself when unknown."""
    return gettext(labels.OBJECT_TYPES[code]) if code in labels.OBJECT_TYPES else (code or "")


def role_names(value: str | None) -> str:
    """Role codes (one, or several separated by commas) as names."""
    parts = [p for p in re.split(r"[,\s]+", value or "") if p]
    return "、".join(gettext(labels.ROLES[p]) if p in labels.ROLES else p for p in parts)


def _declared_labels(object_type: str | None) -> dict[str, Any]:
    """Labels the screens of this model declare (lazy msgids; FAB's own generated English labels skipped)."""
    cache = current_app.extensions.setdefault("hukou_audit_labels", {})
    if object_type not in cache:
        found: dict[str, Any] = {}
        for view in current_app.appbuilder.baseviews:
            model = getattr(getattr(view, "datamodel", None), "obj", None)
            if model is None or model.__name__ != object_type:
                continue
            for name, text in (getattr(view, "label_columns", None) or {}).items():
                if not isinstance(text, str):  # lazy_gettext: declared by us, not FAB's "Resident Id"
                    found.setdefault(name, text)
        cache[object_type] = found
    return cache[object_type]


def field_label(object_type: str | None, key: str) -> str:
    """A detail key's name: the model's screen label, its relationship's label for *_id, else our table."""
    declared = _declared_labels(object_type)
    if key in declared:
        return str(declared[key])
    if key.endswith("_id") and key[:-3] in declared:
        return str(declared[key[:-3]])
    if key in labels.DETAIL_KEYS:
        return gettext(labels.DETAIL_KEYS[key])
    return key


# --- values ---------------------------------------------------------------------------------------------

def _code_tables() -> dict[tuple[str, str], tuple[dict, bool]]:
    """(object type or "*", key) → (code table, whether its names are msgids to translate)."""
    cache = current_app.extensions.get("hukou_audit_codes")
    if cache is None:
        from ..domain.eligibility import CONDITIONS
        from ..domain.workflow_table import ACTIONS as STEPS, STATUSES, TYPES
        from ..models.records import FEE_KINDS, FEE_STATUSES
        from ..models.resident import GENDERS, RESIDENT_STATUSES

        cache = {
            ("Resident", "status"): (RESIDENT_STATUSES, True), ("Application", "status"): (STATUSES, True),
            ("Application", "from"): (STATUSES, True), ("Application", "to"): (STATUSES, True),
            ("Application", "action"): (STEPS, True), ("Fee", "status"): (FEE_STATUSES, True),
            ("Fee", "kind"): (FEE_KINDS, True), ("User", "reason"): (labels.REASONS, True),
            ("EligibilityRule", "condition"): (CONDITIONS, True), ("EligibilityRule", "app_types"): (TYPES, True),
            ("*", "type"): (TYPES, True), ("*", "app_type"): (TYPES, True), ("*", "gender"): (GENDERS, True),
            ("*", "effects"): (labels.EFFECTS, True), ("*", "via"): (labels.VIA, True),
            ("*", "side"): (labels.SIDES, True), ("*", "ocr_error"): (labels.REASONS, True),  # app/ocr (issue 10)
            ("*", "ethnicity"): (codes.ETHNICITY, False), ("*", "education"): (codes.EDUCATION, False),
            ("*", "marital_status"): (codes.MARITAL, False),
        }
        current_app.extensions["hukou_audit_codes"] = cache
    return cache


def _code_name(object_type: str | None, key: str, value: str) -> str | None:
    """The name of a coded value (a comma list for app_types), or None when the key is not coded."""
    table, translate = _code_tables().get((object_type or "", key)) or _code_tables().get(("*", key), (None, 0))
    if table is None:
        return None
    parts = value.split(",") if key == "app_types" else [value]
    names = [(gettext(table[p]) if translate else table[p]) if p in table else p for p in (s.strip() for s in parts)]
    return "、".join(names)


def _local_stamp(text: str) -> str | None:
    """An ISO timestamp stored in UTC as local time, or None when the text is not one."""
    if not _ISO_STAMP.match(text):
        return None
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return local_time(stamp, zone=False)


def _changes_text(object_type: str | None, text: str) -> str:
    """An information change's requested fields ("{"phone": "…"}") as 'label：value' pairs."""
    from ..services.effects import CHANGEABLE

    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    parts = []
    for key, value in data.items():
        label = str(CHANGEABLE[key][0]) if key in CHANGEABLE else field_label("Resident", key)
        parts.append(f"{label}：{value_text('Resident', key, value)}")
    return "；".join(parts) or EMPTY


def value_text(object_type: str | None, key: str, value: Any) -> str:
    """One value of a detail as words: codes named, booleans 是/否, times local, numbers masked."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return "、".join(value_text(object_type, key, v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{field_label(object_type, k)}：{value_text(object_type, k, v)}" for k, v in value.items())
    text = str(value)
    if key in _JSON_KEYS:
        return _protect(key, _changes_text(object_type, text))
    named = _code_name(object_type, key, text)
    if named is not None:
        return named
    return _protect(key, _local_stamp(text) or text)


def local_time(stamp: dt.datetime | None, zone: bool = True) -> str:
    """A stored naive-UTC time in the office's zone (BABEL_DEFAULT_TIMEZONE), with the UTC offset."""
    if stamp is None:
        return ""
    text = format_datetime(stamp, "yyyy-MM-dd HH:mm:ss")
    return f"{text} (UTC{format_datetime(stamp, 'xxx')})" if zone else text


# --- the detail as a table ------------------------------------------------------------------------------

def _parse(raw: str | None) -> Any:
    """The stored detail JSON (text that is not JSON is returned as is)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _is_change(key: str, value: Any) -> bool:
    """A change logged as [old, new] (a step's list of effects is a plain list)."""
    return isinstance(value, list) and len(value) == 2 and key not in labels.LIST_KEYS


def detail_rows(object_type: str | None, raw: str | None) -> list[dict]:
    """The detail as rows {label, old, new, change}: one per changed field or event detail, empties dropped."""
    data = _parse(raw)
    if data is None:
        return []
    if not isinstance(data, dict):
        return [{"label": gettext("Detail"), "old": None, "new": _protect("", str(data)), "change": False}]
    data = dict(data)
    rows = []
    old_key, new_key = labels.STEP_PAIR
    if old_key in data and new_key in data and not isinstance(data[old_key], list):
        # A workflow step's {"from": …, "to": …} is one status change.
        rows.append({"label": field_label(object_type, "status"), "change": True,
                     "old": value_text(object_type, old_key, data.pop(old_key)),
                     "new": value_text(object_type, new_key, data.pop(new_key))})
    for key, value in data.items():
        if _is_change(key, value):
            if value[0] in (None, "") and value[1] in (None, ""):
                continue  # a blank form field stored as "" where there was NULL: nothing changed
            rows.append({"label": field_label(object_type, key), "change": True,
                         "old": value_text(object_type, key, value[0]),
                         "new": value_text(object_type, key, value[1])})
        elif value not in (None, "", [], {}):
            rows.append({"label": field_label(object_type, key), "change": False, "old": None,
                         "new": value_text(object_type, key, value)})
    return rows


def detail_table(object_type: str | None, raw: str | None) -> Markup:
    """The detail rendered as a small 字段 / 原值 / 新值 table."""
    rows = detail_rows(object_type, raw)
    if not rows:
        return Markup("")
    head = Markup("")
    if any(row["change"] for row in rows):
        head = Markup("<tr><th>{}</th><th>{}</th><th>{}</th></tr>").format(
            gettext("Field"), gettext("Old value"), gettext("New value"))
    body = []
    for row in rows:
        if row["change"]:
            body.append(Markup("<tr><th>{}</th><td>{}</td><td>{}</td></tr>").format(
                row["label"], row["old"], row["new"]))
        else:
            body.append(Markup('<tr><th>{}</th><td colspan="2">{}</td></tr>').format(row["label"], row["new"]))
    table = '<table class="table table-condensed table-bordered hk-audit-detail" style="margin-bottom:0">{}{}</table>'
    return Markup(table).format(head, Markup("").join(body))


# --- the history tab ------------------------------------------------------------------------------------

HISTORY_LIMIT = 100


def user_name(value: str | None) -> str:
    """Usernames, with the system's own work named in the user's language."""
    if value == "system":
        return gettext("System")
    return gettext("Anonymous") if value == "anonymous" else (value or "")


def _material_ids(application_id: int) -> list[str]:
    """Ids of the application's materials, including deleted ones (found through their delete rows)."""
    from sqlalchemy import select

    from ..extensions import db
    from ..models import AuditLog, Material

    ids = {str(i) for i in db.session.scalars(select(Material.id).where(Material.application_id == application_id))}
    deleted = db.session.execute(select(AuditLog.object_id, AuditLog.detail).where(
        AuditLog.object_type == "Material", AuditLog.action == "delete",
        AuditLog.detail.contains(str(application_id))))
    for object_id, raw in deleted:
        old = (_parse(raw) or {}).get("application_id") if isinstance(_parse(raw), dict) else None
        if isinstance(old, list) and old and str(old[0]) == str(application_id):
            ids.add(object_id)
    return sorted(ids)


def _history_query(object_type: str, pk: int):
    """The statement selecting the object's rows (and an application's materials' rows), newest first."""
    from sqlalchemy import and_, func, or_, select

    from ..models import AuditLog

    same = and_(AuditLog.object_type == object_type, AuditLog.object_id == str(pk))
    # SQLite reuses the id of a deleted row: rows before this object's own creation belong to an earlier one
    born = select(func.max(AuditLog.id)).where(same, AuditLog.action == "create").scalar_subquery()
    where = and_(same, AuditLog.id >= func.coalesce(born, 0))
    if object_type == "Application" and current_app.appbuilder.sm.has_access("can_read", "Material"):
        materials = _material_ids(pk)
        if materials:
            where = or_(where, and_(AuditLog.object_type == "Material", AuditLog.object_id.in_(materials)))
    return select(AuditLog).where(where).order_by(AuditLog.at.desc(), AuditLog.id.desc())


def history(object_type: str, pk: Any) -> dict:
    """The history tab of a show page: that object's audit rows, readable, masked, IP only for auditors."""
    from ..extensions import db

    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return {"rows": [], "more": False, "show_ip": False}
    found = list(db.session.scalars(_history_query(object_type, pk).limit(HISTORY_LIMIT + 1)))
    show_ip = viewer_reads_audit()
    rows = [{"id": r.id, "at": local_time(r.at), "user": user_name(r.username),
             "role": role_names(getattr(r, "role", None)), "action": action_name(r.action),
             "object": object_name(r.object_type), "object_type": r.object_type, "object_id": r.object_id,
             "success": r.success, "ip": r.ip if show_ip else None,
             "detail": detail_table(r.object_type, r.detail)} for r in found[:HISTORY_LIMIT]]
    return {"rows": rows, "more": len(found) > HISTORY_LIMIT, "show_ip": show_ip}
