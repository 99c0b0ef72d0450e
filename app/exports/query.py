"""The rows of a list screen as the user sees them: the screen's own FAB filters, search and sort read from the
request arguments, and the row scope of the actor (explicit, so a job or the CLI gets the same rows).

One restricted query feeds the list and the export: the screen's datamodel applies the filters and the order
(with FAB's primary-key tie-breaker); `criteria(model, actor)` is the same clause the list's ScopeFilter adds.
"""
from __future__ import annotations

from flask import abort, current_app, request
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import gettext

from ..domain.actor import Actor
from ..extensions import db
from ..security.scope import criteria
from ..web.datamodel import ScopeFilter
from .specs import ExportSpec

# Request arguments that are no filter: the export's own choices and FAB's paging.
OWN_ARGS = ("unmask", "format")


def list_view(spec: ExportSpec):
    """The registered list screen of a spec."""
    view = next((v for v in current_app.appbuilder.baseviews if v.__class__.__name__ == spec.view), None)
    if view is None:
        raise LookupError(spec.view)
    return view


def check_args(spec: ExportSpec) -> None:
    """400 for the same bad arguments the list screen refuses (sort columns, partial ID searches, filters)."""
    from ..views.base import check_list_args
    from ..web.personal import PersonalInterface, check_web_filters

    check_list_args()
    if isinstance(list_view(spec).datamodel, PersonalInterface):
        check_web_filters()


def _filters(view):
    """A fresh Filters object of the screen filled from the request (the view's own one is shared)."""
    filters = view.datamodel.get_filters(view.search_columns)
    try:
        get_filter_args(filters)
    except (IndexError, ValueError):
        abort(400, description=gettext("Unknown filter"))
    others = [f for f in (view.base_filters or []) if f[1] is not ScopeFilter]
    base = view.datamodel.get_filters()
    base.add_filter_list(others)
    return filters.get_joined_filters(base)


def _order(view) -> tuple[str, str]:
    """The requested sort (a column the screen offers) or the screen's default order."""
    requested = get_order_args().get(view.__class__.__name__)
    if requested and requested[0] in (view.order_columns or []):
        return requested
    return view.base_order or ("", "")


def export_query(spec: ExportSpec, actor: Actor):
    """The ORM query of the rows this actor sees on the list with this request's filters and sort."""
    view = list_view(spec)
    datamodel = view.datamodel
    order_column, order_direction = _order(view)
    query = datamodel._apply_inner_all(db.session.query(spec.model), _filters(view), order_column,
                                       order_direction, aliases_mapping={})
    clause = criteria(spec.model, actor)
    return query if clause is None else query.filter(clause)


def plain_rows(spec: ExportSpec, query):
    """The same filtered, scoped, ordered query selecting only the exported columns as plain rows."""
    columns, joins = spec.source()
    rows = query.enable_eagerloads(False).with_entities(*columns)
    for target, onclause in joins:
        rows = rows.outerjoin(target, onclause)
    return rows


def count_rows(query) -> int:
    """How many rows the export will write (COUNT over the same filtered query, unordered)."""
    return query.order_by(None).enable_eagerloads(False).count()


def filter_args() -> dict:
    """The list arguments of this request (filters, search, sort) for the audit row and for a job."""
    return {key: request.args.getlist(key) for key in request.args if key not in OWN_ARGS}
