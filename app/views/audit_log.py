"""The audit trail screen: read-only for Auditor and Admin (no add, edit, delete or action routes exist)."""
from __future__ import annotations

import json

from flask_babel import gettext, lazy_gettext as _l
from markupsafe import Markup, escape

from ..models import AuditLog
from . import formatters as f
from .base import HukouInterface, HukouModelView

LABELS = {
    "at": _l("Time (UTC)"), "user_id": _l("User ID"), "username": _l("User"), "ip": _l("IP address"),
    "action": _l("Action"), "object_type": _l("Object type"), "object_id": _l("Object ID"),
    "success": _l("Succeeded"), "detail": _l("Detail"),
}


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
            lines.append(f"{key}: {_cell(value[0])} → {_cell(value[1])}")
        else:
            lines.append(f"{key}: {_cell(value)}")
    return Markup("<br>").join(escape(line) for line in lines)


def fmt_success(value) -> str:
    """Yes / No in the user's language."""
    return gettext("Yes") if value else gettext("No")


class AuditLogView(HukouModelView):
    """Who did what, when, from where, and whether it succeeded; filter by action, user, object, date."""

    datamodel = HukouInterface(AuditLog)
    class_permission_name = "AuditLog"
    base_permissions = ["can_read"]
    include_route_methods = {"list", "show"}
    list_title = _l("Audit trail")
    show_title = _l("Audit entry")
    label_columns = LABELS
    list_columns = ["at", "username", "action", "object_type", "object_id", "success", "ip"]
    show_columns = ["at", "username", "user_id", "ip", "action", "object_type", "object_id", "success", "detail"]
    search_columns = ["action", "username", "user_id", "object_type", "object_id", "success", "at", "ip"]
    order_columns = ["at", "username", "action", "object_type"]
    base_order = ("at", "desc")
    formatters_columns = {"at": f.fmt_date, "detail": fmt_detail, "success": fmt_success}


def register(appbuilder) -> None:
    """The audit trail under 设置 (Settings)."""
    from .menu import SETTINGS

    appbuilder.add_view(AuditLogView, "AuditLogs", label=_l("Audit trail"), icon="fa-history", **SETTINGS)
