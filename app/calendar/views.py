"""「工作日历」 under Settings: the Admin edits deviating days and imports a year the State Council published."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..domain.errors import DomainError
from ..extensions import db
from ..i18n import render_error
from ..models.calendar import CalendarDay, CalendarYear
from ..security.roles import resource_permissions
from ..views.base import HukouModelView
from ..views.menu import SETTINGS
from ..web.datamodel import HukouInterface
from . import service, workdays
from .law import law_holidays

RESOURCE = "WorkCalendar"
KIND_LABELS = {"holiday": _l("Day off (holiday)"), "workday": _l("Working day (make-up)")}
SOURCE_LABELS = {"official": _l("Official (State Council)"), "law": _l("Statutory (law)"), "admin": _l("Administrator")}
MAX_FILE_BYTES = 1024 * 1024


def _invalidate_after_commit() -> None:
    """Forget the cached calendar now and again once the request's unit of work has committed."""
    from ..uow import CURRENT

    uow = db.session().info.get(CURRENT)
    if uow is not None:
        uow.after_commit(workdays.invalidate)
    workdays.invalidate()


class CalendarDayView(HukouModelView):
    """Days that differ from "Monday–Friday work, weekend off": holidays on weekdays, make-up working days."""

    datamodel = HukouInterface(CalendarDay)
    class_permission_name = RESOURCE
    base_permissions = resource_permissions(RESOURCE)
    list_title = _l("Working-day calendar")
    show_title = _l("Calendar day")
    add_title = _l("Add calendar day")
    edit_title = _l("Edit calendar day")
    label_columns = {"day": _l("Date"), "kind": _l("Type"), "name": _l("Name"), "source": _l("Data source")}
    list_columns = ["day", "kind", "name", "source"]
    show_columns = ["day", "kind", "name", "source"]
    add_columns = edit_columns = ["day", "kind", "name"]
    order_columns = ["day", "kind", "name"]
    search_columns = ["day", "kind", "name", "source"]
    base_order = ("day", "desc")
    formatters_columns = {"kind": lambda v: str(KIND_LABELS.get(v, v)),
                          "source": lambda v: str(SOURCE_LABELS.get(v, v))}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Type"), choices=[(k, v) for k, v in KIND_LABELS.items()], widget=Select2Widget(),
                            validators=[DataRequired()]),
        "name": StringField(_l("Name"), widget=BS3TextFieldWidget(), validators=[DataRequired(), Length(max=40)],
                            description=_l("e.g. 国庆节, 春节调休上班")),
    }
    list_template = "calendar_list.html"

    def pre_add(self, item: CalendarDay) -> None:
        """An Admin's entry (FAB's unique validator already refuses a date that is in the table)."""
        item.source = "admin"

    def pre_update(self, item: CalendarDay) -> None:
        """An edited day becomes the Admin's."""
        item.source = "admin"

    def post_add(self, item) -> None:
        """Later lookups see the new day."""
        super().post_add(item)
        _invalidate_after_commit()

    def post_update(self, item) -> None:
        """Later lookups see the change."""
        super().post_update(item)
        _invalidate_after_commit()

    def post_delete(self, item) -> None:
        """Later lookups no longer see the day."""
        super().post_delete(item)
        _invalidate_after_commit()

    def _list(self, **kwargs):
        """The list, with the years' status (official or law fallback) and the import form above it."""
        self.extra_args = {"calendar_years": _year_status()}
        return super()._list(**kwargs)


def _year_status() -> dict:
    """Years with official data, and this year and the next when they have none (for the warning)."""
    from ..clock import today

    years = db.session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())).all()
    this = today().year
    missing = workdays.years_without_data([this, this + 1])
    return {"years": years, "missing": missing, "sources": SOURCE_LABELS,
            "law": {year: sorted(law_holidays(year).items()) for year in missing}}


class CalendarImportView(BaseView):
    """POST /workcalendar/import: a CSV/xlsx file with 日期, 类型 (放假/上班), 名称 replaces those years."""

    route_base = "/workcalendar"
    default_view = "upload"
    class_permission_name = RESOURCE
    base_permissions = resource_permissions(RESOURCE)
    method_permission_name = {"upload": "write"}

    @expose("/import", methods=["POST"])
    @has_access
    def upload(self):
        """Read the file, replace its years in one unit of work, say what changed."""
        from ..security.actor import request_unit

        upload = request.files.get("file")
        back = redirect(url_for("CalendarDayView.list"))
        if upload is None or not upload.filename:
            flash(gettext("Choose a file to import"), "danger")
            return back
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            flash(gettext("A calendar file is at most 1 MB"), "danger")
            return back
        fd, name = tempfile.mkstemp(suffix=Path(upload.filename).suffix.lower()[:8])
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            rows = service.read_file(Path(name), upload.filename)
            with request_unit() as uow:
                result = service.import_year_rows(uow, rows)
        except DomainError as err:
            flash(render_error(err), "danger")
            return back
        finally:
            os.unlink(name)
        for year, count in sorted(result.years.items()):
            flash(gettext("%(year)s: %(n)s days imported; the year now counts as official.", year=year, n=count),
                  "success")
        if result.skipped:
            flash(gettext("%(n)s rows skipped: a weekend day off or a weekday at work is the normal week.",
                          n=result.skipped), "info")
        return back


def register(appbuilder) -> None:
    """Settings → 工作日历 (Admin)."""
    appbuilder.add_view(CalendarDayView, "WorkCalendars", label=_l("Working-day calendar"), icon="fa-calendar",
                        **SETTINGS)
    appbuilder.add_view_no_menu(CalendarImportView)
