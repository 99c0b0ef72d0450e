"""导入 screens: upload → dry-run preview → confirm → result, the batch list, templates and error reports."""
from __future__ import annotations

import io
import json

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select

from ..clock import local, today
from ..domain.errors import DomainError
from ..extensions import db
from ..i18n import render_error
from ..models import Department, ImportBatch
from ..models.jobs import Job
from ..security.actor import current_actor
from ..security.roles import resource_permissions
from ..web.files import send_download
from . import service
from .columns import HR, ROSTER
from .reading import ImportFileError

STATUS_LABELS = {"checking": _l("Checking"), "dry_run": _l("Dry run"), "committed": _l("Imported"),
                 "rejected": _l("Not imported (errors)"), "running": _l("Running"),
                 "expired": _l("Expired (file deleted, not imported)")}
TEMPLATE_NAMES = {"roster": "花名册导入模板.xlsx", "hr": "人事变动导入模板.xlsx"}
FIELD_HEADERS = {c.key: c.header for c in ROSTER + HR} | {"department_id": "部门", "status": "户口状态",
                                                         "leave_date": "离职日期", "retire_date": "退休日期"}


def _display(departments: dict[int, str]):
    """A template helper: a stored field value as the screen shows it (codes and statuses by their names)."""
    from ..domain import codes
    from ..models.resident import RESIDENT_STATUSES

    tables = {"gender": codes.GENDER, "ethnicity": codes.ETHNICITY, "education": codes.EDUCATION,
              "marital_status": codes.MARITAL}

    def show(key: str, value):
        if value is None or value == "":
            return "—"
        if key == "status":
            return gettext(RESIDENT_STATUSES.get(value, value))
        if key == "department_id":
            return departments.get(value, value)
        return tables[key].get(value, value) if key in tables else value
    return show


def _batch_or_404(batch_id: int) -> ImportBatch:
    """A batch the current importer may see (every importer is unit-wide: all batches of the unit)."""
    service.require_importer(current_actor())
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


class ImportView(BaseView):
    """GET /imports/ the page; POST /imports/upload; /imports/batch/<id>[/confirm|/report]; /imports/template/<kind>."""

    route_base = "/imports"
    default_view = "index"
    class_permission_name = "Resident"
    base_permissions = resource_permissions("Resident")
    method_permission_name = {m: "write" for m in ("index", "upload", "batch", "confirm", "report", "template")}

    @expose("/")
    @has_access
    def index(self):
        """Upload form, template links and the latest batches."""
        batches = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(100)).all()
        return self.render_template("imports/index.html", batches=batches, kinds=service.KINDS,
                                    statuses=STATUS_LABELS, local=local,
                                    max_mb=current_app.config["HUKOU_IMPORT_MAX_MB"])

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        """Store the file (random name, sha256) and dry-run it (a job above the threshold); then its batch page."""
        request.max_content_length = (current_app.config["HUKOU_IMPORT_MAX_MB"] + 1) * 1024 * 1024
        kind, upload = request.form.get("kind"), request.files.get("file")
        if kind not in service.KINDS or upload is None or not upload.filename:
            flash(gettext("Choose the kind of import and a file"), "danger")
            return redirect(url_for(".index"))
        try:
            stored, _sha = service.store_upload(upload.stream, upload.filename)
            if service.check_in_background(stored):
                db.session.rollback()  # SQLite: hold no read snapshot while the job's rows commit
                return redirect(url_for(".batch", batch_id=service.start_check(current_actor(), kind, stored,
                                                                                upload.filename)))
            outcome = service.run_import(current_actor(), kind, stored, upload.filename, dry_run=True)
        except (ImportFileError, DomainError) as err:
            flash(render_error(err), "danger")
            return redirect(url_for(".index"))
        return redirect(url_for(".batch", batch_id=outcome.batch_id))

    @expose("/batch/<int:batch_id>")
    @has_access
    def batch(self, batch_id: int):
        """The dry-run preview (counts, changes, errors, confirm button) or the result of a batch."""
        batch = _batch_or_404(batch_id)
        summary = service.messages(json.loads(batch.summary or "{}"))
        job = db.session.get(Job, batch.job_id) if batch.job_id else None
        return self.render_template("imports/batch.html", b=batch, s=summary, kinds=service.KINDS,
                                    statuses=STATUS_LABELS, local=local, fields=FIELD_HEADERS, job=job,
                                    show=_display(dict(db.session.execute(
                                        select(Department.id, Department.name)).all())),
                                    can_confirm=batch.status == "dry_run" and not batch.errors
                                    and batch.created_by_id == current_actor().user_id
                                    and (batch.created or batch.updated) and not (job and job.status in
                                                                                  ("queued", "running")))

    @expose("/batch/<int:batch_id>/confirm", methods=["POST"])
    @has_access
    def confirm(self, batch_id: int):
        """Re-read the stored file (same sha256) and commit it in one transaction, or as a background job."""
        batch = _batch_or_404(batch_id)
        stored = json.loads(batch.summary or "{}").get("stored", "")
        rows = batch.created + batch.updated
        try:
            if rows > current_app.config.get("HUKOU_JOB_THRESHOLD", 5000):
                return self._enqueue(batch, stored, rows)
            outcome = service.run_import(current_actor(), batch.kind, stored, batch.file_name, dry_run=False,
                                         batch_id=batch.id)
        except DomainError as err:
            flash(render_error(err), "danger")
            return redirect(url_for(".batch", batch_id=batch_id))
        if outcome.status == "committed":
            flash(gettext("Imported: %(created)d new, %(updated)d updated", created=outcome.plan.counts["created"],
                          updated=outcome.plan.counts["updated"]), "success")
        return redirect(url_for(".batch", batch_id=outcome.batch_id))

    def _enqueue(self, batch: ImportBatch, stored: str, rows: int):
        """The background-job hook: a large confirmed import runs in a worker; the batch page shows progress."""
        from ..jobs import enqueue
        from ..uow import unit_of_work

        actor = current_actor()
        params = {"kind": batch.kind, "stored": stored, "rows": rows, "file_name": batch.file_name,
                  "batch_id": batch.id}
        db.session.rollback()  # SQLite: hold no write lock while the Job row commits on its own connection
        job_id = enqueue("import", actor.user_id, params)
        with unit_of_work(actor) as uow:
            uow.session.get(ImportBatch, params["batch_id"]).job_id = job_id
        return redirect(url_for(".batch", batch_id=params["batch_id"]))

    @expose("/batch/<int:batch_id>/report")
    @has_access
    def report(self, batch_id: int):
        """The error report of a batch (original rows + error column)."""
        batch = _batch_or_404(batch_id)
        if not batch.report_path:
            abort(404)
        path = service.import_dir() / batch.report_path
        if not path.is_file():  # deleted with the upload of an unconfirmed batch (imports/retention.py)
            flash(gettext("The error report of this import is no longer kept; upload the file again"), "warning")
            return redirect(url_for(".batch", batch_id=batch.id))
        return send_download(open(path, "rb"), f"导入错误报告-{batch.id}-{today():%Y%m%d}.xlsx", "xlsx")

    @expose("/template/<kind>")
    @has_access
    def template(self, kind: str):
        """The xlsx template of an import kind (departments in the dropdown)."""
        from .report import template

        if kind not in service.KINDS:
            abort(404)
        names = db.session.scalars(select(Department.name).where(Department.active.is_(True))
                                   .order_by(Department.code)).all()
        buf = io.BytesIO()
        template(buf, kind, list(names))
        buf.seek(0)
        return send_download(buf, TEMPLATE_NAMES[kind], "xlsx")


def register(appbuilder) -> None:
    """The import page in the Register menu (users with Resident write)."""
    from ..views.menu import REGISTER

    appbuilder.add_view(ImportView, "ResidentImports", label=_l("Import (Excel)"), href="/imports/",
                        icon="fa-upload", **REGISTER)
