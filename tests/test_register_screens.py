"""Register screens (issue 9): the grouped resident form, 待迁入 until the move-in completes, 「为其办理业务」,
「标记为迁出中」 with its leave date, and the dashboard block of people moving out."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.domain.actor import Actor
from app.domain.idnumber import check
from app.extensions import db
from app.models import Application, AuditLog, Resident
from app.services import register as reg
from tests.test_permissions import new_id, new_resident, resident_row, scoped_writer  # noqa: F401


def _add_form(c, world, **extra) -> dict:
    """A valid add form: only name, ID number and department typed (gender and birth date left empty)."""
    return {"name": "新来人", "id_number": new_id(), "department": str(world["dept_a"]), "csrf_token": c.csrf,
            **extra}


def test_add_form_is_grouped_with_one_date_widget_and_derived_fields(login):
    html = login("t_officer").get("/residentview/add").get_data(as_text=True)
    for group in ("基本信息", "户籍信息", "单位信息"):
        assert group in html
    # every date field of the form uses FAB's datepicker (birth, move-in, hire, leave)
    for field in ("birth_date", "move_in_date", "hire_date", "leave_date"):
        assert re.search(r'data-provide="datepicker"[^>]*>\s*<span[^>]*>.*?</span>\s*<input[^>]*id="%s"' % field,
                         html, re.S), field
    assert "hukou_resident.js" in html
    gender = re.search(r'<select[^>]*id="gender".*?</select>', html, re.S).group(0)
    assert '<option value=""></option>' in gender and "selected" not in gender  # empty until typed
    assert "根据公民身份号码自动填写" in html


def test_new_resident_is_pending_in_and_opens_with_start_application(app, login, world):
    c = login("t_officer")
    form = _add_form(c, world)
    r = c.post("/residentview/add", data=form)
    assert r.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(Resident).where(Resident.id_number == form["id_number"]))
        expected = check(form["id_number"])
        assert row.status == "pending_in"
        assert (row.birth_date, row.gender) == (expected.birth_date, expected.gender)  # derived on the server
    assert r.headers["Location"].endswith(f"/residentview/show/{row.id}")
    page = c.get(f"/residentview/show/{row.id}").get_data(as_text=True)
    assert "为其办理业务" in page and "待迁入" in page
    assert f"/applicationview/add?resident={row.id}&amp;type=move_in" in page
    assert "基本信息" in page and "户籍信息" in page  # the show page has the same groups


def test_start_application_offers_types_that_fit_an_active_resident(login, world):
    page = login("t_officer").get(f"/residentview/show/{world['res_a']}").get_data(as_text=True)
    assert "为其办理业务" in page
    assert f"resident={world['res_a']}&amp;type=borrow_page" in page
    assert f"resident={world['res_a']}&amp;type=move_in" not in page  # already in the household


def test_start_application_is_not_offered_without_write(login, world):
    assert "为其办理业务" not in login("t_auditor").get(f"/residentview/show/{world['res_a']}").get_data(as_text=True)


def test_department_is_required(app, login, world):
    c = login("t_officer")
    form = _add_form(c, world, department="")
    r = c.post("/residentview/add", data=form)
    assert r.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Resident.id).where(Resident.id_number == form["id_number"])) is None


def test_status_check_knows_pending_in_only(app, world):
    with app.app_context():
        number = new_id()
        row = Resident(name="约束", id_number=number, gender="M", birth_date=check(number).birth_date,
                       department_id=world["dept_a"], status="pending_in")
        db.session.add(row)
        db.session.commit()
        row.status = "waiting"
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_completing_the_move_in_makes_them_in_household(app, world):
    from app.services.effects import activate_resident

    pk = new_resident(app, world["dept_a"], status="pending_in")
    with app.app_context():
        application = Application(type="move_in", status="police_submitted", resident_id=pk,
                                  department_id=world["dept_a"])
        application.resident = db.session.get(Resident, pk)
        activate_resident(db.session, application)
        assert application.resident.status == "active" and application.resident.move_in_date is not None
        db.session.rollback()


def test_pending_in_cannot_borrow_the_page(app, world):
    from app.services.records import loan_problem

    pk = new_resident(app, world["dept_a"], status="pending_in")
    with app.app_context():
        assert loan_problem(db.session.get(Resident, pk)).code == "resident_not_active"


# ---- 「标记为迁出中」 ----

def _mark(c, ids, back="/residentview/list/?_flt_0_name=x"):
    """Run the action from a list with filters; return the redirect to the leave-date form."""
    r = c.post("/residentview/action_post", data={"action": "mark_leaving", "rowid": ids, "csrf_token": c.csrf},
               headers={"Referer": "http://localhost" + back})  # the list (with its filters) to go back to
    assert r.status_code == 302 and "/residentview/leaving?" in r.headers["Location"]
    return r.headers["Location"]


def test_mark_leaving_asks_for_the_date_then_returns_to_the_filtered_list(app, login, world):
    pk = new_resident(app, world["dept_a"], name="离职甲")
    c = login("t_hr")
    form_url = _mark(c, [pk])
    assert resident_row(app, pk).status == "active"  # nothing changed before the date is given
    page = c.get(form_url).get_data(as_text=True)
    assert "离职甲" in page and 'name="leave_date"' in page and "datepicker" in page
    day = dt.date.today() + dt.timedelta(days=10)
    r = c.post(form_url, data={"leave_date": day.isoformat(), "csrf_token": c.csrf})
    assert r.status_code == 302 and "_flt_0_name=x" in r.headers["Location"]
    row = resident_row(app, pk)
    assert (row.status, row.leave_date) == ("leaving", day)
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).where(
            AuditLog.object_type == "Resident", AuditLog.object_id == str(pk),
            AuditLog.action == "update").order_by(AuditLog.id.desc())).first()
    assert entry.username == "t_hr" and json.loads(entry.detail)["status"] == ["active", "leaving"]


@pytest.mark.parametrize("value,message", [("", "请填写离职日期"), ("2026-13-40", "YYYY-MM-DD"),
                                           ("1999-01-01", "超过五年")])
def test_leave_date_is_checked_with_a_chinese_message(app, login, world, value, message):
    pk = new_resident(app, world["dept_a"])
    c = login("t_officer")
    form_url = _mark(c, [pk])
    r = c.post(form_url, data={"leave_date": value, "csrf_token": c.csrf})
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    assert resident_row(app, pk).status == "active"


def test_leaving_form_is_scoped_and_needs_write(app, login, world, scoped_writer):
    other = new_resident(app, world["dept_b"])
    assert login(scoped_writer).get(f"/residentview/leaving?ids={other}").status_code == 404
    assert login("t_auditor").get(f"/residentview/leaving?ids={other}").status_code in (302, 403)
    c = login(scoped_writer)
    r = c.post(f"/residentview/leaving?ids={other}", data={"leave_date": dt.date.today().isoformat(),
                                                            "csrf_token": c.csrf})
    assert r.status_code == 404 and resident_row(app, other).status == "active"


def test_not_in_household_is_left_alone_and_named(app, login, world):
    gone = new_resident(app, world["dept_a"], name="已迁走", status="moved_out")
    c = login("t_hr")
    form_url = _mark(c, [gone])
    r = c.post(form_url, data={"leave_date": dt.date.today().isoformat(), "csrf_token": c.csrf},
               follow_redirects=True)
    assert "已迁走" in r.get_data(as_text=True) and resident_row(app, gone).status == "moved_out"


def test_dashboard_lists_people_moving_out(app, login, world):
    pk = new_resident(app, world["dept_a"], name="迁出中乙", status="leaving")
    with app.app_context():
        db.session.get(Resident, pk).leave_date = dt.date(2026, 11, 20)
        db.session.commit()
    home = login("t_officer").get("/").get_data(as_text=True)
    assert "hk-leaving-block" in home and "迁出中乙" in home and "2026-11-20" in home
    assert "hk-leaving-block" not in login("t_employee_a").get("/").get_data(as_text=True)


def test_leaving_block_is_scoped(app, world):
    a = new_resident(app, world["dept_a"], name="甲部迁出", status="leaving")
    b = new_resident(app, world["dept_b"], name="乙部迁出", status="leaving")
    approver = Actor(user_id=world["users"]["t_approver_a"], username="t_approver_a",
                     roles=frozenset({"DeptApprover"}), department_ids=frozenset({world["dept_a"]}))
    with app.app_context():
        total, rows = reg.leaving_block(db.session, approver, limit=1000)
        ids = {r.id for r in rows}
    assert a in ids and b not in ids and total == len(ids)


def test_leaving_block_lists_the_earliest_leavers_first_and_undated_ones_last(app, world):
    dept = world["dept_a"]
    ids = {key: new_resident(app, dept, name=f"排序迁出{key}", status="leaving") for key in ("late", "early", "none")}
    with app.app_context():
        for key, day in (("late", dt.date(2026, 11, 20)), ("early", dt.date(2026, 3, 1)), ("none", None)):
            db.session.get(Resident, ids[key]).leave_date = day
        db.session.commit()
        officer = Actor(user_id=world["users"]["t_officer"], username="t_officer", roles=frozenset({"HukouOfficer"}),
                        unit_wide=True)
        _total, rows = reg.leaving_block(db.session, officer, limit=1000)
    order = [r.id for r in rows if r.id in ids.values()]
    assert order == [ids["early"], ids["late"], ids["none"]]
    dated = [r.leave_date for r in rows if r.leave_date is not None]
    assert dated == sorted(dated) and all(r.leave_date is None for r in rows[len(dated):])
