"""「导出」 of every list screen: GET /export/<list>/<xlsx|csv>?<the list's own filter, search and sort args>.

Exactly the rows the user sees (the screen's filters and sort, the user's row scope), masked as on screen; full
numbers only with `unmask` and unmask=1. Above HUKOU_JOB_THRESHOLD rows the export runs as a background job
and the user is sent to its progress page. Every export is audited before the file is sent.
"""
from __future__ import annotations

import tempfile

from flask import abort, current_app, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from markupsafe import Markup

from ..clock import today
from ..security.actor import current_actor, request_unit
from ..security.roles import resource_permissions
from ..web.files import send_download
from .query import check_args, count_rows, export_query, filter_args
from .service import FORMATS, options_for, record_export, write_export
from .specs import SPECS, ExportSpec, file_name

class ListExportView(BaseView):
    """The export of one list (subclassed per spec by make_view)."""

    spec: ExportSpec
    method_permission_name = {"download": "export"}
    default_view = "download"

    @expose("/<fmt>")
    @has_access
    def download(self, fmt: str):
        """The list's rows as a file now, or a job (redirect to its progress page) above the threshold."""
        if fmt not in FORMATS:
            abort(404)
        check_args(self.spec)
        actor = current_actor()
        unmask = request.args.get("unmask") == "1"
        query = export_query(self.spec, actor)
        if count_rows(query) > int(current_app.config.get("HUKOU_JOB_THRESHOLD", 5000)):
            from ..jobs import enqueue

            job_id = enqueue("export", actor.user_id, {"kind": self.spec.kind, "format": fmt,
                                                       "args": filter_args(), "unmask": unmask})
            return redirect(url_for("JobsView.show", job_id=job_id))
        opts = options_for(actor, unmask)
        tmp = tempfile.TemporaryFile()
        rows = write_export(self.spec, query, opts, fmt, tmp)
        with request_unit() as uow:  # the file is sent only once its export is in the audit trail
            record_export(uow, self.spec, rows, opts, fmt, filter_args(), "web")
        tmp.seek(0)
        return send_download(tmp, file_name(self.spec, fmt, today()), fmt)


def make_view(spec: ExportSpec) -> type:
    """A view class for one spec: its resource's permissions, its own route and endpoint name."""
    return type(f"{spec.model.__name__}ListExport", (ListExportView,), {
        "spec": spec, "route_base": f"/export/{spec.kind}", "class_permission_name": spec.resource,
        "base_permissions": resource_permissions(spec.resource)})


VIEWS = {spec.view: make_view(spec) for spec in SPECS.values()}


def export_buttons(modelview_name: str) -> Markup:
    """The 「导出」 buttons of a list page (only on the list itself, only with the export permission)."""
    view_cls = VIEWS.get(modelview_name)
    if view_cls is None or request.endpoint != f"{modelview_name}.list":
        return Markup("")
    spec = view_cls.spec
    actor = current_actor()
    if not actor.can("export", spec.resource):
        return Markup("")
    args = request.query_string.decode("latin-1")
    links = [(f"/export/{spec.kind}/xlsx", gettext("Export (Excel)")),
             (f"/export/{spec.kind}/csv", gettext("Export (CSV)"))]
    if spec.resource == "Resident" and actor.can("unmask", "Resident"):
        links.append((f"/export/{spec.kind}/xlsx?unmask=1", gettext("Export with full numbers (logged)")))
    html = Markup('<div class="btn-group btn-group-sm hk-export" style="margin-left:6px">')
    for href, text in links:
        joined = href + (("&" if "?" in href else "?") + args if args else "")
        html += Markup('<a class="btn btn-default btn-sm" href="{}"><i class="fa fa-download"></i> {}</a>').format(
            joined, text)
    return html + Markup("</div>")


def register(appbuilder) -> None:
    """The export endpoints (no menu: the buttons sit on each list) and the buttons' template global."""
    for view_cls in VIEWS.values():
        appbuilder.add_view_no_menu(view_cls)
    current_app.add_template_global(export_buttons, "hk_export_buttons")
