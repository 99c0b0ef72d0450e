"""Bulk Excel export of the register: permissioned (can_export), scoped, masked unless can_unmask, audited."""
from __future__ import annotations

import tempfile

from flask import abort, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l

from ..clock import today
from ..security.actor import current_actor, request_unit
from ..dao import visible
from ..domain import codes
from ..domain.masking import mask_birth_date, mask_id, mask_phone
from ..exporting import send_xlsx, write_xlsx
from ..extensions import db
from ..models import Resident
from ..models.resident import GENDERS, RESIDENT_STATUSES
from ..security.roles import resource_permissions
from .residents import LABELS

COLUMNS = ["name", "gender", "birth_date", "id_number", "ethnicity", "education", "marital_status",
           "department", "status", "phone", "move_in_date", "page_number", "hire_date", "leave_date"]


def _row(r: Resident, full: bool) -> list:
    """One resident as export cells (codes as Chinese names; numbers masked and the birth date as its year
    unless `full`: a masked export must not give the numbers back, see app.domain.masking)."""
    return [r.name, gettext(GENDERS.get(r.gender, "")) if r.gender else "",
            r.birth_date if full else mask_birth_date(r.birth_date),
            r.id_number if full else mask_id(r.id_number), codes.ETHNICITY.get(r.ethnicity or "", ""),
            codes.EDUCATION.get(r.education or "", ""), codes.MARITAL.get(r.marital_status or "", ""),
            r.department.name if r.department else "", gettext(RESIDENT_STATUSES.get(r.status, r.status)),
            (r.phone or "") if full else mask_phone(r.phone), r.move_in_date, r.page_number, r.hire_date,
            r.leave_date]


class ResidentExportView(BaseView):
    """GET /residentexport/xlsx?department_id=&status=&unmask=1 → the visible residents as .xlsx
    (numbers masked unless unmask=1 and the user holds can_unmask)."""

    route_base = "/residentexport"
    class_permission_name = "Resident"
    base_permissions = resource_permissions("Resident")
    method_permission_name = {"xlsx": "export"}

    @expose("/xlsx")
    @has_access
    def xlsx(self):
        """Write the scoped, filtered register to a temporary file and send it; the export is audited."""
        stmt = visible(Resident, current_actor()).order_by(Resident.department_id, Resident.name, Resident.id)
        filters = {}
        for key in ("department_id", "status"):
            value = request.args.get(key)
            if value:
                if key == "department_id" and not value.isdigit():
                    abort(400)
                if key == "status" and value not in RESIDENT_STATUSES:
                    abort(400)
                stmt = stmt.where(getattr(Resident, key) == (int(value) if key == "department_id" else value))
                filters[key] = value
        full = request.args.get("unmask") == "1" and self.appbuilder.sm.has_access("can_unmask", "Resident")
        tmp = tempfile.TemporaryFile()
        rows = (_row(r, full) for r in db.session.scalars(stmt.execution_options(yield_per=2000)))
        count = write_xlsx(tmp, gettext("Residents"), [str(LABELS[c]) for c in COLUMNS], rows)
        with request_unit() as uow:  # the file is sent only once its export is in the audit trail
            uow.record("export", object_type="Resident", detail={"rows": count, "unmasked": full, "filters": filters})
        tmp.seek(0)
        name = f"在册人员名单-{today():%Y%m%d}.xlsx"  # send_file writes it as RFC 5987 filename*
        return send_xlsx(tmp, name)


def register(appbuilder) -> None:
    """The export endpoint plus a menu link for users with can_export."""
    from .menu import REGISTER

    appbuilder.add_view(ResidentExportView, "ResidentExports", label=_l("Export residents (Excel)"),
                        href="/export/residents/xlsx", icon="fa-file-excel-o", **REGISTER)
    # The menu opens the list export (app/exports: same columns, the job threshold, the audit); this older
    # route stays for existing bookmarks and scripts.
