"""The application workflow as data: statuses, types, actions and the one transition table."""
from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import N_

STATUSES: dict[str, str] = {
    "draft": N_("Draft"),
    "submitted": N_("Awaiting pre-review"),
    "needs_materials": N_("Awaiting supplementary materials"),
    "dept_review": N_("Awaiting department approval"),
    "leader_review": N_("Awaiting leader approval"),
    "entry": N_("Awaiting police-system entry"),
    "at_police": N_("Under police-station review"),
    "completed": N_("Completed"),
    "archived": N_("Archived"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
}

CLOSED_STATUSES: frozenset[str] = frozenset({"completed", "archived", "rejected", "withdrawn"})
OPEN_STATUSES: frozenset[str] = frozenset(STATUSES) - CLOSED_STATUSES
# Statuses with no way out by design; every other reachable status must have a row leaving it.
TERMINAL_STATUSES: frozenset[str] = frozenset({"archived", "rejected", "withdrawn"})

TYPES: dict[str, str] = {
    "move_in": N_("Move in"),
    "move_out": N_("Move out"),
    "borrow_page": N_("Borrow the hukou page"),
    "certificate": N_("Hukou certificate"),
    "info_change": N_("Information change"),
    "id_card": N_("ID card renewal or replacement"),
    "page_reissue": N_("Hukou page reissue"),
}

ACTIONS: dict[str, str] = {
    "submit": N_("Submit"),
    "request_materials": N_("Request materials"),
    "pass_review": N_("Pass pre-review"),
    "reject": N_("Reject"),
    "dept_approve": N_("Department approve"),
    "dept_reject": N_("Department reject"),
    "leader_approve": N_("Leader approve"),
    "leader_reject": N_("Leader reject"),
    "enter": N_("Entered and sent to police station"),
    "police_reject": N_("Returned by police station"),
    "submit_police": N_("Re-send to police station"),
    "complete": N_("Complete"),
    "archive": N_("Archive"),
    "withdraw": N_("Withdraw"),
    "reopen": N_("Reopen for content changes"),
}

# Roles whose permission is limited to the actor's own departments (guard "in_department").
SCOPED_ROLES: frozenset[str] = frozenset({"DeptApprover"})

# Effects the caller must carry out when an application enters a status, per type ("*" = every type).
ANY_TYPE = "*"
ENTRY_EFFECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "completed": {
        "move_in": ("activate_resident",),
        "move_out": ("close_resident",),
        "info_change": ("apply_info_change",),
        "borrow_page": ("open_loan",),
        "certificate": ("issue_certificate",),
    },
    "archived": {ANY_TYPE: ("create_archive",)},
}


@dataclass(frozen=True)
class Transition:
    """One row: who may do `action` from which statuses to reach `target`, under which guards."""

    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    guards: tuple[str, ...] = ()
    comment_required: bool = False
    types: frozenset[str] | None = None
    applicant_only: bool = False
    # Only the applicant (or whoever filed it) may do it, whatever their role; the office rejects instead.
    creator_only: bool = False


def _f(*items: str) -> frozenset[str]:
    """Shorthand for a frozenset of strings."""
    return frozenset(items)


OFFICE = _f("HukouOfficer", "Admin")
APPLICANT = _f("Employee", "HukouOfficer", "Admin")
DEPT = _f("DeptApprover", "Admin")
LEADER = _f("Leader", "Admin")

# Page loans need only the department; certificates skip the police; the rest go through the police station.
BORROW = _f("borrow_page")
CERT = _f("certificate")
POLICE = frozenset(TYPES) - BORROW - CERT
NOT_BORROW = frozenset(TYPES) - BORROW
MOVE_OUT = _f("move_out")
POLICE_NOT_MOVE_OUT = POLICE - MOVE_OUT

TABLE: tuple[Transition, ...] = (
    Transition("submit", _f("draft", "needs_materials"), "submitted", APPLICANT,
               ("borrow_page_allowed", "not_police_returned"), types=BORROW, applicant_only=True),
    Transition("submit", _f("draft", "needs_materials"), "submitted", APPLICANT,
               ("not_police_returned",), types=NOT_BORROW, applicant_only=True),
    Transition("request_materials", _f("submitted"), "needs_materials", OFFICE, comment_required=True),
    Transition("pass_review", _f("submitted"), "dept_review", OFFICE,
               ("materials_complete", "eligibility", "not_own")),
    Transition("reject", _f("submitted", "needs_materials"), "rejected", OFFICE, comment_required=True),
    Transition("dept_approve", _f("dept_review"), "leader_review", DEPT,
               ("in_department", "not_own"), types=NOT_BORROW),
    Transition("dept_approve", _f("dept_review"), "completed", DEPT,
               ("in_department", "not_own", "borrow_page_allowed"), types=BORROW),
    Transition("dept_reject", _f("dept_review"), "rejected", DEPT, ("in_department",), comment_required=True),
    Transition("leader_approve", _f("leader_review"), "entry", LEADER, ("not_own",), types=POLICE),
    Transition("leader_approve", _f("leader_review"), "completed", LEADER, ("not_own",), types=CERT),
    Transition("leader_reject", _f("leader_review"), "rejected", LEADER, comment_required=True),
    Transition("enter", _f("entry"), "at_police", OFFICE, types=POLICE),
    Transition("police_reject", _f("at_police"), "needs_materials", OFFICE, comment_required=True, types=POLICE),
    Transition("submit_police", _f("needs_materials"), "at_police", OFFICE,
               ("police_returned", "materials_complete"), types=POLICE),
    Transition("complete", _f("at_police"), "completed", OFFICE, ("fees_settled",), types=MOVE_OUT),
    Transition("complete", _f("at_police"), "completed", OFFICE, types=POLICE_NOT_MOVE_OUT),
    Transition("archive", _f("completed"), "archived", OFFICE, ("archive_location",)),
    Transition("withdraw", _f("draft", "submitted", "needs_materials", "dept_review"), "withdrawn", APPLICANT,
               applicant_only=True, creator_only=True),
    # Approved content is frozen; after a police return only the materials reopen. Changing the content sends
    # the application back to a draft, so pre-review and both approvals are repeated (the timeline shows it).
    Transition("reopen", _f("needs_materials"), "draft", APPLICANT, ("police_returned",), comment_required=True,
               types=POLICE, applicant_only=True),
)


# Who acts next in each open status (the summary card): a role code, or "applicant".
NEXT_ACTOR: dict[str, str] = {
    "draft": "applicant", "submitted": "HukouOfficer", "needs_materials": "applicant",
    "dept_review": "DeptApprover", "leader_review": "Leader", "entry": "HukouOfficer",
    "at_police": "HukouOfficer", "completed": "HukouOfficer",
}

# Steps of the step bar: (step code, label, the action that completes it); a type shows the steps its rows have.
STEPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("submit", N_("Submitted"), ("submit",)),
    ("review", N_("Pre-review"), ("pass_review",)),
    ("dept", N_("Department"), ("dept_approve",)),
    ("leader", N_("Leader"), ("leader_approve",)),
    ("entry", N_("Police entry"), ("enter",)),
    ("police", N_("Police station"), ("complete",)),
    ("completed", N_("Completed"), ("complete", "dept_approve", "leader_approve")),
    ("archived", N_("Archived"), ("archive",)),
)


def steps_of(app_type: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The step-bar steps this type's path has (a loan ends at the department, a certificate at the leader)."""
    targets = {(row.action, row.target) for row in TABLE if applies_to(row, app_type)}
    actions = {action for action, _target in targets}
    result = []
    for code, label, done_by in STEPS:
        if code == "completed":
            done_by = tuple(a for a in done_by if (a, "completed") in targets)
        elif code == "police":
            done_by = tuple(a for a in done_by if a in actions and "enter" in actions)
        else:
            done_by = tuple(a for a in done_by if a in actions)
        if done_by:
            result.append((code, label, done_by))
    return tuple(result)


def rows_for(action: str) -> tuple[Transition, ...]:
    """Every row of the table for one action, in table order."""
    return tuple(row for row in TABLE if row.action == action)


def applies_to(row: Transition, app_type: str) -> bool:
    """True when the row covers this application type."""
    return row.types is None or app_type in row.types


def transition_for(app_type: str, status: str, action: str) -> Transition | None:
    """The row for this action from this status for this type, or None."""
    for row in rows_for(action):
        if status in row.sources and applies_to(row, app_type):
            return row
    return None


def effects_on_entering(status: str, app_type: str) -> tuple[str, ...]:
    """Effects the caller must perform when an application of this type enters this status."""
    by_type = ENTRY_EFFECTS.get(status, {})
    return by_type.get(ANY_TYPE, ()) + by_type.get(app_type, ())
