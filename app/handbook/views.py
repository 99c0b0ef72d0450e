"""/handbook/: the office handbook (SOP), one chapter per application type, printable whole; officers edit tips."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l

from .. import clock
from ..domain.errors import DomainError
from ..domain.workflow_table import TYPES
from ..extensions import db
from ..i18n import render_error
from ..printing.unit import get_profile
from ..security.actor import current_actor, request_unit
from ..security.roles import resource_permissions
from ..views.menu import APPLICATIONS
from . import service

RESOURCE = "Handbook"


class HandbookView(BaseView):
    """The SOP for new staff: steps, who acts, limits, materials and the officers' tips, per type."""

    route_base = "/handbook"
    default_view = "index"
    class_permission_name = RESOURCE
    base_permissions = resource_permissions(RESOURCE)
    method_permission_name = {"index": "read", "chapter": "read", "save_tips": "write"}

    def _page(self, chapters: list[dict], current: str | None):
        """Render chapters (all of them: the printable handbook; one: a type's page)."""
        return self.render_template("handbook/handbook.html", chapters=chapters, current=current, types=TYPES,
                                    labels=service.LABELS, unit=get_profile(db.session), today=clock.today(),
                                    may_edit=current_actor().can("write", RESOURCE))

    @expose("/")
    @has_access
    def index(self):
        """The whole handbook, every type in turn (printed as one document with a page per type)."""
        return self._page(service.handbook(db.session), None)

    @expose("/<string:app_type>")
    @has_access
    def chapter(self, app_type: str):
        """One type's chapter (linked from each application page)."""
        if app_type not in TYPES:
            abort(404)
        return self._page(service.handbook(db.session, [app_type]), app_type)

    @expose("/<string:app_type>/tips", methods=["POST"])
    @has_access
    def save_tips(self, app_type: str):
        """Store an officer's tips for one type (one unit of work, audited), back to the chapter."""
        if app_type not in TYPES:
            abort(404)
        try:
            with request_unit() as uow:
                service.save_tips(uow, app_type, request.form.get("tips"))
        except DomainError as err:
            flash(render_error(err), "danger")
        else:
            flash(gettext("Tips saved"), "success")
        return redirect(url_for("HandbookView.chapter", app_type=app_type))


def register(appbuilder) -> None:
    """Applications → 办事指南 (the office handbook)."""
    appbuilder.add_view(HandbookView, "Handbooks", label=_l("Office handbook"), icon="fa-book", href="/handbook/",
                        **APPLICATIONS)
