"""The register's first export address, /residentexport/xlsx, kept for bookmarks and scripts: it sends the user
to the list export (/export/residents/xlsx), the one way to export, with the same filters in the list's terms."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, redirect, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l

from ..models.resident import RESIDENT_STATUSES
from ..security.roles import resource_permissions

# The old arguments and the list filters they mean (FAB's first filter on each column: "equal to").
_FILTERS = {"department_id": "_flt_0_department", "status": "_flt_0_status"}


def list_export_args(args) -> dict:
    """The list export's arguments for the old ones; 400 on a department that is not a number or an unknown status."""
    out = {}
    for key, flt in _FILTERS.items():
        value = args.get(key)
        if not value:
            continue
        if (key == "department_id" and not value.isdigit()) or (key == "status" and value not in RESIDENT_STATUSES):
            abort(400)
        out[flt] = value
    if args.get("unmask") == "1":
        out["unmask"] = "1"
    return out


class ResidentExportView(BaseView):
    """GET /residentexport/xlsx?department_id=&status=&unmask=1 → 302 to /export/residents/xlsx with those filters."""

    route_base = "/residentexport"
    class_permission_name = "Resident"
    base_permissions = resource_permissions("Resident")
    method_permission_name = {"xlsx": "export"}

    @expose("/xlsx")
    @has_access
    def xlsx(self):
        """Redirect to the list export, which scopes, masks, audits and switches to a job above the threshold."""
        args = list_export_args(request.args)
        return redirect("/export/residents/xlsx" + (f"?{urlencode(args)}" if args else ""))


def register(appbuilder) -> None:
    """The old address plus the menu link (to the list export) for users with can_export."""
    from .menu import REGISTER

    appbuilder.add_view(ResidentExportView, "ResidentExports", label=_l("Export residents (Excel)"),
                        href="/export/residents/xlsx", icon="fa-file-excel-o", **REGISTER)
