"""The base of every Hukou Desk screen: scoped rows, checked actions, safe sorting, no FAB file download."""
from __future__ import annotations

import re

from flask import abort, current_app, flash, g, redirect, request
from flask_appbuilder import ModelView, expose
from flask_babel import lazy_gettext as _l

from ..dao import not_found
from ..security.actor import request_unit
from ..web.datamodel import SCOPED, HukouInterface, ScopeFilter, _NotSaved  # noqa: F401

# FAB method → our permission verb; the same verbs serve the REST API (see app.api.base).
# Actions map their function name here too (e.g. "mark_leaving": "write"), else FAB asks for can_<name>.
READ_WRITE_PERMISSIONS = {
    "list": "read", "show": "read", "api_read": "read", "api_get": "read", "api": "read",
    "add": "write", "edit": "write", "api_create": "write", "api_update": "write",
    "delete": "delete", "api_delete": "delete", "download": "read",
}
MAX_PAGE_SIZE = 100
# FAB parses these with re.findall (anywhere in the name) and int(), so any match must be checked.
_PAGE_ARG = re.compile(r"(?:page|psize)_(.*)")
_ORDER_ARG = re.compile(r"_o([cd])_(.*)")


def _view_named(name: str):
    """The registered view whose class is called `name` (FAB keys sort/page args by class name)."""
    return next((v for v in current_app.appbuilder.baseviews if v.__class__.__name__ == name), None)


def check_list_args() -> None:
    """400 for page/size/sort arguments FAB would crash on (int() of text) or silently ignore (bad columns)."""
    for key in request.args:
        page = _PAGE_ARG.search(key)
        if page:
            raw = request.args.get(key, "")
            too_big = key.startswith("psize") and raw.isdigit() and not 1 <= int(raw) <= MAX_PAGE_SIZE
            if not raw.isdigit() or too_big or len(raw) > 9:
                abort(400, description=str(_l("Invalid page argument")))
        order = _ORDER_ARG.match(key)
        if order:
            kind, name = order.groups()
            value = request.args.get(key)
            view = _view_named(name)
            ok = value in ("asc", "desc") if kind == "d" else (
                view is not None and value in (getattr(view, "order_columns", None) or []))
            if not ok:
                abort(400, description=str(_l("Unknown sort column")))


class HukouModelView(ModelView):
    """Thin ModelView: scope base filter, read/write/delete permissions, row-checked actions, strict paging."""

    base_filters = SCOPED
    method_permission_name = READ_WRITE_PERMISSIONS
    page_size = 25
    list_template = "appbuilder/general/model/list.html"

    def _add(self):
        """FAB's add; a POST runs pre_add, the insert and post_add in one unit of work."""
        if request.method != "POST":
            return super()._add()
        return self._in_unit(super()._add)

    def _edit(self, pk):
        """FAB's edit (with related lists) after argument checks; a POST is one unit of work."""
        check_list_args()
        self.require_visible(pk)
        if request.method != "POST":
            return super()._edit(pk)
        return self._in_unit(super()._edit, pk)

    def _delete(self, pk):
        """FAB's delete (POST only, see CSRF) as one unit of work."""
        return self._in_unit(super()._delete, pk)

    def _in_unit(self, fab_step, *args):
        """Run a FAB form step in one unit of work; if no save happened (a hook refused), roll the unit back,
        so a form already copied onto the row is never committed."""
        g.hk_saved = False
        try:
            with request_unit():
                result = fab_step(*args)
                if not g.hk_saved:
                    raise _NotSaved(result)
        except _NotSaved as refused:
            return refused.result
        return result

    def _list(self, **kwargs):
        """FAB's list after argument checks."""
        check_list_args()
        return super()._list(**kwargs)

    def _show(self, pk):
        """FAB's show (with related lists) after argument checks; a row outside the scope is a logged 404."""
        check_list_args()
        self.require_visible(pk)
        return super()._show(pk)

    def require_visible(self, pk) -> None:
        """Raise NotVisible (404, audited as a refused access) for a row the user may not see."""
        if self.visible_item(pk) is None:
            raise not_found(self.datamodel.obj, pk)

    def visible_item(self, pk):
        """The row `pk` if the base filters (row scope) let this user see it, else None."""
        return self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)

    # FAB's action endpoints load rows with datamodel.get(pk) and no base filters; re-exposed here
    # (an override without @expose would silently drop the route) with the row scope checked first.
    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        """FAB's single-row action, but only on a row the user can see (404 otherwise)."""
        if name not in self.actions or self.visible_item(pk) is None:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        """FAB's bulk action, but every selected row must be visible (404 otherwise, nothing done)."""
        name = request.form.get("action", "")
        pks = request.form.getlist("rowid")
        if name not in self.actions or not pks:
            abort(400)
        if any(self.visible_item(pk) is None for pk in pks):
            abort(404)
        return super().action_post()

    def download(self, filename):
        """FAB's unscoped /download/<file> is dropped (no @expose); materials have their own scoped download."""
        abort(404)

    def flash_domain_error(self, err) -> None:
        """Flash each message of a DomainError in the user's language."""
        from ..i18n import render

        for msg in err.messages:
            flash(render(msg), "danger")

    def back(self):
        """Redirect to where the user came from (FAB's stored redirect)."""
        return redirect(self.get_redirect())
