"""Resident search for form pickers: type a name, an ID number or a page number; only visible rows come back."""
from __future__ import annotations

from flask import jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from wtforms import Field
from wtforms.validators import StopValidation

from ..dao import get_visible, scoped
from ..domain.idnumber import normalize
from ..domain.masking import mask_id
from ..extensions import db
from ..models import Resident
from ..models.resident import RESIDENT_STATUSES
from ..security.actor import request_unit
from ..services import register as reg
from ..web.personal import may_unmask
from ..security.roles import resource_permissions
from ..security.actor import current_actor

LIMIT = 20


def label(r: Resident) -> str:
    """How a resident appears in a picker: name · department · masked ID number."""
    dept = r.department.name if r.department else ""
    return " · ".join(p for p in (r.name, dept, mask_id(r.id_number)) if p)


def search(term: str, limit: int = LIMIT) -> list[Resident]:
    """Visible residents whose name starts with the term, or whose ID or page number equals it."""
    term = term.strip()
    if not term:
        return []
    conds = [Resident.name.startswith(term, autoescape=True), Resident.page_number == term]
    number = normalize(term)
    if len(number) == 18:
        conds.append(Resident.id_number == number)
    stmt = scoped(select(Resident).where(or_(*conds)).order_by(Resident.name, Resident.id).limit(limit), Resident,
                  current_actor())
    return list(db.session.scalars(stmt))


def own_resident() -> Resident | None:
    """The employee's own record as the picker's default (an employee can only apply for themself)."""
    actor = current_actor()
    if actor.unit_wide or actor.department_ids or actor.resident_id is None:
        return None
    return get_visible(Resident, actor.resident_id, actor)


class ResidentLookupView(BaseView):
    """GET /residentlookup/?q=… → [{"id", "text"}] for the resident picker (JSON, scoped)."""

    route_base = "/residentlookup"
    class_permission_name = "Resident"
    base_permissions = resource_permissions("Resident")
    method_permission_name = {"search": "read"}

    @expose("/")
    @has_access
    def search(self):
        """At most 20 matches, never an unfiltered dump of the register."""
        return jsonify([{"id": r.id, "text": label(r)} for r in search(request.args.get("q", ""))])


class ResidentPickerWidget:
    """A <select> that select2 fills by AJAX from /residentlookup/ (see app/static/hukou.js)."""

    def __call__(self, field, **kwargs) -> Markup:
        """Render the select with the current resident as its only option."""
        current = field.data
        option = (f'<option value="{current.id}" selected>{escape(label(current))}</option>'
                  if isinstance(current, Resident) else "")
        return Markup(f'<select id="{field.id}" name="{field.name}" class="form-control hk-resident-picker" '
                      f'data-url="/residentlookup/" style="width:100%">{option}</select>')


class ResidentPickerField(Field):
    """A resident chosen by id; only a resident the current user may see is accepted."""

    widget = ResidentPickerWidget()

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        kwargs.setdefault("default", own_resident)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist) -> None:
        """Turn the posted id into a visible Resident, or None."""
        raw = valuelist[0] if valuelist else ""
        self.data = get_visible(Resident, raw, current_actor()) if raw else None
        self._raw = raw

    def pre_validate(self, form) -> None:
        """A posted id that is not visible is 'no such record', never a hint that it exists."""
        if getattr(self, "_raw", "") and self.data is None:
            from flask_babel import gettext

            # StopValidation, because DataRequired would otherwise replace this message with "required"
            raise StopValidation(gettext("%(field)s: no such record", field=self.label.text))


class TopSearchView(BaseView):
    """GET /search/?q=… — the top bar's one search box: a name, a full ID number, or (for those who may unmask)
    its last 4–6 characters. One hit opens the person; several list them with their applications."""

    route_base = "/search"
    class_permission_name = "Resident"
    base_permissions = resource_permissions("Resident")
    method_permission_name = {"find": "read"}
    default_view = "find"

    @expose("/")
    @has_access
    def find(self):
        """Classify the term, search within the user's scope, audit a search by number, show or jump."""
        term = (request.args.get("q") or "")[:40].strip()
        kind = reg.search_kind(term, may_unmask())
        rows, counts, apps = [], {}, {}
        if kind is not None:
            with request_unit(write=kind[0] != "name") as uow:
                rows = reg.find_residents(uow.session, uow.actor, *kind)
                if kind[0] != "name":  # who looked for which number is part of the trail (PIPL)
                    uow.record("search_id", object_type="Resident",
                               detail={"search_by": kind[0], "term": _masked_term(*kind), "hits": len(rows)})
                ids = [r.id for r in rows]
                counts = reg.application_counts(uow.session, uow.actor, ids)
                apps = reg.recent_applications(uow.session, uow.actor, ids)
            if len(rows) == 1:
                return redirect(url_for("ResidentView.show", pk=rows[0].id))
        return self.render_template("search_results.html", term=term, kind=kind and kind[0], rows=rows,
                                    counts=counts, apps=apps, refused=bool(term) and kind is None,
                                    may_partial=may_unmask(), statuses=RESIDENT_STATUSES, label=label)


def _masked_term(kind: str, value: str) -> str:
    """The searched number as the audit trail keeps it: a full number masked like the screens."""
    return mask_id(value) if kind == "id" else value


def register(appbuilder) -> None:
    """The lookup endpoint and the top-bar search (no menu items)."""
    appbuilder.add_view_no_menu(ResidentLookupView)
    appbuilder.add_view_no_menu(TopSearchView)
