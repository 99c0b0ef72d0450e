"""workflow.possible(): what the application page offers, and why a shown step is blocked (no Flask, no database)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from app.domain.errors import DomainError
from app.domain.workflow import STATUSES, TYPES, Actor, AppSnapshot, Facts, apply, possible
from app.domain.workflow_table import NEXT_ACTOR, OPEN_STATUSES, steps_of

APPLICANT_USER, APPLICANT_RESIDENT, DEPT, OFFICER = 100, 200, 7, 1
ROLES = ("Admin", "HukouOfficer", "DeptApprover", "Leader", "HR", "Finance", "Auditor", "Employee")
OFFICE_ONLY = {"request_materials", "pass_review", "reject", "enter", "police_reject", "submit_police", "complete",
               "archive", "dept_approve", "dept_reject", "leader_approve", "leader_reject"}
GOOD = Facts(resident_status="active")


def make_app(status: str = "submitted", app_type: str = "move_in", **kw) -> AppSnapshot:
    """The applicant's application in department DEPT, typed in by the applicant."""
    base = AppSnapshot(id=42, type=app_type, status=status, department_id=DEPT, resident_id=APPLICANT_RESIDENT,
                       created_by_id=APPLICANT_USER, version=3, filed_by_id=APPLICANT_USER)
    return replace(base, **kw)


def actor(*roles: str, user_id: int = OFFICER, resident_id: int | None = None) -> Actor:
    """An actor in department DEPT."""
    return Actor(user_id=user_id, roles=frozenset(roles), department_ids=frozenset({DEPT}), resident_id=resident_id)


def offered(app: AppSnapshot, who: Actor, facts: Facts = GOOD) -> dict[str, str | None]:
    """action → blocking code (None when it can succeed)."""
    return {o.action: (o.blocked.code if o.blocked else None) for o in possible(app, who, facts)}


EMPLOYEE = actor("Employee", user_id=APPLICANT_USER, resident_id=APPLICANT_RESIDENT)


@pytest.mark.parametrize("status", sorted(STATUSES))
@pytest.mark.parametrize("returned", [False, True])
def test_employee_is_never_offered_office_steps(status: str, returned: bool) -> None:
    """The employee's own application never offers 办结 / 部门审批通过 / 领导审批通过 / 初审通过."""
    facts = replace(GOOD, police_returned=returned)
    assert not set(offered(make_app(status), EMPLOYEE, facts)) & OFFICE_ONLY


def test_employee_draft_offers_submit_and_withdraw() -> None:
    """A draft of one's own: 提交 and 撤回."""
    assert offered(make_app("draft"), EMPLOYEE) == {"submit": None, "withdraw": None}


def test_after_police_return_only_resend_not_submit() -> None:
    """After the police returned it, 提交 is not offered; 补正后重新报送派出所 is, blocked while items are missing."""
    app = make_app("needs_materials")
    facts = replace(GOOD, police_returned=True, missing_materials=("居民身份证",))
    options = offered(app, actor("HukouOfficer"), facts)
    assert "submit" not in options and options["submit_police"] == "materials_missing"
    assert offered(app, actor("HukouOfficer"), replace(facts, missing_materials=()))["submit_police"] is None
    assert "submit" in offered(app, EMPLOYEE, replace(GOOD, police_returned=False))


def test_officer_withdraws_only_what_they_filed() -> None:
    """撤回 belongs to the applicant or the filer; on anyone else's application the officer uses 驳回."""
    app = make_app("submitted")
    assert "withdraw" not in offered(app, actor("HukouOfficer")) and "reject" in offered(app, actor("HukouOfficer"))
    filed = replace(app, created_by_id=None, filed_by_id=OFFICER)
    assert offered(filed, actor("HukouOfficer"))["withdraw"] is None
    with pytest.raises(DomainError) as info:
        apply(app, "withdraw", actor("HukouOfficer"))
    assert info.value.code == "not_applicant"


def test_blocked_steps_carry_the_guard_reason() -> None:
    """初审通过 with a missing item is shown with the reason; eligibility is asked for, not a block."""
    facts = replace(GOOD, missing_materials=("劳动合同",), eligibility_failed=("年龄",))
    options = possible(make_app("submitted"), actor("HukouOfficer"), facts)
    review = next(o for o in options if o.action == "pass_review")
    assert review.blocked.code == "materials_missing" and "劳动合同" in review.blocked.params["materials"]
    clean = next(o for o in possible(make_app("submitted"), actor("HukouOfficer"),
                                     replace(facts, missing_materials=())) if o.action == "pass_review")
    assert clean.blocked is None and clean.asks == ("eligibility",)


def test_own_application_is_blocked_for_the_approver() -> None:
    """An approver sees their own application's approval disabled with 「不能审批本人的申请」."""
    app = make_app("dept_review", created_by_id=5, filed_by_id=5)
    assert offered(app, actor("DeptApprover", user_id=5))["dept_approve"] == "own_application"
    assert offered(app, actor("DeptApprover", user_id=6))["dept_approve"] is None


def test_approver_of_another_department_gets_nothing() -> None:
    """Scope hides the buttons instead of showing them blocked."""
    other = Actor(user_id=6, roles=frozenset({"DeptApprover"}), department_ids=frozenset({99}))
    assert offered(make_app("dept_review"), other) == {}


def test_archive_and_comments_are_asked_for() -> None:
    """归档 asks for the cabinet location; 驳回 needs a comment."""
    options = {o.action: o for o in possible(make_app("completed"), actor("HukouOfficer"))}
    assert options["archive"].asks == ("archive_location",) and options["archive"].blocked is None
    submitted = {o.action: o for o in possible(make_app("submitted"), actor("HukouOfficer"))}
    assert submitted["reject"].comment_required and not submitted["pass_review"].comment_required


@pytest.mark.parametrize("app_type", sorted(TYPES))
@pytest.mark.parametrize("status", sorted(STATUSES))
@pytest.mark.parametrize("role", ROLES)
def test_whatever_is_offered_unblocked_succeeds(app_type: str, status: str, role: str) -> None:
    """Every unblocked option, given what its form asks for, is accepted by apply() (and every blocked one refused)."""
    for returned in (False, True):
        app, facts = make_app(status, app_type), replace(GOOD, police_returned=returned)
        who = EMPLOYEE if role == "Employee" else actor(role)
        for option in possible(app, who, facts):
            filled = replace(facts, override_reason="特批", archive_location="3号柜")
            if option.blocked is None:
                assert apply(app, option.action, who, filled, comment="理由").action == option.action
            else:
                with pytest.raises(DomainError):
                    apply(app, option.action, who, filled, comment="理由")


@pytest.mark.parametrize("app_type", sorted(TYPES))
def test_step_bar_follows_the_type(app_type: str) -> None:
    """Each type's steps are those its rows have: a loan stops at the department, a certificate at the leader."""
    codes = [code for code, _label, _done in steps_of(app_type)]
    assert codes[0] == "submit" and codes[-2:] == ["completed", "archived"]
    if app_type == "borrow_page":
        assert "leader" not in codes and "entry" not in codes
    elif app_type == "certificate":
        assert "leader" in codes and "entry" not in codes and "police" not in codes
    else:
        assert codes == ["submit", "review", "dept", "leader", "entry", "police", "completed", "archived"]


def test_every_open_status_names_who_acts_next() -> None:
    """The summary card can always say who is next while the application is open."""
    assert set(NEXT_ACTOR) >= set(OPEN_STATUSES)
