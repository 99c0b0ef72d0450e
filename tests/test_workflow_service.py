"""The transition service: every type from draft to archived, effects, guards with their messages, archive numbers."""
from __future__ import annotations

import datetime as dt

from app import clock
import itertools
import json
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.domain.idnumber import make_id
from app.extensions import db
from app.models import (Application, ApplicationHistory, ArchiveRecord, AuditLog, ChecklistItem, EligibilityRule,
                        Fee, Material, PageLoan, Resident, User, UserResident)

_seq = itertools.count(1)

# Who takes each step, per application type (police types, certificate, page loan).
POLICE_PATH = [("submit", "t_officer"), ("pass_review", "t_officer"), ("dept_approve", "t_approver_a"),
               ("leader_approve", "t_leader"), ("enter", "t_officer"), ("complete", "t_officer"),
               ("archive", "t_officer")]
CERT_PATH = [("submit", "t_officer"), ("pass_review", "t_officer"), ("dept_approve", "t_approver_a"),
             ("leader_approve", "t_leader"), ("archive", "t_officer")]
LOAN_PATH = [("submit", "t_officer"), ("pass_review", "t_officer"), ("dept_approve", "t_approver_a"),
             ("archive", "t_officer")]
PATHS = {"move_in": POLICE_PATH, "move_out": POLICE_PATH, "info_change": POLICE_PATH, "id_card": POLICE_PATH,
         "page_reissue": POLICE_PATH, "certificate": CERT_PATH, "borrow_page": LOAN_PATH}
CHANGES = {"marital_status": "20", "occupation": "工程师", "phone": "13912345678"}
ARCHIVE_NO = re.compile(r"^\d{4}-\d{5}$")


# --- helpers shared with test_applications.py and test_workflow_race.py -----------------------------------

def fresh_resident(dept_id: int, status: str = "active", **kw) -> int:
    """A new resident (unique ID number) of a department; returns its id (needs an app context)."""
    n = next(_seq)
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=(uuid.uuid4().int % 9000))
    res = Resident(name=f"流程{n}", gender="M" if (n * 2 + 1) % 2 else "F", birth_date=birth,
                   id_number=make_id("110101", birth, (uuid.uuid4().int % 499) * 2 + 1),
                   department_id=dept_id, status=status, **kw)
    db.session.add(res)
    db.session.commit()
    return res.id


def new_application(app_type: str, resident_id: int, status: str = "draft", created_by: int | None = None,
                    **kw) -> int:
    """An application row in any status (needs an app context)."""
    res = db.session.get(Resident, resident_id)
    item = Application(type=app_type, resident_id=resident_id, department_id=res.department_id, status=status,
                       created_by_id=created_by, **kw)
    db.session.add(item)
    db.session.commit()
    return item.id


def verify_all(app_id: int) -> None:
    """A verified material for every required checklist item of the application's type."""
    item = db.session.get(Application, app_id)
    types = db.session.scalars(select(ChecklistItem.material_type_id).where(
        ChecklistItem.app_type == item.type, ChecklistItem.required.is_(True)))
    for type_id in types:
        db.session.add(Material(application_id=app_id, material_type_id=type_id, original_name="扫描件.pdf",
                                storage_name=uuid.uuid4().hex, size=10, sha256="0" * 64, kind="pdf",
                                verified=True))
    db.session.commit()


def user(username: str) -> User:
    """The FAB user of that name."""
    return db.session.scalar(select(User).where(User.username == username))


def history_count(app_id: int) -> int:
    """Transitions recorded for an application."""
    return db.session.scalar(select(func.count(ApplicationHistory.id)).where(
        ApplicationHistory.application_id == app_id))


def app_row(app_id: int) -> Application:
    """The application freshly read from the database."""
    db.session.expire_all()
    return db.session.get(Application, app_id)


def run(app_id: int, action: str, username: str, **kw):
    """Apply a transition through the service."""
    from app.services import workflow as wf

    from app.security.actor import actor_of
    from app.uow import unit_of_work

    with unit_of_work(actor_of(user(username))) as uow:
        return wf.transition(uow, app_id, action, **kw)


def refusal(app_id: int, action: str, username: str, **kw) -> DomainError:
    """The DomainError a transition raises (fails the test if it succeeds)."""
    with pytest.raises(DomainError) as info:
        run(app_id, action, username, **kw)
    db.session.rollback()
    return info.value


@pytest.fixture
def ctx(app):
    """An app context with a clean session."""
    with app.app_context():
        yield
        db.session.rollback()


# --- every type, draft to archived ------------------------------------------------------------------------

def _prepare(app_type: str, world) -> tuple[int, int]:
    """A resident and a draft suited to the type (a move-in starts from outside the household)."""
    rid = fresh_resident(world["dept_a"], status="moved_out" if app_type == "move_in" else "active")
    extra = {"destination": "上海市浦东新区"} if app_type == "move_out" else {}
    if app_type == "info_change":
        extra["change_json"] = json.dumps(CHANGES)
    aid = new_application(app_type, rid, created_by=world["users"]["t_officer"], reason="流程测试", **extra)
    verify_all(aid)
    return rid, aid


def _check_effects(app_type: str, rid: int, aid: int) -> None:
    """The register after completion matches the type's effect."""
    res = db.session.get(Resident, rid)
    today = clock.today()
    if app_type == "move_in":
        assert (res.status, res.move_in_date) == ("active", today)
    elif app_type == "move_out":
        assert (res.status, res.move_out_date, res.move_out_to) == ("moved_out", today, "上海市浦东新区")
    elif app_type == "info_change":
        assert (res.marital_status, res.occupation, res.phone) == ("20", "工程师", "13912345678")
    elif app_type == "borrow_page":
        loan = db.session.scalar(select(PageLoan).where(PageLoan.application_id == aid))
        assert (loan.resident_id, loan.lent_on, loan.due_on, loan.returned_on) == (
            rid, today, today + dt.timedelta(days=15), None)
    else:
        assert res.status == "active"


@pytest.mark.parametrize("app_type", sorted(PATHS))
def test_each_type_runs_from_draft_to_archived(ctx, world, app_type):
    rid, aid = _prepare(app_type, world)
    statuses = []
    for action, username in PATHS[app_type]:
        kw = {"archive_location": "A柜-3层"} if action == "archive" else {}
        done = run(aid, action, username, **kw)
        statuses.append(done.to_status)
    assert statuses[-2:] == ["completed", "archived"]
    row = app_row(aid)
    assert (row.status, row.version) == ("archived", 1 + len(PATHS[app_type]))
    assert row.submitted_at is not None and row.completed_at is not None
    assert history_count(aid) == len(PATHS[app_type])
    record = db.session.scalar(select(ArchiveRecord).where(ArchiveRecord.application_id == aid))
    assert ARCHIVE_NO.match(record.archive_no) and record.location == "A柜-3层"
    assert record.archive_no == f"{record.year}-{record.seq:05d}" and done.archive_no == record.archive_no
    audits = db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "transition", AuditLog.object_id == str(aid)))
    assert audits == len(PATHS[app_type])
    _check_effects(app_type, rid, aid)


def test_history_records_who_from_to_and_comment(ctx, world):
    _rid, aid = _prepare("certificate", world)
    run(aid, "submit", "t_officer")
    run(aid, "request_materials", "t_officer", comment="  请补充身份证复印件  ")
    rows = db.session.scalars(select(ApplicationHistory).where(ApplicationHistory.application_id == aid)
                              .order_by(ApplicationHistory.id)).all()
    assert [(h.action, h.from_status, h.to_status, h.username) for h in rows] == [
        ("submit", "draft", "submitted", "t_officer"),
        ("request_materials", "submitted", "needs_materials", "t_officer")]
    assert rows[1].comment == "请补充身份证复印件" and rows[1].user_id == world["users"]["t_officer"]


def test_police_return_then_resend(ctx, world):
    _rid, aid = _prepare("id_card", world)
    for action, username in POLICE_PATH[:5]:
        run(aid, action, username)
    run(aid, "police_reject", "t_officer", comment="照片不合格")
    assert app_row(aid).police_returned is True
    assert refusal(aid, "submit", "t_officer").code == "police_returned"
    assert run(aid, "submit_police", "t_officer").to_status == "at_police"
    assert app_row(aid).police_returned is False


# --- guards and refusals ----------------------------------------------------------------------------------

def test_pass_review_lists_missing_materials(ctx, world):
    rid = fresh_resident(world["dept_a"])
    aid = new_application("move_out", rid, status="submitted")
    err = refusal(aid, "pass_review", "t_officer")
    assert (err.code, err.http_status) == ("materials_missing", 422)
    assert {"居民身份证", "离职证明", "迁入地准迁证"} <= set(err.messages[0].params["items"])
    assert app_row(aid).status == "submitted" and history_count(aid) == 0


@pytest.mark.parametrize("action,status", [("reject", "submitted"), ("request_materials", "submitted"),
                                           ("police_reject", "at_police"), ("leader_reject", "leader_review")])
def test_rejects_need_a_reason(ctx, world, action, status):
    aid = new_application("move_in", fresh_resident(world["dept_a"]), status=status)
    username = "t_leader" if action == "leader_reject" else "t_officer"
    err = refusal(aid, action, username, comment="   ")
    assert (err.code, err.http_status) == ("comment_required", 422)
    assert run(aid, action, username, comment="理由").to_status in ("rejected", "needs_materials")


def test_dept_reject_needs_a_reason(ctx, world):
    aid = new_application("move_in", fresh_resident(world["dept_a"]), status="dept_review")
    assert refusal(aid, "dept_reject", "t_approver_a").code == "comment_required"
    assert run(aid, "dept_reject", "t_approver_a", comment="不符合").to_status == "rejected"


def test_nobody_passes_their_own_application(app, ctx, world):
    rid = fresh_resident(world["dept_a"])
    sm = app.appbuilder.sm
    name = f"wf_officer_{uuid.uuid4().hex[:6]}"
    officer = sm.add_user(name, "户籍", "员", f"{name}@example.test", sm.find_role("HukouOfficer"),
                          password="x-Pass-12345")
    db.session.add(UserResident(user_id=officer.id, resident_id=rid))
    db.session.commit()
    aid = new_application("certificate", rid, status="submitted", created_by=officer.id)
    verify_all(aid)
    err = refusal(aid, "pass_review", name)
    assert (err.code, err.http_status) == ("own_application", 422)
    assert run(aid, "pass_review", "t_officer").to_status == "dept_review"


def test_office_entered_application_can_be_reviewed_by_its_clerk(ctx, world):
    _rid, aid = _prepare("certificate", world)
    run(aid, "submit", "t_officer")
    assert run(aid, "pass_review", "t_officer").to_status == "dept_review"


def test_employee_application_is_own_for_the_employee(ctx, world):
    aid = new_application("certificate", world["res_a"], created_by=world["users"]["t_employee_a"])
    assert run(aid, "submit", "t_employee_a").to_status == "submitted"
    assert refusal(aid, "pass_review", "t_employee_a").http_status == 403
    assert run(aid, "withdraw", "t_employee_a").to_status == "withdrawn"


@pytest.mark.parametrize("username,code,status", [("t_approver_b", "application_not_found", 404),
                                                  ("t_employee_b", "application_not_found", 404),
                                                  ("t_leader", "action_not_allowed", 403),
                                                  ("t_auditor", "action_not_allowed", 403)])
def test_dept_approve_by_the_wrong_user(ctx, world, username, code, status):
    aid = new_application("move_in", fresh_resident(world["dept_a"]), status="dept_review")
    err = refusal(aid, "dept_approve", username)
    assert (err.code, err.http_status) == (code, status)


def test_move_out_completes_only_when_fees_are_settled(ctx, world):
    rid = fresh_resident(world["dept_a"])
    aid = new_application("move_out", rid, status="at_police", destination="杭州")
    fee = Fee(resident_id=rid, kind="affiliation", amount=Decimal("300.00"), status="unpaid")
    db.session.add(fee)
    db.session.commit()
    assert refusal(aid, "complete", "t_officer").code == "fees_unsettled"
    assert db.session.get(Resident, rid).status == "active"
    fee.status = "paid"
    db.session.commit()
    assert run(aid, "complete", "t_officer").to_status == "completed"
    assert db.session.get(Resident, rid).status == "moved_out"


def test_borrow_page_only_for_active_resident_without_a_loan(ctx, world):
    gone = fresh_resident(world["dept_a"], status="moved_out")
    assert refusal(new_application("borrow_page", gone), "submit", "t_officer").code == "resident_not_active"
    rid = fresh_resident(world["dept_a"])
    db.session.add(PageLoan(resident_id=rid, lent_on=clock.today(), due_on=clock.today()))
    db.session.commit()
    assert refusal(new_application("borrow_page", rid), "submit", "t_officer").code == "page_already_lent"
    pending = new_application("borrow_page", fresh_resident(world["dept_a"]), status="dept_review")
    other = db.session.get(Application, pending)
    db.session.add(PageLoan(resident_id=other.resident_id, lent_on=clock.today(), due_on=clock.today()))
    db.session.commit()
    assert refusal(pending, "dept_approve", "t_approver_a").code == "page_already_lent"


def test_eligibility_failure_needs_an_override_reason(ctx, world):
    pathway = f"测试通道{uuid.uuid4().hex[:6]}"
    db.session.add(EligibilityRule(name="测试：年龄不超过18", city="", pathway=pathway, app_types="move_in",
                                   condition="age_lte", threshold="18", source="test"))
    db.session.commit()
    rid = fresh_resident(world["dept_a"])
    aid = new_application("move_in", rid, status="submitted", pathway=pathway)
    verify_all(aid)
    err = refusal(aid, "pass_review", "t_officer")
    assert err.code == "eligibility_failed" and "测试：年龄不超过18" in err.messages[0].params["items"]
    assert app_row(aid).eligibility_json is None  # the refused attempt stored nothing
    run(aid, "pass_review", "t_officer", override_reason="人才特批，见会议纪要")
    row = app_row(aid)
    assert row.override_reason == "人才特批，见会议纪要"
    assert json.loads(row.eligibility_json)["passed"] is False


def test_eligibility_results_are_stored_when_passing(ctx, world):
    aid = new_application("certificate", fresh_resident(world["dept_a"]), status="submitted")
    verify_all(aid)
    run(aid, "pass_review", "t_officer", override_reason="不需要")
    row = app_row(aid)
    assert json.loads(row.eligibility_json)["passed"] is True and row.override_reason is None


@pytest.mark.parametrize("location", [None, "", "   "])
def test_archive_needs_a_location(ctx, world, location):
    aid = new_application("certificate", fresh_resident(world["dept_a"]), status="completed")
    err = refusal(aid, "archive", "t_officer", archive_location=location)
    assert err.code == "archive_location_required"
    assert db.session.scalar(select(ArchiveRecord).where(ArchiveRecord.application_id == aid)) is None


@pytest.mark.parametrize("action,status,code,http", [
    ("complete", "draft", "action_not_possible", 409), ("archive", "submitted", "action_not_possible", 409),
    ("enter", "leader_review", "action_not_possible", 409), ("fly", "draft", "unknown_action", 400),
    ("submit_police", "needs_materials", "not_police_returned", 422)])
def test_engine_refusals_pass_through(ctx, world, action, status, code, http):
    aid = new_application("move_in", fresh_resident(world["dept_a"]), status=status)
    err = refusal(aid, action, "t_officer")
    assert (err.code, err.http_status) == (code, http)
    assert app_row(aid).version == 1


def test_invisible_application_is_not_found(ctx, world):
    err = refusal(10 ** 8, "submit", "t_officer")
    assert (err.code, err.http_status) == ("application_not_found", 404)


@pytest.mark.parametrize("changes,code", [("not json", "info_change_invalid"), ('{"id_number": "1"}',
                                          "info_change_field"), ('{"marital_status": "99"}', "info_change_code"),
                                          ("{}", "info_change_empty"), ('{"name": ""}', "info_change_required")])
def test_info_change_is_checked_at_submit(ctx, world, changes, code):
    aid = new_application("info_change", fresh_resident(world["dept_a"]), change_json=changes)
    assert refusal(aid, "submit", "t_officer").code == code
    assert app_row(aid).status == "draft"


@pytest.mark.parametrize("field,limit", [("comment", 1000), ("override_reason", 500), ("archive_location", 100)])
def test_overlong_texts_are_refused_before_writing(ctx, world, field, limit):
    aid = new_application("certificate", fresh_resident(world["dept_a"]), status="submitted")
    err = refusal(aid, "request_materials", "t_officer", **{field: "长" * (limit + 1)})
    assert err.code == "field_too_long" and err.messages[0].params["max"] == limit


def test_a_stale_version_is_a_conflict(ctx, world):
    from app.domain.workflow import Outcome
    from app.services import workflow as wf

    aid = new_application("certificate", fresh_resident(world["dept_a"]), status="submitted")
    stale = db.session.get(Application, aid)
    db.session.execute(Application.__table__.update().where(Application.id == aid).values(version=5))
    outcome = Outcome("request_materials", "submitted", "needs_materials", (), "x")
    with pytest.raises(DomainError) as info:
        from app.security.actor import cli_actor
        from app.uow import UnitOfWork

        wf._claim(UnitOfWork(db.session, cli_actor()), stale, outcome, {"status": "needs_materials"})
    assert (info.value.code, info.value.http_status) == ("changed_concurrently", 409)


def test_failed_effect_rolls_everything_back(ctx, world):
    rid = fresh_resident(world["dept_a"])
    aid = new_application("info_change", rid, status="at_police", change_json='{"education": "zz"}')
    assert refusal(aid, "complete", "t_officer").code == "info_change_code"
    row = app_row(aid)
    assert (row.status, row.version, row.completed_at) == ("at_police", 1, None)
    assert history_count(aid) == 0


def test_archive_numbers_are_consecutive_and_never_reused(ctx, world):
    ids = [new_application("certificate", fresh_resident(world["dept_a"]), status="completed") for _ in range(3)]
    numbers = [run(aid, "archive", "t_officer", archive_location="B柜").archive_no for aid in ids]
    seqs = [int(n.split("-")[1]) for n in numbers]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    db.session.delete(db.session.scalar(select(ArchiveRecord).where(ArchiveRecord.archive_no == numbers[-1])))
    db.session.commit()
    later = new_application("certificate", fresh_resident(world["dept_a"]), status="completed")
    assert int(run(later, "archive", "t_officer", archive_location="B柜").archive_no.split("-")[1]) == seqs[-1] + 1
