"""Tests of the application workflow table and engine."""
from __future__ import annotations

from collections import deque
from dataclasses import replace

import pytest

from app.domain.errors import DomainError
from app.domain.workflow import (
    ACTIONS, GUARDS, OPEN_STATUSES, STATUSES, TABLE, TYPES, Actor, AppSnapshot, Facts, GuardFailed, NotAllowed,
    NotPossible, NotVisible, Outcome, UnknownAction, apply, available, transition_for,
)

ROLES = ("Admin", "HukouOfficer", "DeptApprover", "Leader", "HR", "Finance", "Auditor", "Employee")
TERMINAL = {"archived", "rejected", "withdrawn"}
APPLICANT_USER, APPLICANT_RESIDENT, DEPT = 100, 200, 7

# The brief restated independently of the table: who may do each action, and from where.
BRIEF_ROLES = {
    "submit": {"Employee", "HukouOfficer", "Admin"}, "withdraw": {"Employee", "HukouOfficer", "Admin"},
    "request_materials": {"HukouOfficer", "Admin"}, "pass_review": {"HukouOfficer", "Admin"},
    "reject": {"HukouOfficer", "Admin"}, "enter": {"HukouOfficer", "Admin"},
    "police_reject": {"HukouOfficer", "Admin"}, "submit_police": {"HukouOfficer", "Admin"},
    "complete": {"HukouOfficer", "Admin"}, "archive": {"HukouOfficer", "Admin"},
    "dept_approve": {"DeptApprover", "Admin"}, "dept_reject": {"DeptApprover", "Admin"},
    "leader_approve": {"Leader", "Admin"}, "leader_reject": {"Leader", "Admin"},
    "reopen": {"Employee", "HukouOfficer", "Admin"},
}
BRIEF_SOURCES = {
    "submit": {"draft", "needs_materials"}, "request_materials": {"submitted"}, "pass_review": {"submitted"},
    "reject": {"submitted", "needs_materials"}, "dept_approve": {"dept_review"}, "dept_reject": {"dept_review"},
    "leader_approve": {"leader_review"}, "leader_reject": {"leader_review"}, "enter": {"entry"},
    "police_reject": {"at_police"}, "submit_police": {"needs_materials"}, "complete": {"at_police"},
    "archive": {"completed"}, "withdraw": {"draft", "submitted", "needs_materials", "dept_review"},
    "reopen": {"needs_materials"},
}
GOOD_FACTS = Facts(resident_status="active", archive_location="Cabinet 3, drawer 2")


def make_app(status: str = "submitted", app_type: str = "move_in", **kw: object) -> AppSnapshot:
    """An application of the applicant in department DEPT."""
    base = AppSnapshot(id=42, type=app_type, status=status, department_id=DEPT, resident_id=APPLICANT_RESIDENT,
                       created_by_id=APPLICANT_USER, version=3)
    return replace(base, **kw)


def make_actor(*roles: str, user_id: int = 1, depts: frozenset[int] = frozenset({DEPT}),
               resident_id: int | None = None) -> Actor:
    """An actor with the given roles; not the applicant unless told."""
    return Actor(user_id=user_id, roles=frozenset(roles), department_ids=depts, resident_id=resident_id)


def outcome_kind(app: AppSnapshot, action: str, actor: Actor, facts: Facts = GOOD_FACTS) -> str:
    """'ok' or the HTTP status of the refusal."""
    try:
        apply(app, action, actor, facts, comment="because")
    except DomainError as exc:
        return str(exc.http_status)
    return "ok"


def expected_kind(role: str, action: str, status: str, own: bool) -> str:
    """What the brief says should happen, with guards satisfied."""
    if role not in BRIEF_ROLES[action] or (role == "Employee" and not own):
        return "403"
    if action == "withdraw" and role == "HukouOfficer" and not own:  # issue 9: the office rejects instead
        return "403"
    return "ok" if status in BRIEF_SOURCES[action] else "409"


MATRIX_STATES = ("draft", "submitted", "dept_review", "leader_review", "entry", "at_police", "completed")
MATRIX = [(s, r, a, own) for s in MATRIX_STATES for r in ROLES for a in ACTIONS for own in (False, True)
          if own is False or r == "Employee"]


@pytest.mark.parametrize(("status", "role", "action", "own"), MATRIX)
def test_role_action_matrix(status: str, role: str, action: str, own: bool) -> None:
    """Each role gets exactly what the brief grants, in a range of statuses."""
    actor = make_actor(role, user_id=APPLICANT_USER if own else 1)
    assert outcome_kind(make_app(status), action, actor) == expected_kind(role, action, status, own)


@pytest.mark.parametrize(("status", "role", "own"),
                         [(s, r, o) for s in MATRIX_STATES for r in ROLES for o in (False, True)
                          if o is False or r == "Employee"])
def test_available_matches_matrix(status: str, role: str, own: bool) -> None:
    """available() lists exactly the actions the brief grants from this status."""
    actor = make_actor(role, user_id=APPLICANT_USER if own else 1)
    expected = [a for a in ACTIONS if expected_kind(role, a, status, own) == "ok"]
    assert available(make_app(status), actor) == expected


def test_available_ignores_guards_but_not_scope() -> None:
    """Buttons show despite failing guards, but not outside the approver's departments."""
    app = make_app("dept_review")
    assert available(app, make_actor("DeptApprover"), Facts(missing_materials=("ID card",))) == [
        "dept_approve", "dept_reject"]
    assert available(app, make_actor("DeptApprover", depts=frozenset({99}))) == []


@pytest.mark.parametrize("app_type", sorted(TYPES))
def test_every_type_reaches_archived_without_dead_ends(app_type: str) -> None:
    """BFS over the table from draft reaches archived; only terminal statuses have no way out."""
    rows = [r for r in TABLE if r.types is None or app_type in r.types]
    seen, queue = {"draft"}, deque(["draft"])
    while queue:
        status = queue.popleft()
        targets = {r.target for r in rows if status in r.sources}
        assert targets or status in TERMINAL, f"{app_type}: dead end at {status}"
        assert not (targets and status in TERMINAL), f"{app_type}: terminal {status} has exits"
        queue.extend(targets - seen)
        seen |= targets
    assert "archived" in seen and "completed" in seen


def test_table_is_well_formed() -> None:
    """Names in the table exist; an action has one row per (type, status); rows of an action share roles."""
    assert OPEN_STATUSES == set(STATUSES) - {"completed", "archived", "rejected", "withdrawn"}
    for row in TABLE:
        assert row.action in ACTIONS and row.target in STATUSES and row.sources <= set(STATUSES)
        assert set(row.guards) <= set(GUARDS) and (row.types is None or row.types <= set(TYPES))
        assert row.roles <= set(ROLES) - {"Auditor"}
    for action in ACTIONS:
        rows = [r for r in TABLE if r.action == action]
        assert len({(r.roles, r.applicant_only) for r in rows}) == 1, action
        for t in TYPES:
            for s in STATUSES:
                assert sum(1 for r in rows if s in r.sources and (r.types is None or t in r.types)) <= 1


@pytest.mark.parametrize(("app_type", "guard"), [("move_out", "fees_settled"), ("borrow_page", "borrow_page_allowed")])
def test_completion_rows_carry_type_guards(app_type: str, guard: str) -> None:
    """Every way into completed for these types is guarded."""
    rows = [r for r in TABLE if r.target == "completed" and (r.types is None or app_type in r.types)]
    assert rows and all(guard in r.guards for r in rows)


GUARD_CASES = [
    ("submitted", "move_in", "pass_review", Facts(missing_materials=("ID card", "Labour contract")),
     "materials_missing"),
    ("submitted", "move_in", "pass_review", Facts(eligibility_failed=("Social security ≥ 84 months",)),
     "eligibility_failed"),
    ("draft", "borrow_page", "submit", Facts(resident_status="leaving"), "resident_not_active"),
    ("draft", "borrow_page", "submit", Facts(resident_status="active", page_out=True), "page_already_lent"),
    ("dept_review", "borrow_page", "dept_approve", Facts(resident_status="frozen"), "resident_not_active"),
    ("needs_materials", "move_in", "submit", Facts(police_returned=True), "police_returned"),
    ("needs_materials", "move_in", "submit_police", Facts(police_returned=False), "not_police_returned"),
    ("needs_materials", "move_in", "submit_police", Facts(police_returned=True, missing_materials=("Photo",)),
     "materials_missing"),
    ("at_police", "move_out", "complete", Facts(fees_settled=False), "fees_unsettled"),
    ("completed", "move_in", "archive", Facts(archive_location="  "), "archive_location_required"),
]


@pytest.mark.parametrize(("status", "app_type", "action", "facts", "code"), GUARD_CASES)
def test_each_guard_refuses_with_its_code(status: str, app_type: str, action: str, facts: Facts, code: str) -> None:
    """A failing guard raises 422 with its own code."""
    with pytest.raises(GuardFailed) as info:
        apply(make_app(status, app_type), action, make_actor("Admin"), facts)
    assert info.value.code == code and info.value.http_status == 422


def test_missing_materials_are_named() -> None:
    """The message lists the missing materials by name."""
    with pytest.raises(GuardFailed) as info:
        apply(make_app(), "pass_review", make_actor("HukouOfficer"), Facts(missing_materials=("ID card", "Photo")))
    assert "ID card, Photo" in str(info.value)


@pytest.mark.parametrize(("status", "action", "role"), [
    ("submitted", "pass_review", "HukouOfficer"), ("dept_review", "dept_approve", "DeptApprover"),
    ("leader_review", "leader_approve", "Leader"), ("leader_review", "leader_approve", "Admin")])
@pytest.mark.parametrize("own_by", ["creator", "resident"])
def test_own_application_approval_refused(status: str, action: str, role: str, own_by: str) -> None:
    """Nobody approves an application they created or that concerns them."""
    actor = (make_actor(role, user_id=APPLICANT_USER) if own_by == "creator"
             else make_actor(role, resident_id=APPLICANT_RESIDENT))
    with pytest.raises(GuardFailed) as info:
        apply(make_app(status), action, actor, GOOD_FACTS)
    assert info.value.code == "own_application"


@pytest.mark.parametrize("action", ["dept_approve", "dept_reject"])
@pytest.mark.parametrize("dept", [99, None])
def test_dept_approver_outside_department_is_not_visible(action: str, dept: int | None) -> None:
    """Another department's application, or one with none, looks absent (404), even in a wrong status."""
    for status in ("dept_review", "draft"):
        with pytest.raises(NotVisible) as info:
            apply(make_app(status, department_id=dept), action, make_actor("DeptApprover"), comment="x")
        assert info.value.http_status == 404 and info.value.code == "application_not_found"


def test_admin_is_not_department_scoped() -> None:
    """Admin approves for any department."""
    out = apply(make_app("dept_review", department_id=99), "dept_approve", make_actor("Admin", depts=frozenset()))
    assert out.to_status == "leader_review"


@pytest.mark.parametrize("action", ["submit", "withdraw"])
def test_employee_on_anothers_application_not_allowed(action: str) -> None:
    """An employee may act only on their own application."""
    with pytest.raises(NotAllowed) as info:
        apply(make_app("draft"), action, make_actor("Employee", user_id=5, resident_id=6), GOOD_FACTS)
    assert info.value.code == "not_own_application" and info.value.http_status == 403


def test_employee_as_resident_may_withdraw() -> None:
    """The resident concerned counts as the applicant even if an officer created it."""
    out = apply(make_app("dept_review"), "withdraw", make_actor("Employee", user_id=5, resident_id=APPLICANT_RESIDENT))
    assert out.to_status == "withdrawn"


@pytest.mark.parametrize(("status", "action"), [("draft", "pass_review"), ("completed", "complete"),
                                                ("archived", "withdraw"), ("at_police", "withdraw")])
def test_wrong_status_is_not_possible(status: str, action: str) -> None:
    """409 names the current status."""
    with pytest.raises(NotPossible) as info:
        apply(make_app(status), action, make_actor("Admin"), GOOD_FACTS, comment="x")
    assert info.value.http_status == 409 and STATUSES[status] in str(info.value)


def test_type_excluded_rows_are_not_possible() -> None:
    """A certificate never enters the police steps; borrow_page never sees the leader."""
    assert transition_for("certificate", "entry", "enter") is None
    assert transition_for("borrow_page", "leader_review", "leader_approve") is None
    with pytest.raises(NotPossible) as info:
        apply(make_app("entry", "certificate"), "enter", make_actor("Admin"))
    assert TYPES["certificate"] in str(info.value)


def test_certificate_leader_approve_completes() -> None:
    """A certificate skips the police steps; completing it issues the numbered certificate (issue 9)."""
    out = apply(make_app("leader_review", "certificate"), "leader_approve", make_actor("Leader"))
    assert (out.to_status, out.effects) == ("completed", ("issue_certificate",))


def test_borrow_page_dept_approve_completes_with_loan() -> None:
    """A page loan needs only the department; completing it opens the loan."""
    out = apply(make_app("dept_review", "borrow_page"), "dept_approve", make_actor("DeptApprover"),
                Facts(resident_status="active"))
    assert out == Outcome("dept_approve", "dept_review", "completed", ("open_loan",), None)


@pytest.mark.parametrize(("app_type", "effects"), [("move_in", ("activate_resident",)),
                                                   ("move_out", ("close_resident",)),
                                                   ("info_change", ("apply_info_change",)), ("id_card", ())])
def test_complete_effects(app_type: str, effects: tuple[str, ...]) -> None:
    """Entering completed yields the type's effect."""
    assert apply(make_app("at_police", app_type), "complete", make_actor("HukouOfficer")).effects == effects


def test_archive_effect() -> None:
    """Archiving asks for an archive record."""
    out = apply(make_app("completed"), "archive", make_actor("HukouOfficer"), GOOD_FACTS)
    assert (out.to_status, out.effects) == ("archived", ("create_archive",))


@pytest.mark.parametrize(("fees", "expected"), [(False, "fees_unsettled"), (True, "completed")])
def test_move_out_complete_needs_fees(fees: bool, expected: str) -> None:
    """A move-out is not completed while fees are unsettled."""
    app, actor = make_app("at_police", "move_out"), make_actor("HukouOfficer")
    try:
        result = apply(app, "complete", actor, Facts(fees_settled=fees)).to_status
    except GuardFailed as exc:
        result = exc.code
    assert result == expected


@pytest.mark.parametrize(("reason", "passes"), [("Talent programme approved by bureau", True), (None, False),
                                               ("   ", False)])
def test_eligibility_override(reason: str | None, passes: bool) -> None:
    """Failed eligibility passes only with a written override reason."""
    facts = Facts(eligibility_failed=("Age ≤ 35",), override_reason=reason)
    try:
        result = apply(make_app(), "pass_review", make_actor("HukouOfficer"), facts).to_status
    except GuardFailed as exc:
        result = exc.code
        assert "Age ≤ 35" in str(exc)
    assert result == ("dept_review" if passes else "eligibility_failed")


@pytest.mark.parametrize(("status", "action"), [("submitted", "request_materials"), ("submitted", "reject"),
                                                ("dept_review", "dept_reject"), ("leader_review", "leader_reject"),
                                                ("at_police", "police_reject")])
@pytest.mark.parametrize("comment", [None, "", "  "])
def test_comment_required(status: str, action: str, comment: str | None) -> None:
    """Rejections and requests need a reason."""
    with pytest.raises(GuardFailed) as info:
        apply(make_app(status), action, make_actor("Admin"), comment=comment)
    assert info.value.code == "comment_required"


def test_comment_is_stripped_into_outcome() -> None:
    """The outcome carries the trimmed comment."""
    out = apply(make_app(), "request_materials", make_actor("HukouOfficer"), comment="  need photo \n")
    assert out == Outcome("request_materials", "submitted", "needs_materials", (), "need photo")


def test_police_return_cycle() -> None:
    """Police rejection sends it back to materials, and the officer re-sends it to the police."""
    officer = make_actor("HukouOfficer")
    out = apply(make_app("at_police"), "police_reject", officer, comment="photo blurred")
    assert out.to_status == "needs_materials"
    back = apply(make_app(out.to_status), "submit_police", officer, Facts(police_returned=True))
    assert back.to_status == "at_police"


@pytest.mark.parametrize(("app", "action", "actor", "error"), [
    (make_app(), "approve_everything", make_actor("Admin"), UnknownAction),
    (make_app("archived"), "pass_review", make_actor("Auditor"), NotAllowed),
    (make_app("archived", department_id=99), "dept_approve", make_actor("DeptApprover"), NotVisible),
    (make_app("archived"), "reject", make_actor("Admin"), NotPossible),
    (make_app("submitted"), "reject", make_actor("Admin"), GuardFailed),
])
def test_order_of_checks(app: AppSnapshot, action: str, actor: Actor, error: type[DomainError]) -> None:
    """Unknown action, then role, then scope, then status, then comment/guards."""
    with pytest.raises(error) as info:
        apply(app, action, actor, Facts(missing_materials=("ID card",)))
    assert type(info.value) is error


@pytest.mark.parametrize(("error", "status"), [(UnknownAction, 400), (NotAllowed, 403), (NotVisible, 404),
                                               (NotPossible, 409), (GuardFailed, 422)])
def test_http_statuses(error: type[DomainError], status: int) -> None:
    """Each error carries the HTTP status the web layer returns."""
    assert error.http_status == status and issubclass(error, DomainError)


def test_reopen_after_a_police_return_goes_back_to_draft() -> None:
    """Changing approved content needs `reopen`: back to a draft, so pre-review and approvals repeat."""
    app = make_app("needs_materials", "info_change")
    officer = make_actor("HukouOfficer")
    out = apply(app, "reopen", officer, Facts(police_returned=True), comment="改名字")
    assert (out.from_status, out.to_status) == ("needs_materials", "draft")
    with pytest.raises(GuardFailed):
        apply(app, "reopen", officer, Facts(police_returned=False), comment="x")
