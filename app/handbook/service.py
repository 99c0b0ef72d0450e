"""The office handbook's content, generated from the workflow table, the stage limits and the checklists."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..desk.limits import WORK, stage_limit
from ..domain.errors import DomainError, Message, N_
from ..domain.workflow_table import ACTIONS, STATUSES, TABLE, TYPES, applies_to
from ..models import ChecklistItem
from ..models.base import utcnow
from ..models.unit import HandbookTip

MAX_TIPS = 4000
# The order steps appear in: the path an application takes, then the side roads.
STATUS_ORDER = tuple(STATUSES)
SIDE_TARGETS = frozenset({"rejected", "withdrawn", "needs_materials", "draft"})
SIDE_ACTIONS = frozenset({"submit_police"})
ROLE_LABELS = {
    "Admin": N_("System administrator"), "HukouOfficer": N_("Hukou officer"),
    "DeptApprover": N_("Department approver"), "Leader": N_("Leader"), "Employee": N_("Employee"),
}
# What each guard of the workflow table asks, in words for new staff.
GUARD_LABELS = {
    "in_department": N_("Only approvers of the applicant's department"),
    "not_own": N_("Nobody approves their own application"),
    "materials_complete": N_("Every required material uploaded and verified"),
    "eligibility": N_("The settlement rules are met, or an override reason is given"),
    "borrow_page_allowed": N_("The resident is in the household and the page is not lent out"),
    "not_police_returned": N_("Not after a police return (re-send to the police station instead)"),
    "police_returned": N_("Only after the police station returned it"),
    "fees_settled": N_("Fees and deposits settled by Finance"),
    "archive_location": N_("The cabinet location of the paper file is entered"),
}

# What counts as valid, per material code, when the checklist line carries no note of its own (DOMAIN.md:
# copies carry the 「与原件一致」 stamp after the officer compared them with the original).
VALIDITY = {
    "id_card": N_("Original ID card within its validity period; the copy stamped as true to the original"),
    "labor_contract": N_("Signed by both sides with the unit's stamp, in force on the day of application"),
    "report_card": N_("Issued for this unit, not yet used for another registration"),
    "social_security": N_("Printed by the social security office with its stamp, covering the required months"),
    "diploma": N_("Original diploma and degree certificate; verifiable on CHSI"),
    "migration_cert": N_("Issued by the police, within its validity period, name and ID number match"),
    "admission_cert": N_("Issued for this collective household, within its validity period"),
    "leave_cert": N_("Issued by the unit's HR with the unit's stamp and the leaving date"),
    "destination_permit": N_("Issued by the destination's police, within its validity period"),
    "purpose_statement": N_("States what the page is needed for and until when, signed by the borrower"),
    "marriage_cert": N_("Original marriage certificate"),
    "name_change_docs": N_("Documents proving the old and the new name belong to the same person"),
    "loss_report": N_("Loss statement signed by the applicant, confirmed by the unit"),
    "photo": N_("Recent colour photo taken for ID cards, or the police's photo receipt"),
}


@dataclass(frozen=True)
class Step:
    """One row of the handbook: an action, from where to where, who acts, what is checked, how long it may take."""

    action: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    guards: tuple[str, ...]
    comment_required: bool
    applicant_only: bool
    limit_days: int | None
    limit_work: bool


@dataclass(frozen=True)
class MaterialLine:
    """A checklist line: the material, whether it is required, and what counts as valid (the checklist note)."""

    name: str
    required: bool
    note: str
    valid: str = ""  # the built-in rule (a msgid) when the checklist line has no note


def _rank(status: str) -> int:
    """Position of a status on the path (unknown statuses last)."""
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def steps_for(app_type: str) -> list[Step]:
    """The workflow rows of one type, in path order, with roles (Admin last) and the source stage's limit."""
    out = []
    for row in TABLE:
        if not applies_to(row, app_type):
            continue
        sources = tuple(sorted(row.sources, key=_rank))
        limit = stage_limit(sources[0])
        # The Admin may do everything; naming it on every row would only hide who really does the work.
        roles = tuple(sorted(row.roles - {"Admin"})) or ("Admin",)
        out.append(Step(row.action, sources, row.target, roles, row.guards, row.comment_required,
                        row.applicant_only, limit[0] if limit else None, bool(limit and limit[1] == WORK)))
    # A stable sort by where the step starts keeps the table's own order among steps of one stage.
    return sorted(out, key=lambda s: _rank(s.sources[0]))


def is_side_road(step: Step) -> bool:
    """A step off the main path: refusing, withdrawing, asking for materials, a police return and its repair."""
    return step.target in SIDE_TARGETS or step.action in SIDE_ACTIONS


def split_steps(steps: list[Step]) -> tuple[list[Step], list[Step]]:
    """(the main path in order, the other actions) of a type's steps."""
    return [s for s in steps if not is_side_road(s)], [s for s in steps if is_side_road(s)]


def materials_for(session: Session, app_type: str) -> list[MaterialLine]:
    """The checklist of one type, required first."""
    rows = session.scalars(select(ChecklistItem).where(ChecklistItem.app_type == app_type)
                           .order_by(ChecklistItem.required.desc(), ChecklistItem.id))
    return [MaterialLine(r.material_type.name, r.required, r.note or "", VALIDITY.get(r.material_type.code, ""))
            for r in rows]


def tips_of(session: Session) -> dict[str, HandbookTip]:
    """The officers' tips per application type."""
    return {t.app_type: t for t in session.scalars(select(HandbookTip))}


def check_type(app_type: str) -> str:
    """The application type code, or a DomainError naming the unknown type."""
    if app_type not in TYPES:
        raise DomainError(Message("handbook_type", N_("Application type %(type)s does not exist."),
                                  {"type": str(app_type)[:40]}))
    return app_type


def save_tips(uow, app_type: str, text: str | None) -> HandbookTip:
    """Store the tips of one type in the unit of work (audited as a change of the HandbookTip row)."""
    check_type(app_type)
    clean = (text or "").replace("\r\n", "\n").strip()
    if len(clean) > MAX_TIPS:
        raise DomainError(Message("handbook_tips_long", N_("Tips: at most %(max)s characters."), {"max": MAX_TIPS}))
    tip = uow.session.scalar(select(HandbookTip).where(HandbookTip.app_type == app_type).with_for_update())
    if tip is None:
        tip = HandbookTip(app_type=app_type, tips=clean, changed_by_id=uow.actor.user_id, changed_at=utcnow())
        uow.session.add(tip)
    elif tip.tips != clean:
        tip.tips, tip.changed_by_id, tip.changed_at = clean, uow.actor.user_id, utcnow()
    uow.session.flush()
    return tip


def handbook(session: Session, types: list[str] | None = None) -> list[dict]:
    """Every requested type's chapter: label, steps, materials and tips."""
    tips = tips_of(session)
    out = []
    for t in types or list(TYPES):
        main, side = split_steps(steps_for(t))
        out.append({"type": t, "label": TYPES[t], "steps": main, "side_steps": side,
                    "materials": materials_for(session, t), "tips": tips[t].tips if t in tips else ""})
    return out


LABELS = {"actions": ACTIONS, "statuses": STATUSES, "roles": ROLE_LABELS, "guards": GUARD_LABELS}
