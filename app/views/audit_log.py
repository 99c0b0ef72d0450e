"""The audit trail screen: read-only for Auditor and Admin (no add, edit, delete or action routes exist)."""
from __future__ import annotations

import json

from flask_babel import gettext, lazy_gettext as _l
from markupsafe import Markup, escape

from ..domain.errors import N_
from ..models import AuditLog
from ..security.roles import resource_permissions
from . import formatters as f
from .base import HukouInterface, HukouModelView

LABELS = {
    "at": _l("Time"), "user_id": _l("User ID"), "username": _l("User"), "ip": _l("IP address"),
    "action": _l("Action"), "object_type": _l("Object type"), "object_id": _l("Object ID"),
    "success": _l("Succeeded"), "detail": _l("Detail"),
}


ACTIONS = {
    "create": N_("Record created"), "update": N_("Record changed"), "delete": N_("Record deleted"), "login": N_("Login"),
    "login_failed": N_("Failed login"), "logout": N_("Logout"), "unmask": N_("Viewed full numbers"),
    "export": N_("Export"), "download": N_("Download"), "transition": N_("Workflow step"),
    "purge_audit": N_("Audit purge"), "return_page": N_("Return the page"), "fee_pay": N_("Record payment"),
    "fee_refund": N_("Refund"), "fee_waive": N_("Waive"),
}
OBJECT_TYPES = {
    "Resident": N_("Resident record"), "Application": N_("Application"), "Material": N_("Material"),
    "Department": N_("Department"), "PageLoan": N_("Page loans"), "Fee": N_("Fee"),
    "ArchiveRecord": N_("Archive records"), "MaterialType": N_("Material type"),
    "ChecklistItem": N_("Checklist item"), "EligibilityRule": N_("Eligibility rule"),
    "UserDepartment": N_("Approver departments"), "UserResident": N_("Employee residents"), "User": N_("User"),
    "AuditLog": N_("Audit trail"),
}


def field_label(key: str) -> str:
    """A changed column's label from the screens' label_columns (the detail JSON stores column names)."""
    from flask import current_app

    labels = current_app.extensions.setdefault("hukou_field_labels", {})
    if not labels:
        for view in current_app.appbuilder.baseviews:
            for name, text in (getattr(view, "label_columns", None) or {}).items():
                labels.setdefault(name, text)
    return str(labels.get(key, key))


def fmt_user(value) -> str:
    """Usernames, with the system's own work named in the user's language."""
    return gettext("System") if value == "system" else gettext("Anonymous") if value == "anonymous" else value


def _cell(value) -> str:
    """One value of a change, JSON-ish but unquoted for plain strings."""
    if value is None:
        return "∅"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def fmt_detail(raw: str | None) -> Markup | str:
    """The detail JSON as readable lines: 'column: old → new' for changes, 'key: value' otherwise."""
    if not raw:
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(data, dict):
        return Markup("<pre>{}</pre>").format(json.dumps(data, ensure_ascii=False, indent=2))
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{field_label(key)}: {_cell(value[0])} → {_cell(value[1])}")
        else:
            lines.append(f"{field_label(key)}: {_cell(value)}")
    return Markup("<br>").join(escape(line) for line in lines)


class AuditLogView(HukouModelView):
    """Who did what, when, from where, and whether it succeeded; filter by action, user, object, date."""

    datamodel = HukouInterface(AuditLog)
    class_permission_name = "AuditLog"
    base_permissions = resource_permissions("AuditLog")
    include_route_methods = {"list", "show"}
    list_title = _l("Audit trail")
    show_title = _l("Audit entry")
    label_columns = LABELS
    list_columns = ["at", "username", "action", "object_type", "object_id", "success", "ip"]
    show_columns = ["at", "username", "user_id", "ip", "action", "object_type", "object_id", "success", "detail"]
    search_columns = ["action", "username", "user_id", "object_type", "object_id", "success", "at", "ip"]
    order_columns = ["at", "username", "action", "object_type"]
    base_order = ("at", "desc")
    formatters_columns = {"at": f.fmt_date, "detail": fmt_detail, "success": f.fmt_bool,
                          "action": f.fmt_label(ACTIONS), "object_type": f.fmt_label(OBJECT_TYPES),
                          "username": fmt_user}


def register(appbuilder) -> None:
    """The audit trail under 设置 (Settings)."""
    from .menu import SETTINGS

    appbuilder.add_view(AuditLogView, "AuditLogs", label=_l("Audit trail"), icon="fa-history", **SETTINGS)
