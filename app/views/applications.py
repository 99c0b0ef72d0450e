"""Application screens: scoped list with bulk workflow actions, show page with buttons and timeline, self-service."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, SQLAFilterConverter
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField

from ..web.labels import APPLICATION_LABELS
from ..domain.errors import DomainError
from ..domain.workflow import ACTIONS, STATUSES, TYPES, NotVisible, transition_for
from ..extensions import db
from ..forms import enum_select
from ..i18n import render_error
from ..models import Application, ApplicationHistory, ArchiveRecord, Resident
from ..services import workflow as wf
from ..security.actor import current_actor, request_unit
from ..security.roles import resource_permissions
from . import formatters as f
from .application_forms import (CHANGE_FIELDS, add_form_fields, apply_changes, change_inputs, fmt_changes,
                                prefill_changes, take_changes)
from .base import READ_WRITE_PERMISSIONS, SCOPED, HukouInterface, HukouModelView
from .org import ShownError

LABELS = APPLICATION_LABELS
EDIT_COLUMNS = ["reason", "destination", "pathway", "planned_date", *CHANGE_FIELDS]
# Bulk steps on the list; each runs the one transition service per row (archive needs a location: single only).
BULK = ("pass_review", "dept_approve", "leader_approve", "enter", "complete")
# Buttons drawn as dangerous; actions whose form asks for an override or a cabinet location.
DANGER = frozenset({"reject", "dept_reject", "leader_reject", "police_reject", "withdraw"})
CONFIRM = _l("Apply this step to every selected application?")
def action_buttons(application: Application, actor) -> list[dict]:
    """One entry per action this actor may take now, with what its form must ask for."""
    buttons = []
    for name in wf.available_actions(application, actor):
        row = transition_for(application.type, application.status, name)
        buttons.append({"action": name, "label": ACTIONS[name], "danger": name in DANGER,
                        "comment_required": bool(row and row.comment_required),
                        "override": name == "pass_review", "location": name == "archive"})
    return buttons


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

    history = db.session.scalars(select(ApplicationHistory).where(ApplicationHistory.application_id ==
                                                                  application.id).order_by(ApplicationHistory.id))
    return {
        "application": application, "history": list(history), "actions": action_buttons(application, current_actor()),
        "statuses": STATUSES, "action_labels": ACTIONS, "local_time": f.fmt_date,
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
        return super().convert(col_name)


class ApplicationInterface(HukouInterface):
    """HukouInterface with the applicant-name search."""

    filter_converter_class = ApplicationFilterConverter


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
    search_columns = ["type", "status", "department", "resident", "submitted_at"]
    show_columns = ["id", "type", "status", "resident", "department", "pathway", "city", "reason", "destination",
                    "planned_date", "change_json", "police_returned", "override_reason", "submitted_at",
                    "completed_at", "created_by", "created_on", "changed_on"]
    add_columns = ["resident", "type", "reason", "destination", "pathway", "city", "planned_date", *CHANGE_FIELDS]
    edit_columns = EDIT_COLUMNS
    add_form_extra_fields = add_form_fields()
    edit_form_extra_fields = change_inputs()
    search_form_extra_fields = {"resident": StringField(_l("Applicant name"), widget=BS3TextFieldWidget()),
                                "type": enum_select(_l("Application type"), TYPES, required=False),
                                "status": enum_select(_l("Status"), STATUSES, required=False)}
    base_order = ("id", "desc")
    formatters_columns = {
        "type": f.fmt_label(TYPES), "status": f.fmt_label(STATUSES), "submitted_at": f.fmt_date,
        "completed_at": f.fmt_date, "planned_date": f.fmt_date, "created_on": f.fmt_date,
        "changed_on": f.fmt_date, "change_json": fmt_changes, "police_returned": f.fmt_bool,
    }
    show_template = "application_show.html"

    def process_form(self, form, is_created: bool) -> None:
        """Keep the filled change inputs for pre_add/pre_update (they are not Application columns)."""
        g.hk_change_inputs = take_changes(form)

    def prefill_form(self, form, pk) -> None:
        """The edit form shows the stored requested changes in their inputs."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            prefill_changes(form, item)

    def pre_add(self, item: Application) -> None:
        """A draft for a resident in the user's scope (an employee: themself), department from the resident."""
        apply_changes(item, g.pop("hk_change_inputs", None))
        try:
            with request_unit() as uow:
                wf.prepare_new(uow, item, current_app.config.get("HUKOU_CITY"))
        except DomainError as err:
            raise ShownError(err) from err

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
        """FAB's show page plus the workflow buttons, eligibility, missing items, timeline and archive record."""
        widgets = self._show(pk)  # 404 outside the row scope
        application = self.visible_item(pk)
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=self._related_views, **show_context(application))

    @expose("/transition/<int:pk>", methods=["POST"])
    @has_access
    def transition(self, pk: int):
        """One workflow action from the show page; the result or refusal is flashed in the user's language."""
        form = request.form
        try:
            with request_unit() as uow:
                done = wf.transition(uow, pk, form.get("action", ""), comment=form.get("comment"),
                                     override_reason=form.get("override_reason"),
                                     archive_location=form.get("archive_location"))
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
        """Run one action on each selected row; report successes and each row's refusal."""
        ids = [item.id for item in (items if isinstance(items, list) else [items])]
        succeeded = 0
        with request_unit() as uow:  # one unit; each row in its own savepoint, so a refusal skips only that row
            for pk in ids:
                try:
                    wf.transition(uow, pk, name)
                    succeeded += 1
                except DomainError as err:
                    flash(gettext("Application %(id)s: %(error)s", id=pk, error=render_error(err)), "danger")
        flash(gettext("%(action)s: %(done)s of %(total)s applications done.", action=gettext(ACTIONS[name]),
                      done=succeeded, total=len(ids)), "success" if succeeded == len(ids) else "warning")
        return redirect(url_for(".list"))

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

    @action("enter", _l(ACTIONS["enter"]), CONFIRM, "fa-send", single=False)
    def bulk_enter(self, items):
        """Bulk: entered into the police system and sent to the station."""
        return self._bulk("enter", items)

    @action("complete", _l(ACTIONS["complete"]), CONFIRM, "fa-flag-checkered", single=False)
    def bulk_complete(self, items):
        """Bulk completion (effects apply per row)."""
        return self._bulk("complete", items)


def register(appbuilder) -> None:
    """Applications under 申请 (Applications)."""
    from .menu import APPLICATIONS

    appbuilder.add_view(ApplicationView, "Applications", label=_l("Application list"), icon="fa-file-text-o",
                        **APPLICATIONS)
