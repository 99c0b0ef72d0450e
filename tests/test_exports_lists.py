"""「导出」 of every list: the rows the list shows (filters, sort, scope), masking, permissions, audit, headers."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from urllib.parse import unquote

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from app.domain.idnumber import make_id
from app.extensions import db
from app.models import AuditLog, Department, Resident

NAMES = ["=1+2", "@SUM(A1)", "-3", "\t制表", "赵一", "钱二", "孙三"]


@pytest.fixture(scope="module")
def dept(app):
    """A department of its own with residents whose names look like formulas."""
    with app.app_context():
        d = Department(code="EXP", name="导出测试部门")
        db.session.add(d)
        db.session.flush()
        for n, name in enumerate(NAMES):
            born = dt.date(1990, 1, 1) + dt.timedelta(days=400 * n)
            db.session.add(Resident(name=name, gender="F", birth_date=born, id_number=make_id("110105", born, 700 + 2 * n),
                                    department_id=d.id, status="active", phone=f"1391234{5600 + n}",
                                    move_in_date=dt.date(2020, 1, 1 + n)))
        db.session.commit()
        return d.id


def sheet(resp) -> list[list]:
    """Rows of the first sheet of an xlsx response."""
    return CalamineWorkbook.from_filelike(io.BytesIO(resp.data)).get_sheet_by_index(0).to_python()


def last_export(app) -> AuditLog:
    """The newest export audit row."""
    with app.app_context():
        return db.session.scalars(select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id.desc())).first()


def test_resident_export_is_the_filtered_sorted_list(app, login, dept):
    c = login("t_officer")
    r = c.get(f"/export/residents/xlsx?_flt_0_department={dept}&_oc_ResidentView=name&_od_ResidentView=desc")
    assert r.status_code == 200, r.data[:300]
    rows = sheet(r)
    assert rows[0][:4] == ["姓名", "性别", "出生日期", "公民身份号码"]
    with app.app_context():
        expected = db.session.scalars(select(Resident.name).where(Resident.department_id == dept)
                                      .order_by(Resident.name.desc(), Resident.id.desc())).all()
    assert [row[0] for row in rows[1:]] == expected and len(expected) == len(NAMES)
    assert all(row[7] == "导出测试部门" and row[8] for row in rows[1:])  # department and status in Chinese
    assert all("*" in row[3] and "****" in row[9] for row in rows[1:])  # masked without the explicit choice
    assert rows[1][2].endswith("-**-**")  # a masked export shows the birth year only (it may leave the office)
    assert isinstance(rows[1][10], dt.date)  # date cells, not text
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # =1+2, @SUM(A1) stay text
    widths = [float(w) for w in re.findall(r'<col min="4" max="4" width="([\d.]+)"', xml)]
    assert widths and widths[0] >= 20  # an 18-character ID number fits
    detail = json.loads(last_export(app).detail)
    assert detail["rows"] == len(NAMES) and detail["unmasked"] is False
    assert detail["filters"]["_flt_0_department"] == [str(dept)]


def test_file_name_and_headers(login, dept):
    r = login("t_officer").get(f"/export/residents/xlsx?_flt_0_department={dept}")
    disposition = r.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert re.fullmatch(r"在册人员名单-\d{8}\.xlsx", name)
    assert r.headers["Cache-Control"] == "no-store, private"


def test_full_numbers_only_with_unmask_and_choice(app, login, dept):
    rows = sheet(login("t_officer").get(f"/export/residents/xlsx?unmask=1&_flt_0_department={dept}"))
    assert all("*" not in row[3] and len(row[3]) == 18 for row in rows[1:])
    assert json.loads(last_export(app).detail)["unmasked"] is True


def test_csv_has_bom_and_keeps_formulas_as_text(login, dept):
    r = login("t_hr").get(f"/export/residents/csv?_flt_0_department={dept}&_oc_ResidentView=name&_od_ResidentView=asc")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    assert r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    names = {row[0] for row in rows[1:]}
    assert {"'=1+2", "'@SUM(A1)", "'-3", "'\t制表", "赵一"} <= names
    assert all("*" in row[3] for row in rows[1:])


@pytest.mark.parametrize("user,kind,allowed", [
    ("t_officer", "applications", True), ("t_officer", "materials", True), ("t_officer", "loans", True),
    ("t_officer", "fees", False), ("t_finance", "fees", True), ("t_auditor", "audit", True),
    ("t_officer", "audit", False), ("t_leader", "residents", False), ("t_employee_a", "applications", False),
    ("t_approver_a", "residents", False),
])
def test_export_permission_per_list(login, user, kind, allowed):
    r = login(user).get(f"/export/{kind}/xlsx")
    if allowed:
        assert r.status_code == 200 and r.data.startswith(b"PK")
        assert sheet(r)[0][0]  # a Chinese header row
    else:
        assert r.status_code in (302, 403) and not r.data.startswith(b"PK")


def test_audit_export_is_chinese(login):
    rows = sheet(login("t_auditor").get("/export/audit/xlsx?_oc_AuditLogView=at&_od_AuditLogView=desc"))
    assert rows[0][:4] == ["时间", "用户", "角色", "操作"]
    assert any(row[3] == "导出" for row in rows[1:])


@pytest.mark.parametrize("query", ["_oc_ResidentView=phone&_od_ResidentView=asc", "_flt_2_id_number=1101"])
def test_bad_arguments_are_400(login, query):
    assert login("t_officer").get(f"/export/residents/xlsx?{query}").status_code == 400


def test_unknown_format_is_404(login):
    assert login("t_officer").get("/export/residents/pdf").status_code == 404


def test_row_scope_applies_to_the_export_query(app, world):
    from app.exports.query import export_query
    from app.exports.specs import SPECS
    from app.security.actor import actor_of

    with app.test_request_context("/"):
        user = app.appbuilder.sm.find_user("t_approver_a")
        actor = actor_of(user)
        departments = {r.department_id for r in export_query(SPECS["residents"], actor)}
    assert departments == {world["dept_a"]}


def test_list_page_shows_export_buttons_with_its_filters(login, dept):
    page = login("t_officer").get(f"/residentview/list/?_flt_0_department={dept}").get_data(as_text=True)
    assert f"/export/residents/xlsx?_flt_0_department={dept}" in page
    assert "/export/residents/xlsx?unmask=1&amp;_flt_0_department" in page
    assert "导出" in page
    assert "/export/" not in login("t_leader").get("/residentview/list/").get_data(as_text=True)
