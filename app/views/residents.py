"""Register screens: residents (常住人口登记表) with masked numbers and a logged unmask."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import inspect
from wtforms import DateField
from wtforms.validators import Optional

from ..services.residents import OUT_OF_SCOPE, department_in_scope, fill_from_id
from ..web.labels import RESIDENT_LABELS
from ..dao import get_visible, visible
from ..domain import codes, idnumber
from ..domain.errors import Message, N_
from ..extensions import db
from ..forms import code_select, enum_select, id_number_field
from ..i18n import render
from ..models import Application, Material, Resident
from ..models.resident import GENDERS, RESIDENT_STATUSES
from ..security.actor import current_actor, request_unit
from ..security.scope import resident_allowed
from ..security.roles import resource_permissions
from . import formatters as f
from .applications import ApplicationView
from .base import READ_WRITE_PERMISSIONS, HukouModelView
from ..domain.masking import mask_text
from ..web.personal import PersonalInterface, UnmaskOnlyColumns, check_web_filters
from .records import PageLoanView
from ..ocr import checks as ocr_checks, web as ocr_web

LABELS = RESIDENT_LABELS
FORM_COLUMNS = ["name", "former_name", "id_number", "gender", "birth_date", "ethnicity", "birthplace",
                "native_place", "education", "marital_status", "department", "occupation", "phone",
                "moved_from", "former_address", "move_in_date", "move_in_reason", "page_number", "hire_date",
                "leave_date", "social_security_months", "residence_permit_years"]


def _extra_fields() -> dict:
    """Form fields that replace FAB's defaults: code selects, the ID validator, plain date inputs."""
    return {
        "id_number": id_number_field(unique_resident=True),
        "gender": enum_select(_l("Gender"), GENDERS, required=False),
        "ethnicity": code_select(_l("Ethnicity"), codes.ETHNICITY),
        "education": code_select(_l("Education"), codes.EDUCATION),
        "marital_status": code_select(_l("Marital status"), codes.MARITAL),
        "birth_date": DateField(_l("Date of birth"), validators=[Optional()]),
    }


class ResidentView(HukouModelView):
    """The register of members; numbers are masked unless the user unmasks (logged)."""

    datamodel = PersonalInterface(Resident)  # the ID number is searched by the complete number only
    class_permission_name = "Resident"
    method_permission_name = {**READ_WRITE_PERMISSIONS, "mark_leaving": "write", "ocr_scan": "write"}
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
        """New residents start active; birth date and gender come from the ID number if empty."""
        self._check_scope(item)
        item.status = "active"
        fill_from_id(item)

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

    @action("mark_leaving", _l("Mark as moving out"),
            _l("Mark the selected residents as moving out?"), "fa-sign-out")
    def mark_leaving(self, items):
        """HR/officer: active residents who quit become 'leaving'; each change is change-logged."""
        items = items if isinstance(items, list) else [items]
        ids = [i.id for i in items]
        with request_unit() as uow:
            # Re-read inside this (write-locked) unit, scoped again and locked against workflow writes.
            rows = uow.session.scalars(visible(Resident, uow.actor).where(Resident.id.in_(ids))
                                       .with_for_update(of=Resident)
                                       .execution_options(populate_existing=True)).all()
            changed = [r for r in rows if r.status == "active"]
            for row in changed:
                row.status = "leaving"
                row.version = (row.version or 0) + 1
        if changed:
            flash(gettext("%(count)d resident(s) marked as moving out", count=len(changed)), "success")
        skipped = sorted(r.name for r in rows if r not in changed)
        if skipped:
            flash(gettext("Not in household, left unchanged: %(names)s", names="、".join(skipped)), "warning")
        return redirect(self.get_redirect())


def resident_materials(resident_id: int, limit: int = 50) -> list[Material]:
    """Materials of a resident's applications that the current user may see, newest first."""
    stmt = (visible(Material, current_actor()).join(Application, Material.application_id == Application.id)
            .where(Application.resident_id == resident_id).order_by(Material.uploaded_at.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def register(appbuilder) -> None:
    """Residents under 登记 (Register); resident_show.html lists the materials through resident_materials()."""
    from flask import current_app

    from .menu import REGISTER

    current_app.add_template_global(resident_materials, "resident_materials")
    current_app.add_template_filter(mask_text, "mask_text")  # numbers typed into comments (timeline)

    appbuilder.add_view(ResidentView, "Residents", label=_l("Residents"), icon="fa-users", **REGISTER)
