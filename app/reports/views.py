"""「统计」 screens: the dashboard (统计看板), the monthly report (统计月报) and the annual summary (年度汇总),
with ECharts charts (app/static/vendor/echarts, started by app/static/hukou_reports.js) and xlsx downloads."""
from __future__ import annotations

import json
import tempfile

from flask import current_app, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l

from .. import clock
from ..domain.errors import DomainError
from ..domain.workflow_table import STATUSES
from ..extensions import db
from ..i18n import render_error
from ..models.resident import RESIDENT_STATUSES
from ..security.actor import current_actor, request_unit
from ..security.roles import resource_permissions
from . import charts, dashboard, periods, service
from .present import rendered, tables
from .xlsx import file_name


def _json(option: dict) -> str:
    """A chart's options for its data-hk-chart attribute (Jinja escapes it)."""
    return json.dumps(option, ensure_ascii=False)


def dashboard_charts(data: dict) -> list[str]:
    """The dashboard's four charts."""
    tr = gettext
    residents = {tr(RESIDENT_STATUSES[k]): v for k, v in data["residents_by_status"].items()}
    stages = {tr(STATUSES[k]): v for k, v in data["applications_by_stage"].items()}
    r = rendered({**data, "departures_by_department": {}, "stage_workdays": {}, "notes": []}, tr)
    trend = data["trend"]
    return [_json(charts.pie(tr("Residents by hukou status"), residents)),
            _json(charts.bars(tr("Applications by stage"), list(stages), {tr("Applications"): list(stages.values())},
                              horizontal=True)),
            _json(charts.pair_bars(tr("Moves this month by department"), tr, r["moves_in"]["by_department"],
                                   r["moves_out"]["by_department"])),
            _json(charts.lines(tr("Moves in and out, last 12 months"), [m["month"] for m in trend],
                               {tr("Moves in"): [m["move_in"] for m in trend],
                                tr("Moves out"): [m["move_out"] for m in trend]}))]


def report_charts(report: dict) -> list[str]:
    """The report's charts: moves by department and by province, move-out kinds, working days per stage."""
    tr = gettext
    r = rendered(report, tr)
    stages = r["stage_workdays"].values()
    return [_json(charts.pair_bars(tr("Moves by department"), tr, r["moves_in"]["by_department"],
                                   r["moves_out"]["by_department"])),
            _json(charts.pair_bars(tr("Migration direction by province"), tr, r["moves_in"]["by_province"],
                                   r["moves_out"]["by_province"])),
            _json(charts.pie(tr("Moves out by type"), r["moves_out"]["by_type"], tr("Nothing in this period"))),
            _json(charts.bars(tr("Working days per stage"), [s["label"] for s in stages],
                              {tr("Average working days"): [s["average"] or 0 for s in stages],
                               tr("90th percentile"): [s["p90"] or 0 for s in stages]}))]


class ReportsView(BaseView):
    """/reports/dashboard, /reports/monthly?month=YYYY-MM, /reports/annual?year=YYYY and their xlsx."""

    route_base = "/reports"
    default_view = "monthly"
    class_permission_name = "Report"
    base_permissions = resource_permissions("Report")
    method_permission_name = {"dashboard": "read", "monthly": "read", "annual": "read", "download": "export"}

    @expose("/dashboard")
    @has_access
    def dashboard(self):
        """The dashboard of the user's rows."""
        data = dashboard.build(db.session, current_actor(), clock.today(),
                               int(current_app.config.get("HUKOU_MOVE_OUT_DAYS", 30)))
        return self.render_template("reports_dashboard.html", data=data, charts=dashboard_charts(data),
                                    stage_labels=STATUSES, status_labels=RESIDENT_STATUSES)

    def _report(self, kind: str):
        """The requested report, or (None, the Chinese error) for a bad month / year."""
        actor = current_actor()
        try:
            if kind == "annual":
                return service.annual_report(actor, request.args.get("year") or str(clock.today().year)), None
            return service.monthly_report(actor, request.args.get("month") or periods.current_month(
                clock.today()).label), None
        except DomainError as err:
            return None, render_error(err)

    def _page(self, kind: str):
        """The report page (tables and charts), or the form with the error and a 400."""
        report, error = self._report(kind)
        context = {"kind": kind, "error": error, "report": report,
                   "value": request.args.get("year" if kind == "annual" else "month", ""),
                   "can_export": current_actor().can("export", "Report")}
        if report is not None:
            context.update(tables=tables(report, gettext), charts=report_charts(report),
                           notes=rendered(report, gettext)["notes"], value=report.get("year") or report["month"])
        page = self.render_template("reports_report.html", **context)
        return (page, 400) if error else page

    @expose("/monthly")
    @has_access
    def monthly(self):
        """The monthly report (this month unless ?month=YYYY-MM)."""
        return self._page("monthly")

    @expose("/annual")
    @has_access
    def annual(self):
        """The annual summary (this year unless ?year=YYYY)."""
        return self._page("annual")

    @expose("/<kind>/xlsx")
    @has_access
    def download(self, kind: str):
        """The report as an .xlsx (the same tables), audited before it is sent."""
        from ..web.files import send_download

        if kind not in ("monthly", "annual"):
            return self.render_template("reports_report.html", kind="monthly", error=gettext("Not found"),
                                        report=None, value="", can_export=False), 404
        report, error = self._report(kind)
        if error:
            return self._page(kind)
        tmp = tempfile.TemporaryFile()
        with request_unit() as uow:
            service.export(uow, report, tmp, gettext, "web")
        tmp.seek(0)
        return send_download(tmp, file_name(report, gettext), "xlsx")


def register(appbuilder) -> None:
    """「统计」: 统计看板 and 统计月报 (the annual summary is a tab of the report)."""
    category = {"category": "Statistics", "category_label": _l("Statistics"), "category_icon": "fa-bar-chart"}
    appbuilder.add_view(ReportsView, "Reports", label=_l("Monthly report"), icon="fa-table", href="/reports/monthly",
                        **category)
    appbuilder.add_link("ReportDashboard", href="/reports/dashboard", label=_l("Dashboard"), icon="fa-pie-chart",
                        **category)
