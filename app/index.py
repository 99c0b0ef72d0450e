"""The landing page: the signed-in user's to-do list (待办) first, oldest first, red past its stage's limit."""
from __future__ import annotations

from flask import g
from flask_appbuilder import IndexView, expose

HOME_ITEMS = 30  # the oldest items on the home page; each queue's link lists the rest


def queue_link(kind: str, status: str, today) -> str:
    """The filtered list behind a queue's count."""
    from .desk.limits import stage_limit

    if kind == "application":
        return f"/applicationview/list/?_flt_0_status={status}"
    if kind == "material":
        return "/materialview/list/?_flt_0_verified=0"
    if kind == "leaver":
        import datetime as dt

        days = (stage_limit("leaver") or (0, ""))[0]
        return f"/residentview/list/?_flt_2_leave_date={(today - dt.timedelta(days=days)).isoformat()}"
    if kind == "loan":
        return f"/pageloanview/list/?_flt_2_due_on={today.isoformat()}"
    return "/feeview/list/?_flt_0_status=unpaid"


class HukouIndexView(IndexView):
    """Home page; signed-in users see their own to-do list (row scope applied)."""

    index_template = "index.html"

    @expose("/")
    def index(self):
        """Render the to-do list (anonymous users get the login prompt)."""
        self.update_redirect()
        context = {}
        user = getattr(g, "user", None)
        if user is not None and user.is_authenticated:
            context = self._todo()
        return self.render_template(self.index_template, appbuilder=self.appbuilder, **context)

    def _todo(self) -> dict:
        """The to-do list, its queue links and, for the office, the working-day calendar warning."""
        from .calendar.workdays import years_without_data
        from .clock import today
        from .desk.todo import OTHER_ACTIONS, QUEUE_LABELS, todo_summary
        from .domain.workflow import ACTIONS, TYPES
        from .domain.workflow_table import OFFICE
        from .extensions import db
        from .security.actor import current_actor

        actor, day = current_actor(), today()
        todo = todo_summary(actor, day, db.session)
        out = {"todo": todo, "today": day, "items": todo.items[:HOME_ITEMS], "queue_labels": QUEUE_LABELS,
               "type_labels": TYPES, "action_labels": {**OTHER_ACTIONS, **ACTIONS}, "queue_link": queue_link}
        if actor.roles & OFFICE:
            years = [day.year] + ([day.year + 1] if day.month >= 11 else [])
            out["calendar_missing"] = years_without_data(years)
        return out
