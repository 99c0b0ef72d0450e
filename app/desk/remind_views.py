"""「催办」 buttons: POST /remind/<loan|resident|application>/<id> (CSRF) sends one manual reminder.

Its e-mail / robot deliveries are pushed by a task on the queue after the commit (app/desk/schedule.py).
The button (templates/remind_button.html) shows on a loan, a leaver and an application page for users with
can_send on Reminder (the officer); the result is flashed in the user's language, the reminder itself is
written in Chinese (the office's language) like the scheduled ones.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import force_locale, gettext
from sqlalchemy import select

from ..clock import today
from ..dao import get_visible
from ..domain.errors import DomainError, NotVisible
from ..domain.workflow_table import CLOSED_STATUSES
from ..extensions import db
from ..i18n import render, render_error
from ..models import Application, PageLoan, Resident
from ..security.actor import current_actor, request_unit
from ..security.roles import resource_permissions
from .remind_manual import RESOURCE, VERB, chase
from .remind_run import message_locale
from .schedule import deliver_soon

KINDS = {"loan": "PageLoan", "resident": "Resident", "application": "Application"}
SHOW = {"loan": "PageLoanView.show", "resident": "ResidentView.show", "application": "ApplicationView.show"}


def _render_zh(msg) -> str:
    """Render a reminder text in the office's language."""
    with force_locale(message_locale()):
        return render(msg)


def can_remind(kind: str, pk) -> bool:
    """Whether the 催办 button belongs on this page: the user may send, and the object waits for someone."""
    actor = current_actor()
    if kind not in KINDS or not actor.can(VERB, RESOURCE):
        return False
    obj = get_visible({"loan": PageLoan, "resident": Resident, "application": Application}[kind], pk, actor)
    if obj is None:
        return False
    if kind == "loan":
        return obj.returned_on is None
    if kind == "resident":
        return obj.status == "leaving" and obj.leave_date is not None
    return obj.status not in CLOSED_STATUSES and obj.status != "draft"


def _names(user_ids) -> str:
    """The recipients' display names, joined with 、."""
    user = current_app.appbuilder.sm.user_model
    rows = db.session.execute(select(user.last_name, user.first_name, user.username)
                              .where(user.id.in_(sorted(user_ids))).order_by(user.id))
    return "、".join(f"{last or ''}{first or ''}".strip() or name for last, first, name in rows)


class RemindView(BaseView):
    """The 催办 endpoint; no menu entry."""

    route_base = "/remind"
    class_permission_name = RESOURCE
    base_permissions = resource_permissions(RESOURCE)
    method_permission_name = {"send": VERB}
    default_view = "send"

    @expose("/<string:kind>/<int:pk>", methods=["POST"])
    @has_access
    def send(self, kind: str, pk: int):
        """Send one manual reminder about the object and go back to its page with the result."""
        if kind not in KINDS:
            abort(404)
        try:
            with request_unit() as uow:
                outcomes = chase(uow, KINDS[kind], pk, today(), _render_zh)
        except NotVisible:
            abort(404)
        except DomainError as err:
            flash(render_error(err), "danger")
            return redirect(url_for(SHOW[kind], pk=pk))
        sent = {o.message.recipient_id for o in outcomes if o.status == "new"}
        if sent:
            deliver_soon()  # e-mail / robots after the commit, on the task queue
        again = {o.message.recipient_id for o in outcomes if o.status == "duplicate"}
        if sent:
            flash(gettext("Reminder sent to %(names)s.", names=_names(sent)), "success")
        if again:
            flash(gettext("Already reminded today, not sent again: %(names)s.", names=_names(again)), "info")
        return redirect(url_for(SHOW[kind], pk=pk))


def register(appbuilder) -> None:
    """The endpoint (no menu) and the template global the show pages ask."""
    current_app.add_template_global(can_remind, "can_remind")
    appbuilder.add_view_no_menu(RemindView)
