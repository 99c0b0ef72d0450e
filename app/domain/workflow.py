"""Apply one workflow transition to an application snapshot; the rules live in workflow_table.TABLE."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.domain.actor import Actor
from app.domain.errors import DomainError, Message, N_, NotAllowed, NotPossible, NotVisible
from app.domain.workflow_table import (
    ACTIONS, CLOSED_STATUSES, OPEN_STATUSES, SCOPED_ROLES, STATUSES, TABLE, TERMINAL_STATUSES, TYPES,
    Transition, applies_to, effects_on_entering, rows_for, transition_for,
)

__all__ = [
    "ACTIONS", "CLOSED_STATUSES", "OPEN_STATUSES", "STATUSES", "TABLE", "TERMINAL_STATUSES", "TYPES",
    "Transition", "transition_for", "AppSnapshot", "Actor", "Facts", "Outcome", "UnknownAction", "NotAllowed",
    "NotVisible", "NotPossible", "GuardFailed", "GUARDS", "apply", "available", "Option", "possible",
]


@dataclass(frozen=True)
class AppSnapshot:
    """The application as loaded by the caller."""

    id: int
    type: str
    status: str
    department_id: int | None
    resident_id: int | None
    created_by_id: int | None
    version: int
    # Who typed it in, even an office user filing a paper form (created_by_id is then None: not "their own").
    filed_by_id: int | None = None


@dataclass(frozen=True)
class Facts:
    """What the guards need to know, loaded by the caller."""

    missing_materials: tuple[str, ...] = ()
    fees_settled: bool = True
    resident_status: str | None = None
    page_out: bool = False
    eligibility_failed: tuple[str, ...] = ()
    override_reason: str | None = None
    police_returned: bool = False
    archive_location: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The accepted transition; the caller persists it and performs `effects`."""

    action: str
    from_status: str
    to_status: str
    effects: tuple[str, ...]
    comment: str | None


class UnknownAction(DomainError):
    """The action name is not in the table."""

    http_status = 400


class GuardFailed(DomainError):
    """A row matched but one of its guards refused."""

    http_status = 422


Guard = Callable[[AppSnapshot, Actor, Facts, Transition], "Message | None"]


def _is_own(app: AppSnapshot, actor: Actor) -> bool:
    """True when the actor created the application or is the resident it concerns."""
    if app.created_by_id is not None and app.created_by_id == actor.user_id:
        return True
    return actor.resident_id is not None and app.resident_id == actor.resident_id


def _in_scope(app: AppSnapshot, actor: Actor, row: Transition) -> bool:
    """True unless the actor holds the row only through a department-scoped role outside its department."""
    if (actor.roles & row.roles) - SCOPED_ROLES:
        return True
    return app.department_id is not None and app.department_id in actor.department_ids


def _guard_in_department(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> Message | None:
    """Department approvers act on their own departments only."""
    if _in_scope(app, actor, row):
        return None
    return Message("application_not_found", N_("Application %(id)s was not found."), {"id": app.id})


def _guard_not_own(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> Message | None:
    """Nobody approves their own application, whatever their role."""
    if not _is_own(app, actor):
        return None
    return Message("own_application", N_("You cannot approve your own application."))


def _guard_materials_complete(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> Message | None:
    """Every required material is present and verified."""
    if not facts.missing_materials:
        return None
    return Message("materials_missing", N_("Required materials are missing or not verified: %(materials)s."),
                   {"materials": ", ".join(facts.missing_materials), "items": list(facts.missing_materials)})


def _guard_eligibility(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> Message | None:
    """Eligibility rules pass, or the officer wrote a reason to override them."""
    if not facts.eligibility_failed or (facts.override_reason or "").strip():
        return None
    return Message("eligibility_failed",
                   N_("Eligibility rules not met: %(rules)s. Give an override reason to pass it anyway."),
                   {"rules": "; ".join(facts.eligibility_failed), "items": list(facts.eligibility_failed)})


def _guard_borrow_page_allowed(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> Message | None:
    """Only an active resident whose page is in the cabinet can borrow it."""
    if facts.resident_status != "active":
        return Message("resident_not_active", N_("Only an active resident can borrow the page."),
                       {"resident_status": facts.resident_status or ""})
    if facts.page_out:
        return Message("page_already_lent",
                       N_("The resident's page is already lent out; it must be returned before it is lent again."))
    return None


def _guard_not_police_returned(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> Message | None:
    """After a police rejection the application goes back to the police, not to pre-review."""
    if not facts.police_returned:
        return None
    return Message("police_returned",
                   N_("The police station returned this application; after supplementing the materials "
                      "use \"Re-send to police station\" instead."))


def _guard_police_returned(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> Message | None:
    """Only an application the police returned can be re-sent to them."""
    if facts.police_returned:
        return None
    return Message("not_police_returned",
                   N_("Only an application returned by the police station can be re-sent to it; use \"Submit\"."))


def _guard_fees_settled(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> Message | None:
    """Fees and deposits are settled before a move-out is closed."""
    if facts.fees_settled:
        return None
    return Message("fees_unsettled", N_("Fees are not settled; Finance must record the payment first."))


def _guard_archive_location(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> Message | None:
    """The paper file has a cabinet location before it counts as archived."""
    if (facts.archive_location or "").strip():
        return None
    return Message("archive_location_required", N_("Enter the cabinet location before archiving."))


GUARDS: dict[str, Guard] = {
    "in_department": _guard_in_department,
    "not_own": _guard_not_own,
    "materials_complete": _guard_materials_complete,
    "eligibility": _guard_eligibility,
    "borrow_page_allowed": _guard_borrow_page_allowed,
    "not_police_returned": _guard_not_police_returned,
    "police_returned": _guard_police_returned,
    "fees_settled": _guard_fees_settled,
    "archive_location": _guard_archive_location,
}
# Guards that decide visibility: checked before the status (404 before 409) and never reported as 422.
SCOPE_GUARDS: frozenset[str] = frozenset({"in_department"})


def _role_refusal(app: AppSnapshot, actor: Actor, row: Transition) -> Message | None:
    """Why the actor's roles do not permit this row, or None when they do."""
    label = ACTIONS[row.action]
    granted = actor.roles & row.roles
    if not granted:
        return Message("action_not_allowed", N_("Your role does not allow the action \"%(action)s\"."),
                       {"action": label, "action_code": row.action})
    if row.applicant_only and granted <= {"Employee"} and not _is_own(app, actor):
        return Message("not_own_application", N_("You can do \"%(action)s\" only on your own application."),
                       {"action": label, "action_code": row.action})
    if row.creator_only and "Admin" not in granted and not _filed_or_own(app, actor):
        return Message("not_applicant", N_("Only the applicant or whoever filed the application can do "
                                           "\"%(action)s\"; the office rejects instead."),
                       {"action": label, "action_code": row.action})
    return None


def _filed_or_own(app: AppSnapshot, actor: Actor) -> bool:
    """True for the applicant and for whoever typed the application in."""
    return _is_own(app, actor) or (app.filed_by_id is not None and app.filed_by_id == actor.user_id)


def _scope_refusal(app: AppSnapshot, actor: Actor, row: Transition) -> Message | None:
    """The first failing scope guard of the row, or None."""
    for name in row.guards:
        if name in SCOPE_GUARDS:
            refusal = GUARDS[name](app, actor, Facts(), row)
            if refusal is not None:
                return refusal
    return None


def _not_possible(app: AppSnapshot, action: str) -> Message:
    """The 409 message naming the current status and type."""
    return Message("action_not_possible",
                   N_("\"%(action)s\" is not possible for a %(type)s application in status \"%(status)s\"."),
                   {"action": ACTIONS[action], "action_code": action, "type": TYPES.get(app.type, app.type),
                    "type_code": app.type, "status": STATUSES.get(app.status, app.status), "status_code": app.status})


def _authorise(app: AppSnapshot, action: str, actor: Actor) -> None:
    """Raise 403 or 404 unless some row of the action (for this type, if any) admits the actor."""
    rows = rows_for(action)
    candidates = [row for row in rows if applies_to(row, app.type)] or list(rows)
    refusals = [_role_refusal(app, actor, row) for row in candidates]
    if all(refusal is not None for refusal in refusals):
        raise NotAllowed(refusals[0])
    permitted = [row for row, refusal in zip(candidates, refusals) if refusal is None]
    scope = [_scope_refusal(app, actor, row) for row in permitted]
    if all(refusal is not None for refusal in scope):
        raise NotVisible(scope[0])


def apply(app: AppSnapshot, action: str, actor: Actor, facts: Facts = Facts(),
          comment: str | None = None) -> Outcome:
    """Check and apply one action; raise a DomainError subclass in the documented order."""
    if action not in ACTIONS or not rows_for(action):
        raise UnknownAction(Message("unknown_action", N_("Unknown action: %(action)s."), {"action": action}))
    _authorise(app, action, actor)
    row = transition_for(app.type, app.status, action)
    if row is None:
        raise NotPossible(_not_possible(app, action))
    refusal = _role_refusal(app, actor, row)
    if refusal is not None:
        raise NotAllowed(refusal)
    text = (comment or "").strip() or None
    if row.comment_required and text is None:
        raise GuardFailed(Message("comment_required", N_("A reason is required for \"%(action)s\"."),
                                  {"action": ACTIONS[action], "action_code": action}))
    for name in row.guards:
        failure = GUARDS[name](app, actor, facts, row)
        if failure is not None:
            raise (NotVisible if name in SCOPE_GUARDS else GuardFailed)(failure)
    effects = effects_on_entering(row.target, app.type)
    return Outcome(action, app.status, row.target, effects, text)


def available(app: AppSnapshot, actor: Actor, facts: Facts = Facts()) -> list[str]:
    """Actions this actor may try now (role, scope, applicant and status match); guards are not evaluated."""
    result: list[str] = []
    for action in ACTIONS:
        row = transition_for(app.type, app.status, action)
        if row is None or action in result:
            continue
        if _role_refusal(app, actor, row) is None and _scope_refusal(app, actor, row) is None:
            result.append(action)
    return result



# Guards whose failure means "this is not your path now" (hide the button), not "blocked, here is why".
PATH_GUARDS: frozenset[str] = frozenset({"not_police_returned", "police_returned"}) | SCOPE_GUARDS
# Guards the action's own form satisfies (an override reason, a cabinet location): asked for, never a block.
FORM_GUARDS: frozenset[str] = frozenset({"eligibility", "archive_location"})


@dataclass(frozen=True)
class Option:
    """One action to show: `blocked` is why it cannot succeed now (show it disabled), else None."""

    action: str
    blocked: Message | None = None
    comment_required: bool = False
    asks: tuple[str, ...] = ()


def possible(app: AppSnapshot, actor: Actor, facts: Facts = Facts()) -> list[Option]:
    """Actions worth showing: allowed for this actor and path, with the reason when a guard blocks them now.

    `facts` must hold what every candidate row's guards need. Guards answered by the action's own form
    (FORM_GUARDS) are listed in `asks` instead; path guards hide the action altogether.
    """
    options: list[Option] = []
    for action in available(app, actor, facts):
        row = transition_for(app.type, app.status, action)
        blocked = None
        for name in row.guards:
            if name in FORM_GUARDS:
                continue
            failure = GUARDS[name](app, actor, facts, row)
            if failure is not None:
                blocked = failure
                break
        if blocked is not None and (set(row.guards) & PATH_GUARDS) and _path_refusal(app, actor, facts, row):
            continue
        asks = tuple(g for g in row.guards if g in FORM_GUARDS and GUARDS[g](app, actor, facts, row) is not None)
        options.append(Option(action, blocked, row.comment_required, asks))
    return options


def _path_refusal(app: AppSnapshot, actor: Actor, facts: Facts, row: Transition) -> bool:
    """True when one of the row's path guards refuses."""
    return any(GUARDS[name](app, actor, facts, row) is not None for name in row.guards if name in PATH_GUARDS)
