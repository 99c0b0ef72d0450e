"""「消息」 (every signed-in user's own notifications), 「催办记录」 (the record of sent reminders) and the
Admin's failed-delivery panel. Thin: the rules live in centre.py."""
from __future__ import annotations

import datetime as dt

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..security.actor import current_actor, request_unit
from ..security.roles import resource_permissions
from ..views.formatters import fmt_date
from ..views.menu import SETTINGS
from . import centre
from .channels import CHANNEL_LABELS, KIND_LABELS


def unread_badge() -> int:
    """The signed-in user's unread count, computed once per request (the menu badge)."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    if "hk_unread" not in g:
        g.hk_unread = centre.unread_count(db.session, current_actor())
    return g.hk_unread


def failed_panel() -> dict | None:
    """The Admin's panel of failed deliveries (None for everyone else, or when nothing failed)."""
    if not getattr(current_user, "is_authenticated", False) or "Admin" not in current_actor().roles:
        return None
    total, rows = centre.failed_deliveries(db.session)
    if not total:
        return None
    return {"total": total, "rows": [{"channel": CHANNEL_LABELS.get(channel, channel), "count": count,
                                      "when": fmt_date(when), "error": error or ""}
                                     for channel, error, count, when in rows]}


class NotificationsView(BaseView):
    """/notifications/: my notifications; POST …/<id>/read and …/read-all mark them read (CSRF-checked)."""

    route_base = "/notifications"
    default_view = "index"

    @expose("/")
    def index(self):
        """The signed-in user's notifications, newest first, unread in bold."""
        if not current_user.is_authenticated:
            return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login"))
        unread_only = request.args.get("unread") == "1"
        page = centre.my_notifications(db.session, current_actor(), centre.page_number(request.args.get("page")),
                                       unread_only)
        return self.render_template("notifications_list.html", page=page, unread_only=unread_only,
                                    kinds=KIND_LABELS, fmt_date=fmt_date, title=gettext("Messages"),
                                    unread=unread_badge())

    @expose("/<int:notification_id>/read", methods=["POST"])
    def read(self, notification_id: int):
        """Mark one of my notifications read (someone else's is a 404)."""
        if not current_user.is_authenticated:
            return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login"))
        with request_unit() as uow:
            centre.mark_read(uow, notification_id)
        return redirect(_back())

    @expose("/read-all", methods=["POST"])
    def read_all(self):
        """Mark all my notifications read."""
        if not current_user.is_authenticated:
            return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login"))
        with request_unit() as uow:
            n = centre.mark_all_read(uow)
        flash(gettext("%(count)s message(s) marked as read", count=n), "success")
        return redirect(url_for("NotificationsView.index"))


def _back() -> str:
    """Where to go after marking: the page the form came from, if it is ours, else the list."""
    target = request.form.get("next", "")
    return target if target.startswith("/notifications/") and "//" not in target else url_for(
        "NotificationsView.index")


def _day(raw: str | None) -> dt.date | None:
    """A YYYY-MM-DD filter value (ignored when unreadable)."""
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


class SentRemindersView(BaseView):
    """/notifications/sent/: every reminder sent, to whom, through which channel, with what result."""

    route_base = "/notifications/sent"
    default_view = "index"
    class_permission_name = "Notification"
    base_permissions = resource_permissions("Notification")
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        """The record, filterable by day, kind and result."""
        flt = centre.RecordFilter(day_from=_day(request.args.get("from")), day_to=_day(request.args.get("to")),
                                  kind=request.args.get("kind") if request.args.get("kind") in KIND_LABELS else None,
                                  result=request.args.get("result") or None)
        page = centre.sent_record(db.session, flt, centre.page_number(request.args.get("page")))
        return self.render_template("notifications_sent.html", page=page, flt=flt, kinds=KIND_LABELS,
                                    channels=CHANNEL_LABELS, statuses=centre.STATUSES, fmt_date=fmt_date,
                                    user_name=centre.user_name, title=gettext("Reminder record"),
                                    args={k: v for k, v in request.args.items() if k != "page"})


def register(appbuilder) -> None:
    """The centre, its menu link with the unread badge, the record, and the template helpers."""
    appbuilder.add_view_no_menu(NotificationsView)
    appbuilder.add_link("MyNotifications", href="/notifications/", label=_l("Messages"), icon="fa-bell")
    appbuilder.add_view(SentRemindersView, "Notifications", label=_l("Reminder record"), icon="fa-paper-plane",
                        **SETTINGS)
    current_app.jinja_env.globals.update(hk_unread_badge=unread_badge, hk_failed_deliveries=failed_panel)
