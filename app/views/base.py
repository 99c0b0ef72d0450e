"""The base of every Hukou Desk screen: scoped rows, checked actions, safe sorting, no FAB file download."""
from __future__ import annotations

import re
from typing import Any

from flask import abort, current_app, flash, redirect, request
from flask_appbuilder import ModelView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, asc, desc, func, union_all
from sqlalchemy.orm import ColumnProperty

from ..security.scope import criteria, current_scope

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
    """SQLAInterface with a cheap COUNT and integer primary keys checked before they reach the database."""

    def query_count(self, query, filters=None, select_columns=None) -> int:
        """COUNT(*) on the filtered table instead of FAB's COUNT(*) over a joined subquery."""
        # count(*), not count(id): SQLite answers an unfiltered count(*) from the b-tree (50× faster at 100k).
        query = self.session.query(func.count()).select_from(self.obj)
        return self.apply_filters(query, self.get_inner_filters(filters)).scalar() or 0

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        """FAB's paged query as a deferred join: the page's keys from an index, then only those rows."""
        if not page_size or self.is_pk_composite() or (select_columns and self.exists_col_to_many(select_columns)):
            return super().query(filters, order_column, order_direction, page, page_size, select_columns,
                                 outer_default_load)
        count = self.query_count(None, filters)
        if count <= (page or 0) * page_size:
            return count, []
        pk = self.get_pk()
        ids = self._page_keys(filters, order_column, order_direction, page or 0, page_size)
        query = self.session.query(self.obj).filter(pk.in_(ids))
        rows = self._apply_inner_all(query, select_columns=select_columns, aliases_mapping={}).all()
        items = [getattr(r, self.obj.__name__, r) for r in rows]
        position = {key: n for n, key in enumerate(ids)}  # the key query's order, sorted or not
        return count, sorted(items, key=lambda item: position[getattr(item, pk.key)])

    def _page_keys(self, filters, order_column: str, order_direction: str, page: int, page_size: int) -> list:
        """The primary keys of one page; OFFSET skips covering-index entries, not whole joined rows."""
        pk = self.get_pk()
        depts = self._merge_departments(filters, order_column)
        if not depts:
            query = self._apply_inner_all(self.session.query(pk), filters, order_column, order_direction, page,
                                          page_size, aliases_mapping={})
            return [row[0] for row in query]
        base = self.apply_filters(self.session.query(getattr(self.obj, order_column), pk),
                                  self.get_inner_filters(filters))
        # One ordered index range per department, merged: nothing sorts the approver's whole scope.
        union = union_all(*(base.filter(self.obj.department_id == d).statement for d in depts))
        direction = asc if order_direction == "asc" else desc
        stmt = union.order_by(*map(direction, union.selected_columns)).limit(page_size).offset(page * page_size)
        return [row[1] for row in self.session.execute(stmt)]

    def _merge_departments(self, filters, order_column: str) -> list[int]:
        """Departments to merge when the row scope is exactly `department_id IN (2+ ids)`, else []."""
        scope = current_scope()
        attr = getattr(self.obj, order_column, None) if order_column else None
        flts = filters.filters if filters is not None else []
        if (scope.unit_wide or not 2 <= len(scope.department_ids) <= 64 or not hasattr(self.obj, "department_id")
                or order_column == self.get_pk_name() or not isinstance(getattr(attr, "property", None), ColumnProperty)
                or not any(isinstance(f, ScopeFilter) for f in flts)
                or any(f.column_name.split(".")[0] in ("department", "department_id")
                       for f in flts if not isinstance(f, ScopeFilter))):
            return []
        depts = sorted(scope.department_ids)
        clause = criteria(self.obj, scope)
        return depts if clause is not None and clause.compare(self.obj.department_id.in_(depts)) else []

    def _pk_type(self):
        """The SQL type of the single primary-key column."""
        return getattr(self.obj, self.get_pk_name()).property.columns[0].type

    def get(self, id: Any, filters=None, select_columns=None, outer_default_load: bool = False):
        """FAB's get, but a non-integer id for an integer key is 'no such row' (PostgreSQL would raise)."""
        if not self.is_pk_composite() and isinstance(self._pk_type(), Integer):
            try:
                id = int(id)
            except (TypeError, ValueError):
                return None
            if not -2**31 <= id < 2**31:
                return None
        return super().get(id, filters, select_columns, outer_default_load)


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

    def _list(self, **kwargs):
        """FAB's list after argument checks."""
        check_list_args()
        return super()._list(**kwargs)

    def _show(self, pk):
        """FAB's show (with related lists) after argument checks."""
        check_list_args()
        return super()._show(pk)

    def _edit(self, pk):
        """FAB's edit (with related lists) after argument checks."""
        check_list_args()
        return super()._edit(pk)

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
