"""The application list's search: applicant by name (a subquery), type and status by code, 受理号 exactly."""
from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, SQLAFilterConverter
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..models import Application, Resident
from ..web.datamodel import HukouInterface


class ResidentNameContains(BaseFilter):
    """The applicant's name contains the text (a subquery, so no join and no dropdown of every resident)."""

    name = _l("Name contains")
    arg_name = "rnc"

    def apply(self, query, value):
        """Limit to applications whose resident's name contains `value`."""
        text = (value or "").strip()
        if not text:
            return query
        names = select(Resident.id).where(Resident.name.contains(text, autoescape=True))
        return query.filter(Application.resident_id.in_(names))


class ApplicationFilterConverter(SQLAFilterConverter):
    """The applicant column is searched by name, type and status by exact code; other columns as FAB does."""

    def convert(self, col_name):
        """Filters offered for one search column."""
        if col_name == "resident":
            return [ResidentNameContains(col_name, self.datamodel)]
        if col_name in ("type", "status"):  # codes from a dropdown: equality uses the index, ILIKE 'x%' cannot
            return [FilterEqual(col_name, self.datamodel), FilterNotEqual(col_name, self.datamodel)]
        if col_name == "police_ref":  # the police system's 受理号: exact, on its index
            return [FilterEqual(col_name, self.datamodel)]
        return super().convert(col_name)


class ApplicationInterface(HukouInterface):
    """HukouInterface with the applicant-name search."""

    filter_converter_class = ApplicationFilterConverter
