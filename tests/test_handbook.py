"""The office handbook (issue 9): generated from the workflow table and the checklists; officers edit tips."""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.desk.limits import stage_limit
from app.domain.workflow_table import ACTIONS, TABLE, TYPES, applies_to
from app.extensions import db
from app.handbook import service
from app.models import AuditLog, ChecklistItem
from app.models.unit import HandbookTip


def chapters(html: str) -> dict[str, str]:
    """The HTML of each type's chapter, by type code."""
    parts = re.split(r'<div class="hk-sheet hk-handbook-chapter" id="type-(\w+)"', html)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def zh(msgid: str) -> str:
    """The Chinese text of a msgid."""
    with force_locale("zh"):
        return gettext(msgid)


@pytest.fixture
def no_tips(app):
    """Remove the tips the test wrote."""
    yield
    with app.app_context():
        db.session.query(HandbookTip).delete()
        db.session.commit()


def test_steps_come_from_the_workflow_table(app):
    with app.app_context():
        for app_type in TYPES:
            steps = service.steps_for(app_type)
            rows = [row for row in TABLE if applies_to(row, app_type)]
            assert sorted(s.action for s in steps) == sorted(r.action for r in rows), app_type
        cert = {s.action: s for s in service.steps_for("certificate")}
        assert "enter" not in cert and cert["leader_approve"].target == "completed"
        loan = {s.action: s for s in service.steps_for("borrow_page")}
        assert "leader_approve" not in loan and loan["dept_approve"].target == "completed"
        review = next(s for s in service.steps_for("move_in") if s.action == "pass_review")
        assert review.roles[0] == "HukouOfficer" and "materials_complete" in review.guards
        assert (review.limit_days, review.limit_work) == (stage_limit("submitted")[0], True)


def test_handbook_lists_each_types_steps_and_materials(app, login):
    html = login("t_officer").get("/handbook/").get_data(as_text=True)
    found = chapters(html)
    assert set(found) == set(TYPES)
    with app.app_context():
        for app_type, part in found.items():
            assert zh(TYPES[app_type]) in part
            for row in TABLE:
                if applies_to(row, app_type):
                    assert zh(ACTIONS[row.action]) in part, (app_type, row.action)
            names = db.session.scalars(select(ChecklistItem).where(ChecklistItem.app_type == app_type)).all()
            materials = part.split("hk-handbook-materials")[1]
            for item in names:
                assert item.material_type.name in materials, (app_type, item.material_type.name)
        assert zh("Hukou officer") in found["move_in"] and zh("Leader") in found["move_in"]
        assert zh(ACTIONS["enter"]) not in found["certificate"]
        assert zh(service.VALIDITY["migration_cert"]) in found["move_in"].split("hk-handbook-materials")[1]
    assert "个工作日" in found["move_in"]


def test_one_chapter_and_unknown_type(login):
    c = login("t_approver_a")
    r = c.get("/handbook/move_out")
    assert r.status_code == 200 and set(chapters(r.get_data(as_text=True))) == {"move_out"}
    assert 'name="tips"' not in r.get_data(as_text=True)  # approvers read, officers edit
    assert c.get("/handbook/nonsense").status_code == 404


@pytest.mark.parametrize("user,status", [("t_officer", 200), ("t_leader", 200), ("t_auditor", 200),
                                         ("t_employee_a", 403), ("t_finance", 403)])
def test_who_reads_the_handbook(login, user, status):
    r = login(user).get("/handbook/")
    assert (200 if r.status_code == 200 else 403) == status


def test_officer_edits_tips_audited_and_others_cannot(app, login, no_tips):
    c = login("t_officer")
    page = c.get("/handbook/move_in").get_data(as_text=True)
    assert 'name="tips"' in page
    with app.app_context():
        before = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.object_type == "HandbookTip"))
    r = c.post("/handbook/move_in/tips", data={"tips": "  先核对准迁证有效期\n再收身份证复印件 ", "csrf_token": c.csrf})
    assert r.status_code == 302
    html = c.get("/handbook/move_in").get_data(as_text=True)
    assert "先核对准迁证有效期\n再收身份证复印件" in html
    assert "先核对准迁证有效期" in chapters(login("t_leader").get("/handbook/").get_data(as_text=True))["move_in"]
    with app.app_context():
        after = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.object_type == "HandbookTip"))
        assert after == before + 1
    leader = login("t_leader")
    r = leader.post("/handbook/move_in/tips", data={"tips": "领导改的", "csrf_token": leader.csrf})
    assert r.status_code in (302, 403)
    with app.app_context():
        tip = db.session.scalar(select(HandbookTip).where(HandbookTip.app_type == "move_in"))
        assert tip.tips == "先核对准迁证有效期\n再收身份证复印件"


def test_too_long_tips_are_refused_in_chinese(app, login, no_tips):
    c = login("t_officer")
    r = c.post("/handbook/id_card/tips", data={"tips": "长" * 4001, "csrf_token": c.csrf}, follow_redirects=True)
    assert "最多 4000 个字符" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(HandbookTip).where(HandbookTip.app_type == "id_card")) is None
