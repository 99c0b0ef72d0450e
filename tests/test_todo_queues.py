"""Each role's to-do list on the test world: the right queues, row scope, own turn, no drafts, oldest first."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import delete

from app.desk.todo import todo_for, todo_summary
from app.domain.idnumber import make_id
from app.extensions import db
from app.models import Application, ApplicationHistory, Fee, Material, PageLoan, Resident
from app.security.actor import actor_of
from tests.world import USERS

TODAY = dt.date(2026, 12, 1)
SINCE = dt.datetime(2026, 9, 30, 2, 0)  # 10:00 in Beijing: due 3 working days later is 2026-10-10
STATUSES = ("draft", "submitted", "needs_materials", "dept_review", "leader_review", "entry", "at_police",
            "completed")


def _resident(dept_id: int, name: str, seq: int, **extra) -> Resident:
    """A resident of a department with a fresh ID number."""
    birth = dt.date(1975, 1, 1) + dt.timedelta(days=seq // 10)
    return Resident(name=name, gender="F", birth_date=birth, id_number=make_id("110108", birth, 600 + seq % 10),
                    department_id=dept_id, status="active", **extra)


def _app(resident_id: int, dept_id: int, status: str, created_by=None, app_type="certificate", at=SINCE):
    """An application that entered `status` at `at` (one history row)."""
    a = Application(type=app_type if status not in ("entry", "at_police") else "move_in", status=status,
                    resident_id=resident_id, department_id=dept_id, created_by_id=created_by, reason="待办测试")
    db.session.add(a)
    db.session.flush()
    if status != "draft":
        db.session.add(ApplicationHistory(application_id=a.id, action="test", from_status="draft",
                                          to_status=status, at=at))
    return a.id


@pytest.fixture(scope="module")
def scene(app):
    """Applications of dept A and B in every status, and the office's other follow-ups; removed afterwards."""
    w = app.config["WORLD"]
    users = w["users"]
    ids: dict = {}
    with app.app_context():
        seq = (uuid.uuid4().int % 5000) * 10
        leaver = _resident(w["dept_b"], "待办离职", seq, leave_date=TODAY - dt.timedelta(days=60))
        borrower = _resident(w["dept_a"], "待办借页", seq + 1)
        mover = _resident(w["dept_b"], "待办迁出", seq + 2)
        db.session.add_all([leaver, borrower, mover])
        db.session.flush()
        for dept in ("dept_a", "dept_b"):
            res = w["res_a2"] if dept == "dept_a" else w["res_b"]
            for status in STATUSES:
                if status != "needs_materials":
                    ids[(dept, status)] = _app(res, w[dept], status)
        ids["own_a"] = _app(w["res_a"], w["dept_a"], "needs_materials", created_by=users["t_employee_a"])
        ids["own_b"] = _app(w["res_b"], w["dept_b"], "needs_materials", created_by=users["t_employee_b"])
        ids["own_draft"] = _app(w["res_a"], w["dept_a"], "draft", created_by=users["t_employee_a"])
        ids["approver_own"] = _app(w["res_a2"], w["dept_a"], "dept_review", created_by=users["t_approver_a"])
        ids["fresh"] = _app(w["res_a2"], w["dept_a"], "submitted", at=dt.datetime(2026, 11, 30, 2, 0))
        ids["move_out"] = _app(mover.id, w["dept_b"], "leader_review", app_type="move_out")
        material = Material(application_id=ids[("dept_a", "submitted")], material_type_id=1,
                            original_name="待办材料.pdf", storage_name=uuid.uuid4().hex, size=1, sha256="0" * 64,
                            kind="pdf", uploaded_at=dt.datetime(2026, 10, 9, 1, 0))
        loan = PageLoan(resident_id=borrower.id, lent_on=dt.date(2026, 10, 1), due_on=dt.date(2026, 10, 16))
        fee = Fee(resident_id=mover.id, kind="deposit", amount=Decimal("100"), due_on=dt.date(2026, 12, 20))
        db.session.add_all([material, loan, fee])
        db.session.commit()
        ids.update(leaver=leaver.id, material=material.id, loan=loan.id, fee=fee.id)
        residents = [leaver.id, borrower.id, mover.id]
    yield ids
    with app.app_context():
        app_ids = [v for k, v in ids.items() if k not in ("leaver", "material", "loan", "fee")]
        db.session.execute(delete(Fee).where(Fee.id == ids["fee"]))
        db.session.execute(delete(PageLoan).where(PageLoan.id == ids["loan"]))
        db.session.execute(delete(Material).where(Material.id == ids["material"]))
        db.session.execute(delete(ApplicationHistory).where(ApplicationHistory.application_id.in_(app_ids)))
        db.session.execute(delete(Application).where(Application.id.in_(app_ids)))
        db.session.execute(delete(Resident).where(Resident.id.in_(residents)))
        db.session.commit()


def _mine(app, username: str, scene: dict, today=TODAY) -> dict:
    """The scene's items in the user's list: name in the scene → Item."""
    names = {("application", v): k for k, v in scene.items() if k not in ("leaver", "material", "loan", "fee")}
    names.update({("leaver", scene["leaver"]): "leaver", ("material", scene["material"]): "material",
                  ("loan", scene["loan"]): "loan", ("fee", scene["fee"]): "fee"})
    with app.app_context():
        actor = actor_of(app.appbuilder.sm.find_user(username=username))
        items = todo_for(actor, today, per_queue=10_000)
    return {names[(i.kind, i.id)]: i for i in items if (i.kind, i.id) in names}


OFFICE = {(d, s) for d in ("dept_a", "dept_b") for s in ("submitted", "entry", "at_police", "completed")} | {
    "fresh", "leaver", "material", "loan"}
EXPECTED = {
    "t_officer": OFFICE,
    "t_admin": OFFICE | {(d, s) for d in ("dept_a", "dept_b") for s in ("dept_review", "leader_review")}
    | {"approver_own", "move_out", "fee"},
    "t_approver_a": {("dept_a", "dept_review")},  # not dept B's, not the one they created themselves
    "t_approver_b": {("dept_b", "dept_review")},
    "t_leader": {("dept_a", "leader_review"), ("dept_b", "leader_review"), "move_out"},
    "t_finance": {"fee"},
    "t_employee_a": {"own_a"},  # their own 补正, not their draft, not B's
    "t_employee_b": {"own_b"},
    "t_hr": set(),
    "t_auditor": set(),
}


@pytest.mark.parametrize("username", sorted(USERS))
def test_each_role_gets_its_own_queue(app, scene, username):
    assert set(_mine(app, username, scene)) == EXPECTED[username]


def test_nobody_has_a_draft_in_the_queue(app, scene):
    for username in USERS:
        assert not {"own_draft", ("dept_a", "draft"), ("dept_b", "draft")} & set(_mine(app, username, scene))


def test_items_carry_the_workflow_actions_of_the_actor(app, scene):
    officer = _mine(app, "t_officer", scene)
    assert {"pass_review", "request_materials"} <= set(officer[("dept_a", "submitted")].actions)
    assert "archive" in officer[("dept_a", "completed")].actions
    approver = _mine(app, "t_approver_a", scene)
    assert set(approver[("dept_a", "dept_review")].actions) >= {"dept_approve", "dept_reject"}
    employee = _mine(app, "t_employee_a", scene)
    assert "submit" in employee["own_a"].actions


@pytest.mark.parametrize("today, overdue", [(dt.date(2026, 10, 10), False), (dt.date(2026, 10, 11), True)])
def test_due_counts_working_days_and_overdue_follows(app, scene, today, overdue):
    item = _mine(app, "t_officer", scene, today)[("dept_b", "submitted")]
    assert item.since == dt.date(2026, 9, 30) and item.due == dt.date(2026, 10, 10)  # National Day + 调休
    assert item.overdue is overdue


def test_office_follow_ups_have_their_own_limits(app, scene):
    mine = _mine(app, "t_officer", scene)
    assert mine["loan"].due == dt.date(2026, 10, 16) and mine["loan"].overdue
    assert mine["leaver"].due == TODAY - dt.timedelta(days=30) and mine["leaver"].overdue
    # 3 working days after Friday 9 October: Saturday 10 (调休上班), Monday 12, Tuesday 13
    assert mine["material"].since == dt.date(2026, 10, 9) and mine["material"].due == dt.date(2026, 10, 13)
    assert mine["fresh"].overdue is False


def test_oldest_first(app, scene):
    with app.app_context():
        actor = actor_of(app.appbuilder.sm.find_user(username="t_officer"))
        items = todo_for(actor, TODAY, per_queue=10_000)
    assert [i.since for i in items] == sorted(i.since for i in items)


def test_counts_are_full_while_items_are_bounded(app, scene):
    with app.app_context():
        actor = actor_of(app.appbuilder.sm.find_user(username="t_officer"))
        todo = todo_summary(actor, TODAY, per_queue=1)
    counts = {(q.kind, q.status): q.count for q in todo.queues}
    assert counts[("application", "submitted")] >= 3  # A, B and the fresh one
    per_queue = {}
    for item in todo.items:
        per_queue[item.queue] = per_queue.get(item.queue, 0) + 1
    assert max(per_queue.values()) == 1 and todo.count == sum(counts.values())
