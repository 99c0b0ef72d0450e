"""Application screens: scoped list with bulk workflow actions, show page with buttons and timeline, self-service."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField

from ..web.labels import APPLICATION_LABELS
from ..domain.errors import DomainError
from ..domain.type_fields import CHANGES, TYPE_FIELDS, fields_of, off_type
from ..domain.workflow import ACTIONS, STATUSES, TABLE, TYPES, NotVisible
from ..extensions import db
from ..forms import enum_select
from ..models import Application, ArchiveRecord, Resident
from ..services import workflow as wf
from ..security.actor import current_actor, request_unit
from ..security.roles import resource_permissions
from . import formatters as f
from .application_bulk import summary_flash
from .application_filters import ApplicationInterface
from .application_forms import (CHANGE_FIELDS, add_form_fields, apply_changes, clear_off_type, drop_off_type,
                                edit_form_fields, fmt_changes, form_names, prefill_changes, take_changes)
from .application_page import page_context, person_name
from .base import READ_WRITE_PERMISSIONS, HukouModelView
from .org import ShownError

LABELS = APPLICATION_LABELS
EDIT_COLUMNS = ["reason", "destination", "pathway", "city", "planned_date", *CHANGE_FIELDS]
# Bulk steps on the list; each runs the one transition service per row. Archiving needs a cabinet location and
# entering the police system its acceptance number (受理号), so both are done one application at a time.
BULK = ("pass_review", "dept_approve", "leader_approve", "complete")
CONFIRM = _l("Apply this step to every selected application?")
DETAIL_COLUMNS = ["id", "pathway", "city", "reason", "destination", "planned_date", "change_json", "police_ref",
                  "override_reason", "submitted_at", "completed_at", "created_by", "created_on"]


class _Actions(dict):
    """An action dict that stays truthy when empty (FAB replaces a falsy one by every action of the view)."""

    def __bool__(self) -> bool:
        return True


def actions_for_roles(actions: dict, roles: frozenset[str]) -> dict:
    """The bulk actions some row of the workflow table lets these roles do (an employee gets none)."""
    allowed = {row.action for row in TABLE if row.roles & roles}
    return _Actions({name: item for name, item in actions.items() if name in allowed})


def _eligibility_preview(application: Application) -> dict | None:
    """Live eligibility results for an application awaiting pre-review (nothing is stored)."""
    if application.status != "submitted" or application.eligibility_json:
        return None
    from ..services import eligibility

    passed, results = eligibility.evaluate_application(application)
    db.session.expire(application, ["eligibility_json"])  # a preview, not a stored result
    return {"passed": passed, "results": results}


def show_context(application: Application) -> dict:
    """Extra template variables of the show page."""
    from ..services import eligibility, materials

    return {
        "application": application, **page_context(application, current_actor()),
        "statuses": STATUSES, "action_labels": ACTIONS, "types": TYPES, "local_time": f.fmt_date,
        "missing": materials.missing_materials(application),
        "eligibility": eligibility.stored_results(application) or _eligibility_preview(application),
        "archive": db.session.scalar(select(ArchiveRecord).where(ArchiveRecord.application_id == application.id)),
        "has_materials_panel": "materials_panel" in current_app.jinja_env.globals,
        **applicant_fees(application),
    }


def applicant_fees(application: Application) -> dict:
    """A move-out shows the applicant's fees (unpaid ones block completing it) to users who may read fees."""
    from ..dao import scoped
    from ..models import Fee
    from ..models.records import FEE_KINDS, FEE_STATUSES

    actor = current_actor()
    if application.type != "move_out" or not actor.can("read", "Fee"):
        return {}
    fees = db.session.scalars(scoped(select(Fee).where(Fee.resident_id == application.resident_id)
                                     .order_by(Fee.id), Fee, actor)).all()
    return {"fees": list(fees), "fee_kinds": FEE_KINDS, "fee_statuses": FEE_STATUSES}


def fmt_person(user) -> str:
    """A user shown by 姓名."""
    return person_name(user)


class ApplicationListWidget(ListWidget):
    """FAB's list with the edit icon only on applications whose content can still be changed."""

    template = "application_list.html"


class ApplicationView(HukouModelView):
    """Applications in the user's row scope; the workflow runs only through app.services.workflow."""

    datamodel = ApplicationInterface(Application)
    class_permission_name = "Application"
    base_permissions = resource_permissions("Application")
    method_permission_name = {**READ_WRITE_PERMISSIONS, "transition": "transition",
                              **{f"bulk_{name}": "transition" for name in BULK}}
    list_title = _l("Applications")
    show_title = _l("Application")
    add_title = _l("New application")
    edit_title = _l("Edit application")
    label_columns = LABELS
    list_columns = ["id", "type", "resident", "department", "status", "submitted_at", "changed_on"]
    order_columns = ["id", "type", "status", "submitted_at", "changed_on"]
    search_columns = ["type", "status", "department", "resident", "police_ref", "submitted_at"]
    show_columns = DETAIL_COLUMNS
    add_columns = ["resident", "type", "pathway", "city", "reason", "destination", "planned_date", *CHANGE_FIELDS]
    edit_columns = EDIT_COLUMNS
    add_form_extra_fields = add_form_fields()
    edit_form_extra_fields = edit_form_fields()
    search_form_extra_fields = {"resident": StringField(_l("Applicant name"), widget=BS3TextFieldWidget()),
                                "type": enum_select(_l("Application type"), TYPES, required=False),
                                "status": enum_select(_l("Status"), STATUSES, required=False)}
    base_order = ("id", "desc")
    formatters_columns = {
        "type": f.fmt_label(TYPES), "status": f.fmt_label(STATUSES), "submitted_at": f.fmt_date,
        "completed_at": f.fmt_date, "planned_date": f.fmt_date, "created_on": f.fmt_date,
        "changed_on": f.fmt_date, "change_json": fmt_changes, "police_returned": f.fmt_bool,
        "created_by": fmt_person,
    }
    show_template = "application_show.html"
    add_template = "application_add.html"
    edit_template = "application_edit.html"
    list_widget = ApplicationListWidget

    def _get_list_widget(self, filters, actions=None, **kwargs):
        """FAB's list with only the bulk steps the user's roles can do, and which rows may still be edited."""
        actions = actions_for_roles(actions or self.actions, current_actor().roles)
        widgets = super()._get_list_widget(filters, actions=actions, **kwargs)
        pks = widgets["list"].template_args.get("pks") or []
        editable = db.session.scalars(select(Application.id).where(
            Application.id.in_([int(pk) for pk in pks]), Application.status.in_(wf.EDITABLE_STATUSES),
            Application.police_returned.is_(False))) if pks else []
        widgets["list"].template_args["editable_pks"] = set(editable)
        return widgets

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        """FAB's detail table with only the fields of this application's type that have a value."""
        hidden = {"change_json" if name == CHANGES else name for name in off_type(item.type)}
        columns = [c for c in self.show_columns if c not in hidden]
        values = self.datamodel.get_values_item(item, columns)
        kept = [(c, v) for c, v in zip(columns, values) if c == "id" or v not in (None, "")]  # no empty rows
        widgets = widgets or {}
        widgets["show"] = self.show_widget(
            pk=pk, label_columns=self.label_columns, include_columns=[c for c, _v in kept],
            value_columns=[v for _c, v in kept], formatters_columns=self.formatters_columns,
            actions=_Actions(), fieldsets=None, modelview_name=self.__class__.__name__)
        return widgets

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        """The add form, prefilled from ?resident=<id>&type=<code> (the resident page's 「为其办理业务」)."""
        if request.method == "GET":
            from ..dao import get_visible

            rid = request.args.get("resident", "")
            resident = get_visible(Resident, rid, current_actor()) if rid.isdigit() else None
            if resident is not None and "resident" in form:
                form.resident.data = resident
            if request.args.get("type") in TYPES and "type" in form:
                form.type.data = request.args["type"]
        return super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def render_template(self, template, **kwargs):
        """The add and edit forms get the per-type field list (hukou_application.js shows only those)."""
        if template in (self.add_template, self.edit_template):
            kwargs.setdefault("type_fields", {t: list(v) for t, v in TYPE_FIELDS.items()})
        return super().render_template(template, **kwargs)

    def process_form(self, form, is_created: bool) -> None:
        """Keep the filled change inputs for pre_add/pre_update; an edit saves only its type's fields."""
        if not is_created:
            item = self.visible_item((request.view_args or {}).get("pk"))
            drop_off_type(form, item.type if item is not None else None)
        g.hk_change_inputs = take_changes(form)

    def prefill_form(self, form, pk) -> None:
        """The edit form shows the stored requested changes in their inputs."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            prefill_changes(form, item)

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        """The edit form without the inputs of other types (FAB renders edit_columns minus exclude_cols)."""
        item = self.visible_item((request.view_args or {}).get("pk"))
        hidden = [n for field in off_type(item.type if item is not None else None) for n in form_names(field)]
        return super()._get_edit_widget(form, exclude_cols=[*(exclude_cols or []), *hidden], widgets=widgets)

    def pre_add(self, item: Application) -> None:
        """A draft for a resident in the user's scope (an employee: themself), department from the resident."""
        apply_changes(item, g.pop("hk_change_inputs", None))
        clear_off_type(item)
        try:
            with request_unit() as uow:
                wf.prepare_new(uow, item, current_app.config.get("HUKOU_CITY") if "city" in fields_of(item.type)
                               else None)
        except DomainError as err:
            raise ShownError(err) from err

    def post_add(self, item: Application) -> None:
        """Remember the new application: the user lands on its page, not on the list."""
        super().post_add(item)
        g.hk_new_application = item.id

    def post_add_redirect(self):
        """After creating an application, its page (the next step is there); else FAB's default."""
        new_id = g.pop("hk_new_application", None)
        if new_id is not None:
            return redirect(url_for(".show", pk=new_id))
        return super().post_add_redirect()

    def pre_update(self, item: Application) -> None:
        """Only drafts and applications awaiting materials can be edited."""
        apply_changes(item, g.pop("hk_change_inputs", None))
        try:
            with request_unit() as uow:
                wf.claim_edit(uow, item)
        except DomainError as err:
            raise ShownError(err) from err

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The summary card, step bar, actions, the type's fields, materials and the timeline."""
        widgets = self._show(pk)  # 404 outside the row scope
        application = self.visible_item(pk)
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=self._related_views, **show_context(application))

    @expose("/transition/<int:pk>", methods=["POST"])
    @has_access
    def transition(self, pk: int):
        """One workflow action from the page's buttons; the result or refusal is flashed in the user's language."""
        form = request.form
        try:
            with request_unit() as uow:
                done = wf.transition(uow, pk, form.get("action", ""), comment=form.get("comment"),
                                     override_reason=form.get("override_reason"),
                                     archive_location=form.get("archive_location"),
                                     police_ref=form.get("police_ref"), page_number=form.get("page_number"),
                                     require_inputs=True)
        except NotVisible:
            abort(404)
        except DomainError as err:
            self.flash_domain_error(err)
        else:
            flash(gettext("Application %(id)s: %(action)s done; status is now %(status)s.", id=pk,
                          action=gettext(ACTIONS[done.action]), status=gettext(STATUSES[done.to_status])),
                  "success")
            if done.archive_no:
                flash(gettext("Archive number: %(number)s", number=done.archive_no), "info")
        return redirect(url_for(".show", pk=pk))

    def _bulk(self, name: str, items):
        """Run one action on each selected row; answer with one summary and go back to the filtered list."""
        ids = [item.id for item in (items if isinstance(items, list) else [items])]
        refusals: list[tuple[int, DomainError]] = []
        with request_unit() as uow:  # one unit; each row in its own savepoint, so a refusal skips only that row
            for pk in ids:
                try:
                    wf.transition(uow, pk, name, require_inputs=True)
                except DomainError as err:
                    refusals.append((pk, err))
        summary_flash(ACTIONS[name], len(ids), refusals)
        return redirect(self._list_url())

    def _list_url(self) -> str:
        """The list as the user left it (its filters, order and page), from FAB's page history; else the list."""
        own = url_for(".list")
        for url in reversed(session.get("page_history") or []):
            if isinstance(url, str) and own in url:
                return url
        return own

    @action("pass_review", _l(ACTIONS["pass_review"]), CONFIRM, "fa-check", single=False)
    def bulk_pass_review(self, items):
        """Bulk pre-review pass."""
        return self._bulk("pass_review", items)

    @action("dept_approve", _l(ACTIONS["dept_approve"]), CONFIRM, "fa-check", single=False)
    def bulk_dept_approve(self, items):
        """Bulk department approval."""
        return self._bulk("dept_approve", items)

    @action("leader_approve", _l(ACTIONS["leader_approve"]), CONFIRM, "fa-check", single=False)
    def bulk_leader_approve(self, items):
        """Bulk leader approval."""
        return self._bulk("leader_approve", items)

    @action("complete", _l(ACTIONS["complete"]), CONFIRM, "fa-flag-checkered", single=False)
    def bulk_complete(self, items):
        """Bulk completion (effects apply per row; a move-in needs its page number, so it is done singly)."""
        return self._bulk("complete", items)


def register(appbuilder) -> None:
    """Applications under 申请 (Applications)."""
    from .menu import APPLICATIONS

    appbuilder.add_view(ApplicationView, "Applications", label=_l("Application list"), icon="fa-file-text-o",
                        **APPLICATIONS)
