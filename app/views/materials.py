"""Material screens: scoped list/show, upload from the application page, download, verify/stamp/return,
delete, and the printable checklist (材料清单) per application type."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user

from ..web.labels import MATERIAL_LABELS
from ..clock import today
from ..dao import get_or_refuse
from ..domain import files
from ..domain.errors import DomainError, NotVisible
from ..domain.workflow_table import TYPES
from ..i18n import render_error
from ..models import Application, Material
from ..services import materials as svc
from ..services.eligibility import stored_results
from ..security.actor import current_actor, request_unit
from ..web.files import send_material
from ..ocr import web as ocr_web
from ..security.roles import resource_permissions
from . import formatters as f
from .base import READ_WRITE_PERMISSIONS, HukouInterface, HukouModelView

LABELS = MATERIAL_LABELS


def _local_next(default: str) -> str:
    """The form's `next` if it is a path on this site (never another host), else `default`."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _item_status(mats: list[Material]) -> tuple[str, str | None]:
    """Status of one checklist line from its materials: verified > uploaded > returned > missing."""
    if any(m.verified for m in mats):
        return "verified", None
    if any(not m.returned_reason for m in mats):
        return "uploaded", None
    if mats:
        return "returned", mats[-1].returned_reason
    return "missing", None


def checklist_status(application: Application, mats: list[Material]) -> list[dict]:
    """One line per checklist item: type, required, note, status (missing/uploaded/verified/returned), reason."""
    lines = []
    for item in svc.checklist_items(application.type):
        of_type = [m for m in mats if m.material_type_id == item.material_type_id]
        status, reason = _item_status(of_type)
        lines.append({"material_type": item.material_type, "required": item.required, "note": item.note,
                      "status": status, "reason": reason, "count": len(of_type)})
    return lines


class MaterialView(HukouModelView):
    """Uploaded materials; rows are scoped through their application; no FAB add/edit form."""

    datamodel = HukouInterface(Material)
    class_permission_name = "Material"
    base_permissions = resource_permissions("Material")
    method_permission_name = {**READ_WRITE_PERMISSIONS, "upload": "write", "delete": "write",
                              "download": "read", "verify": "verify", "stamp": "verify", "return_": "verify",
                              "ocr_compare": "verify"}
    list_title = _l("Materials")
    show_title = _l("Material")
    label_columns = LABELS
    list_columns = ["application", "material_type", "original_name", "kind", "verified", "stamped", "uploaded_at"]
    order_columns = ["original_name", "uploaded_at", "verified"]
    search_columns = ["material_type", "original_name", "verified", "stamped"]
    show_columns = ["application", "material_type", "original_name", "kind", "size", "sha256", "verified",
                    "stamped", "verify_note", "returned_reason", "verified_by", "verified_at", "uploaded_at"]
    base_order = ("uploaded_at", "desc")
    formatters_columns = {"uploaded_at": f.fmt_date, "verified_at": f.fmt_date}
    show_template = "material_show.html"

    # FAB's add/edit forms would let anyone with write set storage names: uploads have their own endpoint.
    def add(self):
        """Not available: materials are uploaded from the application page."""
        abort(404)

    def edit(self, pk):
        """Not available: verification has its own actions."""
        abort(404)

    def _back(self, material_pk) -> str:
        """Where to go after a POST: the page that sent it, else the material."""
        return _local_next(url_for(".show", pk=material_pk))

    def _run(self, fn, model, pk, *args, target=None):
        """Run a service command on a visible row in one unit of work; refusals are flashed, 413 stays 413."""
        try:
            with request_unit() as uow:
                fn(uow, get_or_refuse(model, pk, uow.actor, uow.session), *args)
        except svc.UploadTooLarge:
            raise
        except NotVisible:
            raise
        except DomainError as err:
            flash(render_error(err), "danger")
            return redirect(target)
        return None

    @expose("/upload/<int:app_id>", methods=["POST"])
    @has_access
    def upload(self, app_id: int):
        """Upload one scan to a visible application (form fields material_type_id, file)."""
        target = _local_next(url_for(".list"))
        storage = request.files.get("file")
        failed = self._run(svc.upload, Application, app_id, request.form.get("material_type_id"),
                           storage.filename if storage else None, storage.stream if storage else None,
                           target=target)
        if failed is None:
            flash(gettext("The file was uploaded"), "success")
        return failed or redirect(target)

    @expose("/download/<int:pk>", methods=["GET"])
    @has_access
    def download(self, pk: int):
        """The stored file under its original name (404 if not visible or missing on disk)."""
        return send_material(pk)

    @expose("/verify/<int:pk>", methods=["POST"])
    @has_access
    def verify(self, pk: int):
        """Mark the material verified, with an optional note."""
        target = self._back(pk)
        return self._run(svc.verify, Material, pk, request.form.get("note"), target=target) or redirect(target)

    @expose("/stamp/<int:pk>", methods=["POST"])
    @has_access
    def stamp(self, pk: int):
        """Mark the material verified and stamped 「与原件一致」."""
        target = self._back(pk)
        return self._run(svc.stamp, Material, pk, request.form.get("note"), target=target) or redirect(target)

    @expose("/return/<int:pk>", methods=["POST"])
    @has_access
    def return_(self, pk: int):
        """Return the material to the applicant with a reason."""
        target = self._back(pk)
        return (self._run(svc.return_material, Material, pk, request.form.get("reason"), target=target)
                or redirect(target))

    @expose("/ocr_compare/<int:pk>", methods=["POST"])
    @has_access
    def ocr_compare(self, pk: int):
        """Pre-review of a 居民身份证 scan: its data beside the register's, differences flagged (issue 10)."""
        if not ocr_web.enabled():
            abort(404)
        try:
            g.hk_ocr_outcome = ocr_web.compare_material(pk)
        except NotVisible:
            raise
        except DomainError as err:
            flash(render_error(err), "danger")
        return self.show(pk)

    @expose("/delete/<int:pk>", methods=["POST"])
    @has_access
    def delete(self, pk: int):
        """Delete the material and its file (uploader while editable, or the officer)."""
        target = _local_next(url_for(".list"))
        failed = self._run(svc.delete, Material, pk, target=self._back(pk))
        if failed is None:
            flash(gettext("The material was deleted"), "success")
        return failed or redirect(target)


class ChecklistView(BaseView):
    """材料清单: the printable list of materials per application type, for any signed-in user."""

    route_base = "/checklist"
    default_view = "index"

    def _require_login(self):
        """Anonymous users go to the login page."""
        if not current_user.is_authenticated:
            return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login"))
        return None

    @expose("/")
    def index(self):
        """Links to the checklist of every application type."""
        return self._require_login() or self.render_template("checklist_print.html", app_type=None,
                                                             types=TYPES, items=[], today=today())

    @expose("/<app_type>")
    def show(self, app_type: str):
        """The printable checklist of one application type."""
        if app_type not in TYPES:
            abort(404)
        return self._require_login() or self.render_template(
            "checklist_print.html", app_type=app_type, type_label=TYPES[app_type], types=TYPES,
            items=svc.checklist_items(app_type), today=today())


def materials_panel(application: Application) -> dict:
    """Everything application_materials.html shows: checklist status, missing items, rows with allowed buttons."""
    mats = svc.materials_of(application)
    actor = current_actor()
    rows = [{"m": m, "can_verify": svc.allowed(svc.check_may_verify, actor, m),
             "can_delete": svc.allowed(svc.check_may_delete, actor, m)} for m in mats]
    return {
        "lines": checklist_status(application, mats), "missing": svc.missing_materials(application),
        "rows": rows, "can_upload": svc.allowed(svc.check_may_upload, actor, application),
        "types": svc.checklist(application.type), "max_mb": current_app.config["HUKOU_UPLOAD_MAX_MB"],
        "eligibility": stored_results(application), "fmt_date": f.fmt_date,
    }


def register(appbuilder) -> None:
    """Materials under 申请 (Applications); the checklist page linked under the same menu item name."""
    from .menu import APPLICATIONS

    appbuilder.add_view(MaterialView, "Materials", label=_l("Materials"), icon="fa-paperclip", **APPLICATIONS)
    appbuilder.add_view_no_menu(ChecklistView)
    # Menu visibility follows the "Materials" menu permission (roles.py has no separate checklist menu).
    appbuilder.add_link("Materials", href="/checklist/", label=_l("Material checklists"), icon="fa-list-alt",
                        **APPLICATIONS)
    current_app.add_template_global(materials_panel, "materials_panel")
    current_app.add_template_global(ocr_web.material_panel, "ocr_material_panel")
    current_app.add_template_global(ocr_web.enabled, "ocr_enabled")
