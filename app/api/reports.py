"""/api/v1/reports/monthly?month=YYYY-MM and /api/v1/reports/annual?year=YYYY: the figures as JSON (row scope
applied: an approver gets their departments' figures). A bad month or year is a 400 in Chinese."""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext

from ..domain.errors import DomainError
from ..i18n import render_error
from ..reports import service
from ..reports.present import rendered
from ..security.actor import current_actor
from ..security.roles import resource_permissions

DOC = """{summary}
        ---
        get:
          parameters:
          - {{in: query, name: {arg}, required: true, schema: {{type: string, pattern: '{pattern}'}}}}
          responses:
            200:
              description: '{summary}'
              content:
                application/json:
                  schema: {{type: object}}
            400: {{$ref: '#/components/responses/400'}}
            401: {{$ref: '#/components/responses/401'}}
            403: {{$ref: '#/components/responses/403'}}
        """


class ReportApi(BaseApi):
    """The monthly report and the annual summary."""

    resource_name = "reports"
    class_permission_name = "Report"
    base_permissions = resource_permissions("Report")
    method_permission_name = {"monthly": "read", "annual": "read"}
    allow_browser_login = False

    def _answer(self, build, arg: str):
        """200 with the rendered report, or 400 naming the field."""
        value = request.args.get(arg)
        if not value:
            return self.response(400, message=gettext("%(field)s is required, e.g. %(example)s",
                                                      field=gettext("Month") if arg == "month" else gettext("Year"),
                                                      example="2026-11" if arg == "month" else "2026"))
        try:
            report = build(current_actor(), value)
        except DomainError as err:
            return self.response(400, message=render_error(err))
        return self.response(200, **rendered(report, gettext))

    @expose("/monthly", methods=["GET"])
    @protect()
    @safe
    def monthly(self):
        return self._answer(service.monthly_report, "month")

    @expose("/annual", methods=["GET"])
    @protect()
    @safe
    def annual(self):
        return self._answer(service.annual_report, "year")

    monthly.__doc__ = DOC.format(summary="Monthly report: moves, departures, loans, KPIs", arg="month",
                                 pattern=r"^\d{4}-\d{1,2}$")
    annual.__doc__ = DOC.format(summary="Annual summary with one row per month", arg="year", pattern=r"^\d{4}$")


def register(appbuilder) -> None:
    """/api/v1/reports/."""
    appbuilder.add_api(ReportApi)
