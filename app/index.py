"""The landing page: a small dashboard of what needs the officer's attention."""
from __future__ import annotations

from flask import current_app, g
from flask_appbuilder import IndexView, expose


class HukouIndexView(IndexView):
    """Home page; signed-in users see the counts their role and scope allow."""

    index_template = "index.html"

    @expose("/")
    def index(self):
        """Render the dashboard (anonymous users get the login prompt)."""
        self.update_redirect()
        context = {}
        user = getattr(g, "user", None)
        if user is not None and user.is_authenticated:
            context = self._figures()
        from .domain.workflow import STATUSES

        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    status_labels=STATUSES, **context)

    def _figures(self) -> dict:
        """Only the figures of resources the user may read."""
        from . import dashboard
        from .security.actor import current_actor

        actor, out = current_actor(), {}
        if actor.can("read", "Application"):
            out["pending"] = dashboard.pending_by_status(actor)
        if actor.can("read", "Resident"):
            out["leavers_total"], out["leavers"] = dashboard.overdue_leavers(
                actor, current_app.config["HUKOU_MOVE_OUT_DAYS"])
        if actor.can("read", "PageLoan"):
            out["overdue_loans"] = dashboard.overdue_loans(actor)
        return out
