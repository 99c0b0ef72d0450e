"""The audit trail screen: read-only for Auditor and Admin (no add, edit, delete or action routes exist).

Rows are shown in the user's language (app.views.audit_display); the time filters read local time.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import abort, request
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, SQLAFilterConverter
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l

from ..clock import zone
from ..domain.audit_labels import ACTIONS, OBJECT_TYPES
from ..forms import enum_select
from ..models import AuditLog
from ..security.roles import resource_permissions
from . import audit_display as d
from . import formatters as f
from .base import HukouInterface, HukouModelView

LABELS = {
    "at": _l("Time"), "user_id": _l("User ID"), "username": _l("User"), "ip": _l("IP address"),
    "action": _l("Action"), "object_type": _l("Object type"), "object_id": _l("Object ID"),
    "success": _l("Succeeded"), "detail": _l("Detail"), "role": _l("Role"), "request_id": _l("Request ID"),
}
# Columns the lead's migration 0003 adds; shown when the model has them.
EXTRA_COLUMNS = [c for c in ("role", "request_id") if c in AuditLog.__table__.c]


# --- time filters in local time -------------------------------------------------------------------------

def _local_to_utc(moment: dt.datetime) -> dt.datetime:
    """A naive local time (the office's zone) as the naive UTC time the rows are stored in."""
    return moment.replace(tzinfo=zone()).astimezone(dt.timezone.utc).replace(tzinfo=None)


def parse_local(value, days: int = 0) -> tuple[dt.datetime, bool]:
    """(UTC time, whether only a date was given) of a filter value typed in local time, `days` later; 400 if
    unreadable."""
    text = str(value or "").strip()
    try:
        if len(text) == 10:
            moment, whole_day = dt.datetime.combine(dt.date.fromisoformat(text), dt.time()), True
        else:
            moment, whole_day = dt.datetime.fromisoformat(text), False
        if moment.tzinfo is not None:
            raise ValueError("a zone is not expected")
        return _local_to_utc(moment + dt.timedelta(days=days)), whole_day
    except (ValueError, OverflowError):
        abort(400, description=gettext("Time: %(value)s is not a date (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)",
                                       value=text[:40]))


class LocalOnDay(BaseFilter):
    """Rows of one local calendar day."""

    name = _l("On the day (local time)")
    arg_name = "hk_at_day"

    def apply(self, query, value):
        """Rows in [local midnight, next local midnight)."""
        day = str(value or "").strip()[:10]
        return query.filter(AuditLog.at >= parse_local(day)[0], AuditLog.at < parse_local(day, days=1)[0])


class LocalFrom(BaseFilter):
    """Rows at or after a local time (a date alone: from that day's start)."""

    name = _l("From (local time)")
    arg_name = "hk_at_from"

    def apply(self, query, value):
        """Rows with at >= the value in UTC."""
        start, _ = parse_local(value)
        return query.filter(AuditLog.at >= start)


class LocalTo(BaseFilter):
    """Rows up to a local time (a date alone: up to the end of that day)."""

    name = _l("To (local time)")
    arg_name = "hk_at_to"

    def apply(self, query, value):
        """Rows with at <= the value in UTC (before the next day's start for a date)."""
        end, whole_day = parse_local(value)
        if whole_day:
            return query.filter(AuditLog.at < parse_local(value, days=1)[0])
        return query.filter(AuditLog.at <= end)


class AuditFilterConverter(SQLAFilterConverter):
    """Time filters in local time (index 1 from, 2 to); action and object type by exact code."""

    def convert(self, col_name):
        """Filters offered for one search column."""
        if col_name == "at":
            return [LocalOnDay(col_name, self.datamodel), LocalFrom(col_name, self.datamodel),
                    LocalTo(col_name, self.datamodel)]
        if col_name in ("action", "object_type"):
            return [FilterEqual(col_name, self.datamodel), FilterNotEqual(col_name, self.datamodel)]
        return super().convert(col_name)


class AuditInterface(HukouInterface):
    """HukouInterface with the audit trail's filters."""

    filter_converter_class = AuditFilterConverter


class AuditLogView(HukouModelView):
    """Who did what, when, from where, and whether it succeeded; filter by action, user, object, date."""

    datamodel = AuditInterface(AuditLog)
    class_permission_name = "AuditLog"
    base_permissions = resource_permissions("AuditLog")
    include_route_methods = {"list", "show"}
    list_title = _l("Audit trail")
    show_title = _l("Audit entry")
    label_columns = LABELS
    list_columns = ["at", "username", "action", "object_type", "object_id", "success", "ip"]
    # The detail is drawn by audit_show.html as a 字段 / 原值 / 新值 table (it needs the row's object type).
    show_columns = ["at", "username", "user_id", *EXTRA_COLUMNS, "ip", "action", "object_type", "object_id",
                    "success"]
    search_columns = ["action", "username", "user_id", "object_type", "object_id", "success", "at", "ip",
                      *EXTRA_COLUMNS]
    order_columns = ["at", "username", "action", "object_type"]
    base_order = ("at", "desc")
    search_form_extra_fields = {"action": enum_select(_l("Action"), ACTIONS, required=False),
                                "object_type": enum_select(_l("Object type"), OBJECT_TYPES, required=False)}
    formatters_columns = {"at": d.local_time, "success": f.fmt_bool, "action": d.action_name,
                          "object_type": d.object_name, "username": d.user_name, "role": d.role_names}
    show_template = "audit_show.html"

    def _list(self, **kwargs):
        """FAB's list, but a filter number this screen does not offer is a 400 (FAB raises IndexError)."""
        offered = self._filters.get_search_filters()
        for key in request.args:
            found = re.findall(r"_flt_(\d)_(.*)", key)  # FAB's own parsing of filter arguments
            if found and found[0][1] in offered and int(found[0][0]) >= len(offered[found[0][1]]):
                abort(400, description=gettext("Unknown filter"))
        return super()._list(**kwargs)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """FAB's show page plus the detail as a table in the user's language."""
        widgets = self._show(pk)  # 404 for a missing row
        entry = self.visible_item(pk)
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=self._related_views,
                                    detail=d.detail_table(entry.object_type, entry.detail))


def register(appbuilder) -> None:
    """The audit trail under 设置 (Settings)."""
    from flask import current_app

    from .menu import SETTINGS

    appbuilder.add_view(AuditLogView, "AuditLogs", label=_l("Audit trail"), icon="fa-history", **SETTINGS)
    current_app.add_template_global(d.history, "audit_history")  # the show pages' history tab
