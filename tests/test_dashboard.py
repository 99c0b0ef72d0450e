"""Home page dashboard: leavers not moved out, scoped per user."""
import datetime as dt

from app import clock

import pytest

from app.domain.idnumber import make_id
from app.extensions import db
from app.models import Resident


@pytest.fixture
def leaver(app, world):
    """A dept_b resident who left 90 days ago and is still active."""
    with app.app_context():
        birth = dt.date(1988, 3, 3)
        r = Resident(name="赵离职", gender="M", birth_date=birth, id_number=make_id("320102", birth, 911),
                     department_id=world["dept_b"], status="active",
                     leave_date=clock.today() - dt.timedelta(days=90))
        db.session.add(r)
        db.session.commit()
        yield r.id
        db.session.delete(db.session.get(Resident, r.id))
        db.session.commit()


def test_officer_sees_leaver(login, leaver):
    body = login("t_officer").get("/").get_data(as_text=True)
    assert "已离职未迁出" in body and "赵离职" in body


def test_other_department_approver_does_not(login, leaver):
    """Leavers are the office's follow-up: an approver's to-do list has no such queue, let alone another
    department's leaver (scope per queue: tests/test_todo_queues.py)."""
    body = login("t_approver_a").get("/").get_data(as_text=True)
    assert "我的待办" in body and "赵离职" not in body and "已离职未迁出" not in body


def test_anonymous_gets_login_prompt(client):
    body = client.get("/").get_data(as_text=True)
    assert "/login/" in body and "已离职未迁出" not in body


def test_resident_page_lists_applications_loans_and_materials(app, login, world):
    """The resident page has tabs for their applications and loans and a materials panel."""
    from app.models import Application, Material

    with app.app_context():
        a = Application(type="certificate", status="draft", resident_id=world["res_b"],
                        department_id=world["dept_b"], reason="页面测试")
        db.session.add(a)
        db.session.flush()
        m = Material(application_id=a.id, material_type_id=1, original_name="户口页测试.pdf",
                     storage_name="x" * 32 + "resident_page", size=1, sha256="0" * 64, kind="pdf")
        db.session.add(m)
        db.session.commit()
        aid, mid = a.id, m.id
    try:
        body = login("t_officer").get(f"/residentview/show/{world['res_b']}").get_data(as_text=True)
        assert "ApplicationView" in body and "PageLoanView" in body  # the related tabs
        assert "页面测试" in body or f"#{aid}" in body
        assert "户口页测试.pdf" in body
        other = login("t_approver_a").get(f"/residentview/show/{world['res_b']}")
        assert other.status_code == 404
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Material, mid))
            db.session.delete(db.session.get(Application, aid))
            db.session.commit()
