"""HR changes (人事变动): leavers get a move-out application from 「系统（人事同步）」 (never a second one),
transfers move not-yet-approved applications, retirements, hires of members and of people not in the household."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import Application, ApplicationHistory, AuditLog, Resident
from tests.import_support import new_id, rendered, run, write_xlsx
from tests.import_support import import_folder  # noqa: F401  (autouse: files in a temp folder)
from tests.test_applications import make

HEAD = ["姓名", "身份证号码", "变动类型", "离职日期", "部门", "备注"]


def member(app, tmp_path, name: str, dept: str = "测试甲部门") -> tuple[str, int]:
    """A new resident imported through the roster; (ID number, resident id)."""
    number = new_id()
    run(app, "roster", write_xlsx(tmp_path / f"{name}.xlsx", [["姓名", "身份证号", "部门"], [name, number, dept]]))
    with app.app_context():
        return number, db.session.scalar(select(Resident.id).where(Resident.id_number == number))


def apps_of(app, rid: int) -> list[Application]:
    """The resident's applications (detached)."""
    with app.app_context():
        items = db.session.scalars(select(Application).where(Application.resident_id == rid)
                                   .order_by(Application.id)).unique().all()
        db.session.expunge_all()
        return items


def test_leaver_gets_one_move_out_application(app, tmp_path):
    number, rid = member(app, tmp_path, "离职甲")
    path = write_xlsx(tmp_path / "hr.xlsx", [HEAD, ["离职甲", number, "离职", "2026/11/2", "", "个人原因"]])
    out = run(app, "hr", path)
    assert out.status == "committed" and out.plan.counts["updated"] == 1
    with app.app_context():
        r = db.session.get(Resident, rid)
        assert (r.status, r.leave_date) == ("leaving", dt.date(2026, 11, 2))
    [mo] = apps_of(app, rid)
    assert (mo.type, mo.status, mo.due_on, mo.created_by_id) == ("move_out", "submitted", dt.date(2026, 12, 2), None)
    assert mo.department_id == r.department_id and "个人原因" in mo.reason
    with app.app_context():
        audit = db.session.scalar(select(AuditLog).where(AuditLog.object_type == "Application",
                                                         AuditLog.object_id == str(mo.id)))
        assert (audit.action, audit.username) == ("create", "系统（人事同步）")
        hist = db.session.scalars(select(ApplicationHistory).where(ApplicationHistory.application_id == mo.id)).all()
        assert [(h.from_status, h.to_status) for h in hist] == [("draft", "submitted")]
    again = run(app, "hr", path)
    assert again.plan.counts == {"created": 0, "updated": 0, "unchanged": 1, "skipped": 0, "errors": 0}
    assert len(apps_of(app, rid)) == 1


def test_leaver_with_an_open_move_out_gets_no_second(app, tmp_path, world):
    number, rid = member(app, tmp_path, "离职乙")
    make(app, "move_out", "dept_a", status="submitted", world=world, resident_id=rid)
    out = run(app, "hr", write_xlsx(tmp_path / "hr.xlsx", [HEAD, ["离职乙", number, "离职", "2026-11-20", "", ""]]))
    assert out.status == "committed" and len(apps_of(app, rid)) == 1


def test_transfer_moves_only_applications_not_yet_approved(app, tmp_path, world):
    number, rid = member(app, tmp_path, "调动甲")
    early = make(app, "certificate", "dept_a", status="submitted", world=world, resident_id=rid)
    late = make(app, "info_change", "dept_a", status="leader_review", world=world, resident_id=rid)
    rows = [HEAD, ["调动甲", number, "调动", "2026-11-01", "测试乙部门", ""]]
    out = run(app, "hr", write_xlsx(tmp_path / "hr.xlsx", rows))
    assert out.status == "committed" and out.plan.actions[0].follow == [early]
    depts = {a.id: a.department_id for a in apps_of(app, rid)}
    assert depts == {early: world["dept_b"], late: world["dept_a"]}
    with app.app_context():
        assert db.session.get(Resident, rid).department_id == world["dept_b"]


def test_retirement_and_hire_of_a_member(app, tmp_path, world):
    number, rid = member(app, tmp_path, "退休甲")
    rows = [HEAD, ["退休甲", number, "退休", "2026-10-31", "", ""], ["退休甲", number, "入职", "2026-11-15", "TB", ""]]
    out = run(app, "hr", write_xlsx(tmp_path / "hr.xlsx", rows))
    assert out.status == "committed" and out.plan.counts["updated"] == 2
    with app.app_context():
        r = db.session.get(Resident, rid)
        assert (r.retire_date, r.hire_date, r.department_id) == (dt.date(2026, 10, 31), dt.date(2026, 11, 15),
                                                                 world["dept_b"])


def test_hire_of_someone_not_in_the_household_is_listed(app, tmp_path):
    rows = [HEAD, ["新人", new_id(), "入职", "2026-11-15", "TA", ""]]
    out = run(app, "hr", write_xlsx(tmp_path / "hr.xlsx", rows))
    assert out.status == "committed" and out.plan.counts["skipped"] == 1
    from app.i18n import render
    with app.test_request_context():
        assert render(out.plan.skipped[0][2]).startswith("不在集体户，未作任何更改")


def test_hr_row_errors(app, tmp_path):
    number, _rid = member(app, tmp_path, "出错甲")
    rows = [HEAD, ["出错甲", number, "辞退", "2026-11-01", "", ""], ["出错甲", number, "调动", "", "", ""],
            ["别人", number, "退休", "2026-11-01", "", ""]]
    out = run(app, "hr", write_xlsx(tmp_path / "hr.xlsx", rows))
    errors = rendered(app, out)
    assert out.status == "rejected"
    assert (2, "变动类型", "变动类型须为 入职、离职、调动、退休 之一（实为“辞退”）") in errors
    assert (3, "离职日期", "此列不能为空") in errors and (3, "部门", "调动须填写新部门") in errors
    assert (4, "姓名", "姓名“别人”与该身份号码的在册姓名（出错甲）不符") in errors
