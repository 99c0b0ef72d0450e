"""The base of every Hukou Desk screen: scoped rows, checked actions, safe sorting, no FAB file download."""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_appbuilder import ModelView
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ..security.scope import criteria, current_scope

# FAB method → our permission verb; the same verbs serve the REST API (see app.api.base).
READ_WRITE_PERMISSIONS = {
    "list": "read", "show": "read", "api_read": "read", "api_get": "read", "api": "read",
    "add": "write", "edit": "write", "api_create": "write", "api_update": "write",
    "delete": "delete", "api_delete": "delete", "download": "read", "action": "read", "action_post": "read",
}
MAX_PAGE_SIZE = 100


class ScopeFilter(BaseFilter):
    """A base filter that limits any scoped model to the current user's rows."""

    name = "scope"
    arg_name = "scope"

    def apply(self, query, value):
        """Add the row-scope WHERE clause for this filter's model."""
        clause = criteria(self.model, current_scope())
        return query if clause is None else query.filter(clause)


SCOPED = [["id", ScopeFilter, lambda: None]]


class HukouInterface(SQLAInterface):
    """SQLAInterface with a cheap COUNT and a 400 for unknown sort columns."""

    def query_count(self, query, filters=None, select_columns=None) -> int:
        """COUNT(id) on the filtered table instead of FAB's COUNT(*) over a joined subquery."""
        query = self.apply_filters(query, self.get_inner_filters(filters))
        pk = getattr(self.obj, self.get_pk_name())
        return query.with_entities(func.count(pk)).order_by(None).scalar() or 0


class HukouModelView(ModelView):
    """Thin ModelView: scope base filter, read/write/delete permissions, row-checked actions, strict paging."""

    base_filters = SCOPED
    method_permission_name = READ_WRITE_PERMISSIONS
    page_size = 25
    list_template = "appbuilder/general/model/list.html"

    def _check_list_args(self) -> None:
        """Reject unknown sort columns and non-numeric or huge page arguments with 400, not 500."""
        name = self.__class__.__name__
        order = get_order_args().get(name)
        if order and (order[0] not in (self.order_columns or []) or order[1] not in ("asc", "desc")):
            abort(400, description=str(_l("Unknown sort column")))
        for key in (f"page_{name}", f"psize_{name}"):
            raw = request.args.get(key)
            if raw is not None and (not raw.isdigit() or (key.startswith("psize") and int(raw) > MAX_PAGE_SIZE)):
                abort(400, description=str(_l("Invalid page argument")))

    def _list(self, **kwargs):
        """FAB's list after argument checks."""
        self._check_list_args()
        return super()._list(**kwargs)

    def visible_item(self, pk):
        """The row `pk` if the base filters (row scope) let this user see it, else None."""
        return self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)

    def action(self, name, pk):
        """FAB's single-row action, but only on a row the user can see (404 otherwise)."""
        if name not in self.actions:
            abort(404)
        if self.visible_item(pk) is None:
            abort(404)
        return super().action(name, pk)

    def action_post(self):
        """FAB's bulk action, but every selected row must be visible (404 otherwise)."""
        name = request.form.get("action", "")
        if name not in self.actions:
            abort(400)
        if any(self.visible_item(pk) is None for pk in request.form.getlist("rowid")):
            abort(404)
        return super().action_post()

    def download(self, filename):
        """FAB's unscoped /download/<file> is disabled; materials have their own scoped download."""
        abort(404)

    def flash_domain_error(self, err) -> None:
        """Flash each message of a DomainError in the user's language."""
        from ..i18n import render

        for msg in err.messages:
            flash(render(msg), "danger")

    def back(self):
        """Redirect to where the user came from (FAB's stored redirect)."""
        return redirect(self.get_redirect())
