"""The one summary a bulk step answers with: how many were done, the refusals grouped by reason, details folded."""
from __future__ import annotations

from collections import OrderedDict

from flask import flash
from flask_babel import gettext, lazy_gettext as _l
from markupsafe import Markup, escape

from ..domain.errors import DomainError
from ..i18n import render_error

# Short reasons for the summary line, by refusal code; other codes show their first message.
SHORT_REASONS = {
    "materials_missing": _l("missing materials"),
    "action_not_possible": _l("not in a status for this step"),
    "own_application": _l("own applications"),
    "eligibility_failed": _l("eligibility rules not met"),
    "fees_unsettled": _l("fees not settled"),
    "application_not_found": _l("outside your scope"),
    "step_input_required": _l("need details entered one by one"),
    "changed_concurrently": _l("changed by someone else just now"),
    "action_not_allowed": _l("not allowed for your role"),
}


def group_refusals(refusals: list[tuple[int, DomainError]]) -> "OrderedDict[str, list[tuple[int, str]]]":
    """Refusals grouped by their code, in first-seen order: code → [(application id, full message)]."""
    groups: OrderedDict[str, list[tuple[int, str]]] = OrderedDict()
    for pk, err in refusals:
        groups.setdefault(err.code, []).append((pk, render_error(err)))
    return groups


def summary_text(action_label: str, total: int, refusals: list[tuple[int, DomainError]]) -> Markup:
    """「批量初审通过：23 件中 0 件完成，23 件缺材料 ▸ 展开」 with the per-application details folded."""
    groups = group_refusals(refusals)
    parts = [gettext("%(done)s of %(total)s done", done=total - len(refusals), total=total)]
    for code, rows in groups.items():
        reason = str(SHORT_REASONS[code]) if code in SHORT_REASONS else rows[0][1]
        parts.append(gettext("%(count)s %(reason)s", count=len(rows), reason=reason))
    text = escape(gettext(action_label)) + Markup("：") + escape("，".join(parts))  # the UI is Chinese
    if not groups:
        return text
    items = Markup("").join(Markup('<li>{}</li>').format(gettext("Application %(id)s: %(error)s", id=pk,
                                                                  error=message))
                            for rows in groups.values() for pk, message in rows)
    return text + Markup(' <details class="hk-bulk-details"><summary>▸ {}</summary><ul>{}</ul></details>').format(
        gettext("Show details"), items)


def summary_flash(action_label: str, total: int, refusals: list[tuple[int, DomainError]]) -> None:
    """Flash the one summary: success when every row was done, else a warning."""
    flash(summary_text(action_label, total, refusals), "success" if not refusals else "warning")
