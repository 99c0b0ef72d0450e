"""Material screens: scoped list/show, (multi-)upload from the application page, download and inline preview,
verify/stamp/return/verify-all (JSON for the page's fetch, redirects without JavaScript), delete, and the
printable checklist (材料清单) per application type."""
from __future__ import annotations

import json

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, send_file, url_for
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
from ..extensions import db
from ..models import Application, Material
from ..services import materials as svc
from ..services import material_state as states
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


PREVIEW_CSP = "; ".join([
    "sandbox",  # no script, no forms, no same-origin: a crafted PDF or image cannot act as the user
    "default-src 'none'",
    "img-src 'self' data:",
    "style-src 'unsafe-inline'",
    "object-src 'self'",
    "frame-ancestors 'self'",  # shown in the application page's preview frame, never on another site
])


def _wants_json() -> bool:
    """The page's fetch asks for JSON; a plain form POST gets a redirect."""
    return request.accept_mimetypes.best == "application/json"


def upload_entries() -> list[tuple]:
    """(material type id, filename, stream) per file of the form: one type for all, or one type per file."""
    storages = [s for s in request.files.getlist("file") if s and s.filename]
    types = request.form.getlist("material_type_id")
    if len(types) == len(storages):
        return [(t, s.filename, s.stream) for t, s in zip(types, storages)]
    one = types[0] if len(types) == 1 else None  # counts that do not match: each file is refused by name
    return [(one, s.filename, s.stream) for s in storages]


def preview_material(pk) -> object:
    """The visible material's file shown inline (image or PDF), sandboxed; audited like a download."""
    with request_unit() as uow:
        material = get_or_refuse(Material, pk, uow.actor, uow.session)
        path = svc.file_path(material)
        if path is None or not path.is_file():
            abort(404)
        uow.record("download", object_type="Material", object_id=material.id,
                   detail={"name": material.original_name, "application_id": material.application_id,
                           "inline": True})
        name, kind = material.original_name, material.kind
    response = send_file(path, mimetype=files.ALLOWED.get(kind, "application/octet-stream"),
                         conditional=False, etag=False, max_age=0)
    response.headers["Content-Disposition"] = "inline" + files.content_disposition(name)[len("attachment"):]
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


class MaterialView(HukouModelView):
    """Uploaded materials; rows are scoped through their application; no FAB add/edit form."""

    datamodel = HukouInterface(Material)
    class_permission_name = "Material"
    base_permissions = resource_permissions("Material")
    method_permission_name = {**READ_WRITE_PERMISSIONS, "upload": "write", "delete": "write",
                              "download": "read", "preview": "read", "verify": "verify", "stamp": "verify",
                              "return_": "verify", "verify_all": "verify",
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

    def _command(self, fn, model, pk, *args):
        """Run a service command on a visible row in one unit of work; a refusal is returned, not raised
        (a 413 stays a 413, a row outside the scope a 404)."""
        try:
            with request_unit() as uow:
                row = get_or_refuse(model, pk, uow.actor, uow.session)
                result = fn(uow, row, *args)
                app_id = row.id if isinstance(row, Application) else row.application_id
            return app_id, result, None
        except NotVisible:
            raise
        except DomainError as err:
            if isinstance(err, svc.UploadTooLarge) and not _wants_json():
                raise  # the error page says 413, as before
            return None, None, err

    def _answer(self, app_id, err, target: str, done: str | None = None):
        """JSON for the page's fetch (the refreshed panel, or the refusal), else flash and redirect."""
        if _wants_json():
            if err is not None:
                return jsonify(ok=False, message=render_error(err)), err.http_status
            application = db.session.get(Application, app_id)
            html = render_template("application_materials.html", application=application,
                                   materials_next=target, panel_only=True)
            return jsonify(ok=True, message=done or "", html=html)
        if err is not None:
            flash(render_error(err), "danger")
        elif done:
            flash(done, "success")
        return redirect(target)

    @expose("/upload/<int:app_id>", methods=["POST"])
    @has_access
    def upload(self, app_id: int):
        """Upload one or more scans to a visible application: all or none (fields material_type_id, file)."""
        target = _local_next(url_for(".list"))
        entries = upload_entries()
        _app_id, done, err = self._command(svc.upload_many, Application, app_id, entries)
        msg = gettext("%(n)d file(s) uploaded", n=len(done)) if done else None
        return self._answer(app_id, err, target, msg)

    @expose("/download/<int:pk>", methods=["GET"])
    @has_access
    def download(self, pk: int):
        """The stored file under its original name (404 if not visible or missing on disk)."""
        return send_material(pk)

    @expose("/preview/<int:pk>", methods=["GET"])
    @has_access
    def preview(self, pk: int):
        """The stored file shown inline in the page's preview pane (same scope and audit as a download)."""
        return preview_material(pk)

    def _check_action(self, fn, pk: int, *args, done: str):
        """Verify / stamp / return one material and answer (JSON or redirect)."""
        target = self._back(pk)
        app_id, _result, err = self._command(fn, Material, pk, *args)
        return self._answer(app_id, err, target, None if err else done)

    @expose("/verify/<int:pk>", methods=["POST"])
    @has_access
    def verify(self, pk: int):
        """Mark the material verified, with an optional note and validity date."""
        return self._check_action(svc.verify, pk, request.form.get("note"), False, request.form.get("valid_to"),
                                  done=gettext("The material was verified"))

    @expose("/stamp/<int:pk>", methods=["POST"])
    @has_access
    def stamp(self, pk: int):
        """Mark the material verified and stamped 「与原件一致」."""
        return self._check_action(svc.stamp, pk, request.form.get("note"), request.form.get("valid_to"),
                                  done=gettext("The copy was stamped as a true copy"))

    @expose("/return/<int:pk>", methods=["POST"])
    @has_access
    def return_(self, pk: int):
        """Return the material to the applicant with a reason."""
        return self._check_action(svc.return_material, pk, request.form.get("reason"),
                                  done=gettext("The material was returned"))

    @expose("/verify_all/<int:app_id>", methods=["POST"])
    @has_access
    def verify_all(self, app_id: int):
        """「全部核验通过」: verify every uploaded, unverified material of the application in one unit."""
        target = _local_next(url_for("ApplicationView.show", pk=app_id))
        _app_id, done, err = self._command(svc.verify_all, Application, app_id)
        msg = None if err else gettext("%(n)d material(s) verified", n=len(done))
        return self._answer(app_id, err, target, msg)

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
        app_id, _r, err = self._command(svc.delete, Material, pk)
        if err is not None and not _wants_json():
            return self._answer(None, err, self._back(pk))
        return self._answer(app_id, err, target, None if err else gettext("The material was deleted"))


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


def _default_type(lines: list) -> int | None:
    """The type the general upload form pre-selects: the first line still to be provided (required first),
    never one already uploaded; None when every line has a file."""
    open_lines = [ln for ln in lines if ln.on_checklist and ln.state in (states.MISSING, states.RETURNED)]
    open_lines.sort(key=lambda ln: not ln.required)
    return open_lines[0].material_type_id if open_lines else None


def materials_panel(application: Application) -> dict:
    """Everything application_materials.html shows: the checklist lines with their states and files, the
    lists of what is not uploaded / awaiting verification, and the buttons this user may use."""
    actor = current_actor()
    lines = svc.checklist_state(application)
    rows = {m.id: {"state": states.material_state(m),
                   "can_verify": svc.allowed(svc.check_may_verify, actor, m),
                   "can_delete": svc.allowed(svc.check_may_delete, actor, m)}
            for line in lines for m in line.materials}
    verifiable = states.verifiable(m for line in lines for m in line.materials)
    not_uploaded = states.not_uploaded(lines)
    return {
        "lines": lines, "rows": rows, "not_uploaded": not_uploaded, "pending": states.pending(lines),
        "missing": states.not_verified(lines), "missing_json": json.dumps(not_uploaded, ensure_ascii=False),
        "can_upload": svc.allowed(svc.check_may_upload, actor, application),
        "can_verify_all": bool(verifiable) and all(rows[m.id]["can_verify"] for m in verifiable),
        "verifiable": len(verifiable), "default_type": _default_type(lines),
        "types": [ln for ln in lines if ln.on_checklist], "max_mb": current_app.config["HUKOU_UPLOAD_MAX_MB"],
        "eligibility": stored_results(application), "fmt_date": f.fmt_date, "state_labels": states.STATE_LABELS,
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
