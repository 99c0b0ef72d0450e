"""Register screens: residents (常住人口登记表) with masked numbers and a logged unmask."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode, urlsplit

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import DatePickerWidget, Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import DataRequired, Optional

from ..services.residents import OUT_OF_SCOPE, department_in_scope, fill_from_id
from ..web.labels import RESIDENT_LABELS
from ..dao import get_visible, visible
from ..domain import codes
from ..domain.errors import DomainError, Message, N_
from ..extensions import db
from ..forms import code_select, id_number_field
from ..i18n import render
from ..models import Application, Material, Resident
from ..models.resident import GENDERS, RESIDENT_STATUSES
from ..security.actor import current_actor, request_unit
from ..security.labels import person_name, register_role_labels
from ..security.views import safe_next
from ..services import register as reg
from ..clock import today
from ..security.roles import resource_permissions
from . import formatters as f
from .applications import ApplicationView
from .base import READ_WRITE_PERMISSIONS, HukouModelView
from ..domain.masking import mask_text
from ..web.personal import PersonalInterface, UnmaskOnlyColumns, check_web_filters
from .records import PageLoanView
from ..ocr import checks as ocr_checks, web as ocr_web

LABELS = RESIDENT_LABELS
# 基本信息 / 户籍信息 / 单位信息, as on the 常住人口登记表 and the HR file.
BASIC = ["name", "former_name", "id_number", "gender", "birth_date", "ethnicity", "birthplace", "native_place",
         "education", "marital_status", "phone"]
HOUSEHOLD = ["moved_from", "former_address", "move_in_date", "move_in_reason", "page_number"]
EMPLOYMENT = ["department", "occupation", "hire_date", "leave_date", "social_security_months",
              "residence_permit_years"]
FORM_COLUMNS = BASIC + HOUSEHOLD + EMPLOYMENT
GROUPS = (_l("Basic information"), _l("Household registration"), _l("Employment"))
FORM_FIELDSETS = [(title, {"fields": cols}) for title, cols in zip(GROUPS, (BASIC, HOUSEHOLD, EMPLOYMENT))]
SHOW_FIELDSETS = [
    (GROUPS[0], {"fields": BASIC}),
    (GROUPS[1], {"fields": ["status", *HOUSEHOLD, "move_out_date", "move_out_to"]}),
    (GROUPS[2], {"fields": [*EMPLOYMENT, "created_on", "changed_on"]}),
]
FROM_ID = _l("Filled in from the ID number")


def _extra_fields() -> dict:
    """Form fields that replace FAB's defaults: code selects, the ID validator, gender and birth date that follow
    the ID number (app/static/hukou_resident.js; the server derives and checks them again)."""
    return {
        "id_number": id_number_field(unique_resident=True),
        "gender": SelectField(_l("Gender"), choices=[("", "")] + [(k, _l(v)) for k, v in GENDERS.items()],
                              widget=Select2Widget(), validators=[Optional()], description=FROM_ID),
        "ethnicity": code_select(_l("Ethnicity"), codes.ETHNICITY),
        "education": code_select(_l("Education"), codes.EDUCATION),
        "marital_status": code_select(_l("Marital status"), codes.MARITAL),
        "birth_date": DateField(_l("Date of birth"), validators=[Optional()], widget=DatePickerWidget(),
                                description=FROM_ID),
    }


class ResidentView(HukouModelView):
    """The register of members; numbers are masked unless the user unmasks (logged)."""

    datamodel = PersonalInterface(Resident)  # the ID number is searched by the complete number only
    class_permission_name = "Resident"
    method_permission_name = {**READ_WRITE_PERMISSIONS, "mark_leaving": "write", "ocr_scan": "write",
                              "leaving": "write"}
    base_permissions = resource_permissions("Resident")
    list_title = _l("Residents")
    show_title = _l("Resident")
    add_title = _l("Add resident")
    edit_title = _l("Edit resident")
    label_columns = LABELS
    list_columns = ["name", "gender", "birth_date", "id_number", "department", "status", "phone",
                    "move_in_date", "leave_date"]
    # Sorting by birth date only with unmask: the order would narrow the month and day hidden from others.
    order_columns = UnmaskOnlyColumns(["name", "birth_date", "move_in_date", "leave_date", "status"],
                                      private=("birth_date",))
    search_columns = ["name", "id_number", "department", "status", "gender", "page_number", "leave_date"]
    show_columns = ["name", "former_name", "id_number", "gender", "birth_date", "ethnicity", "birthplace",
                    "native_place", "education", "marital_status", "department", "occupation", "phone",
                    "moved_from", "former_address", "move_in_date", "move_in_reason", "page_number", "status",
                    "move_out_date", "move_out_to", "hire_date", "leave_date", "social_security_months",
                    "residence_permit_years", "created_on", "changed_on"]
    add_columns = FORM_COLUMNS
    edit_columns = FORM_COLUMNS
    add_fieldsets = edit_fieldsets = FORM_FIELDSETS
    show_fieldsets = SHOW_FIELDSETS
    validators_columns = {"department": [DataRequired()]}
    add_form_extra_fields = _extra_fields()
    edit_form_extra_fields = _extra_fields()
    base_order = ("name", "asc")
    formatters_columns = {
        "id_number": f.fmt_id, "phone": f.fmt_phone, "gender": f.fmt_label(GENDERS),
        "status": f.fmt_label(RESIDENT_STATUSES), "ethnicity": f.ETHNICITY, "education": f.EDUCATION,
        "marital_status": f.MARITAL, "birth_date": f.fmt_birth_date, "move_in_date": f.fmt_date,
        "move_out_date": f.fmt_date, "hire_date": f.fmt_date, "leave_date": f.fmt_date,
        "created_on": f.fmt_date, "changed_on": f.fmt_date,
    }
    show_template = "resident_show.html"
    edit_template = "resident_edit.html"  # FAB's edit form plus hukou_resident.js (gender, birth date from the ID)
    add_template = "ocr/resident_add.html"  # FAB's add form plus 「从身份证扫描件识别」 (issue 10)
    related_views = [ApplicationView, PageLoanView]  # the resident page lists their applications and loans

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        """FAB's blueprint, with every route refusing (400) a search by a part of a personal number."""
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint, static_folder=static_folder)
        blueprint.before_request(check_web_filters)
        return blueprint

    def readable_related_views(self) -> list:
        """The related lists (tabs) whose own resource this user may read: a tab is no way around it."""
        sm = self.appbuilder.sm
        return [v for v in self._related_views if sm.has_access("can_read", v.class_permission_name)]

    def _get_related_views_widgets(self, item, orders=None, pages=None, page_sizes=None, widgets=None, **args):
        """FAB's related-list widgets, for the readable related views only (same order as the tabs)."""
        widgets = widgets or {}
        widgets["related_views"] = []
        for view in self.readable_related_views():
            name = view.__class__.__name__
            order_column, order_direction = (orders or {}).get(name) or ("", "")
            widgets["related_views"].append(self._get_related_view_widget(
                item, view, order_column, order_direction, page=(pages or {}).get(name),
                page_size=(page_sizes or {}).get(name)))
        return widgets

    def render_template(self, template, **kwargs):
        """Show and edit pages draw a tab per entry of `related_views`: only the readable ones."""
        if "related_views" in kwargs:
            kwargs["related_views"] = self.readable_related_views()
        if template == self.add_template:
            kwargs.update(ocr_enabled=ocr_web.enabled(), ocr_low=ocr_checks.LOW_SCORE)
        return super().render_template(template, **kwargs)

    @expose("/ocr", methods=["POST"])
    @has_access
    def ocr_scan(self):
        """The add form's 「从身份证扫描件识别」: the scan's fields as JSON (nothing stored; the call is audited)."""
        status, body = ocr_web.recognise_upload(request.files.get("file"), None, "resident_form")
        return jsonify(body), status

    def pre_add(self, item: Resident) -> None:
        """A resident registered here is 待迁入 until the move-in completes; birth date and gender from the ID."""
        self._check_scope(item)
        item.status = "pending_in"
        fill_from_id(item)

    def post_add(self, item: Resident) -> None:
        """Remember the new row: the user goes on to its page (「为其办理业务」), not back to the list."""
        super().post_add(item)
        g.hk_new_resident = item.id

    def post_add_redirect(self):
        """The new resident's page after saving; FAB's list otherwise."""
        pk = g.get("hk_new_resident")
        return redirect(url_for(".show", pk=pk)) if pk else super().post_add_redirect()

    def pre_update(self, item: Resident) -> None:
        """Keep derived fields in step with a corrected ID number."""
        self._check_scope(item)
        fill_from_id(item)

    @staticmethod
    def _check_scope(item: Resident) -> None:
        """Refuse (FAB flashes the text) a department outside the user's scope; drop the half-applied form."""
        if not department_in_scope(current_actor(), item):
            raise ValueError(render(OUT_OF_SCOPE))

    def prefill_form(self, form, pk) -> None:
        """Opening the edit form shows full numbers, so it is logged like an unmask."""
        if request.method == "GET":
            with request_unit() as uow:
                uow.record("unmask", object_type="Resident", object_id=pk, detail={"via": "edit"})

    @expose("/unmask/<int:pk>", methods=["POST"])
    @has_access
    def unmask(self, pk):
        """Show the resident with full ID and phone numbers; the unmask is written to the audit trail."""
        with request_unit() as uow:
            if get_visible(Resident, pk, uow.actor, uow.session) is None:
                abort(404)
            uow.record("unmask", object_type="Resident", object_id=pk)
        from flask import g

        g.hk_unmasked = True
        return self.show(pk)

    @action("mark_leaving", _l("Mark as moving out"), "", "fa-sign-out")
    def mark_leaving(self, items):
        """HR/officer: ask for the leave date of the selected residents (the form keeps the list to return to)."""
        items = items if isinstance(items, list) else [items]
        back = _came_from() or url_for(".list")
        query = urlencode({"ids": ",".join(str(i.id) for i in items), "next": back})
        return redirect(url_for(".leaving") + "?" + query)

    @expose("/leaving", methods=["GET", "POST"])
    @has_access
    def leaving(self):
        """The leave-date form of 「标记为迁出中」: in-household residents become 迁出中, each change logged."""
        ids = [int(x) for x in request.values.get("ids", "").split(",") if x.isdigit()][:500]
        back = safe_next(request.values.get("next")) or url_for(".list")
        with request_unit(write=False) as uow:
            rows = uow.session.scalars(visible(Resident, uow.actor).where(Resident.id.in_(ids))
                                       .order_by(Resident.name)).all() if ids else []
        if not rows:
            abort(404)
        error, raw = None, request.form.get("leave_date", "")
        if request.method == "POST":
            try:
                day = reg.check_leave_date(_parse_date(raw), today())
                with request_unit() as uow:
                    result = reg.mark_leaving(uow.session, uow.actor, [r.id for r in rows], day)
                _flash_leaving(result)
                return redirect(back)
            except DomainError as err:
                error = render(err.messages[0])
        return self.render_template("resident_leaving.html", rows=rows, back=back, error=error,
                                    ids=",".join(str(r.id) for r in rows), leave_date=raw or today().isoformat(),
                                    statuses=RESIDENT_STATUSES)


def _came_from() -> str | None:
    """The page (the list with its filters, or a resident) the action was started from, as a same-site path."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc and parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else "")) if parts.path else None


def _parse_date(raw: str) -> dt.date | None:
    """A YYYY-MM-DD date typed or picked, None when empty; a clear error when unreadable."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise DomainError(Message("leave_date_format", N_("Leave date: please enter a date as YYYY-MM-DD"))) \
            from None


def _flash_leaving(result: reg.LeavingResult) -> None:
    """One success line and, if some were not in the household, one warning naming them."""
    if result.changed:
        flash(gettext("%(count)d resident(s) marked as moving out", count=len(result.changed)), "success")
    if result.skipped:
        flash(gettext("Not in household, left unchanged: %(names)s", names="、".join(result.skipped)), "warning")


def resident_materials(resident_id: int, limit: int = 50) -> list[Material]:
    """Materials of a resident's applications that the current user may see, newest first."""
    stmt = (visible(Material, current_actor()).join(Application, Material.application_id == Application.id)
            .where(Application.resident_id == resident_id).order_by(Material.uploaded_at.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def resident_of(pk) -> Resident | None:
    """The resident `pk` if the current user may see it (the show page's 「为其办理业务」)."""
    return get_visible(Resident, pk, current_actor())


def types_for(status: str) -> list[str]:
    """Application types that make sense for a resident in `status`: 待迁入 only moves in; others never do."""
    from ..domain.workflow_table import TYPES

    return ["move_in"] if status == "pending_in" else [t for t in TYPES if t != "move_in"]


def leaving_block() -> dict | None:
    """The home page's 迁出中 block: for users who may write the register (office, HR), scoped; else None."""
    from flask import current_app

    if not current_app.appbuilder.sm.has_access("can_write", "Resident"):
        return None
    total, rows = reg.leaving_block(db.session, current_actor())
    return {"total": total, "rows": rows}


def register(appbuilder) -> None:
    """Residents under 登记 (Register); resident_show.html lists the materials through resident_materials()."""
    from flask import current_app

    from ..domain.workflow_table import TYPES
    from .menu import REGISTER

    current_app.add_template_global(resident_materials, "resident_materials")
    current_app.add_template_global(resident_of, "hk_resident_of")
    current_app.add_template_global(types_for, "hk_types_for")
    current_app.add_template_global(TYPES, "hk_type_labels")
    current_app.add_template_global(leaving_block, "hk_leaving_block")
    current_app.add_template_global(person_name, "hk_person_name")  # a user's one 姓名 (top bar, welcome)
    register_role_labels(current_app)
    current_app.add_template_filter(mask_text, "mask_text")  # numbers typed into comments (timeline)

    appbuilder.add_view(ResidentView, "Residents", label=_l("Residents"), icon="fa-users", **REGISTER)
