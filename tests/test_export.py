"""Resident Excel export: permission, row scope, masking, audit, and no formula injection (FAB hole 7)."""
import datetime as dt
import io
import zipfile

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from app.domain.idnumber import make_id
from app.extensions import db
from app.models import AuditLog, Resident


def _sheet(resp) -> list[list]:
    """Rows of the first sheet of an xlsx response."""
    wb = CalamineWorkbook.from_filelike(io.BytesIO(resp.data))
    return wb.get_sheet_by_index(0).to_python()


@pytest.fixture
def formula_resident(app, world):
    """A dept_a resident whose name looks like a spreadsheet formula."""
    with app.app_context():
        r = Resident(name="=HYPERLINK(\"http://x\",\"点我\")", gender="F", birth_date=dt.date(1995, 5, 5),
                     id_number=make_id("110105", dt.date(1995, 5, 5), 902), department_id=world["dept_a"],
                     status="active", phone="13912345678")
        db.session.add(r)
        db.session.commit()
        yield r.id
        db.session.delete(db.session.get(Resident, r.id))
        db.session.commit()


def test_officer_export_is_literal_text_and_unmasked(app, login, formula_resident):
    c = login("t_officer")
    r = c.get("/export/residents/xlsx?unmask=1")
    assert r.status_code == 200
    assert r.mimetype.endswith("spreadsheetml.sheet")
    rows = _sheet(r)
    assert rows[0][0] == "姓名"
    names = [row[0] for row in rows[1:]]
    assert "=HYPERLINK(\"http://x\",\"点我\")" in names
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no live formula anywhere
    row = next(row for row in rows if row[0].startswith("=HYPERLINK"))
    assert row[3].endswith(make_id("110105", dt.date(1995, 5, 5), 902)[-4:]) and "*" not in row[3]


def test_export_is_masked_by_default(login, formula_resident):
    rows = _sheet(login("t_hr").get("/export/residents/xlsx"))
    assert rows[1:] and all("*" in row[3] for row in rows[1:] if row[3])
    assert all("****" in row[9] for row in rows[1:] if row[9])


def test_approver_export_limited_to_department(login, world):
    c = login("t_approver_a")
    r = c.get("/export/residents/xlsx")
    # DeptApprover has no export permission at all
    assert r.status_code in (302, 403)


def test_export_filters_and_scope(login, world):
    rows = _sheet(login("t_officer").get(f"/export/residents/xlsx?_flt_0_department={world['dept_b']}"))
    names = {row[0] for row in rows[1:]}
    assert "李四" in names and "张三" not in names


@pytest.mark.parametrize("query", ["department_id=abc", "status=bogus"])
def test_export_bad_filter_is_400(login, query):
    assert login("t_officer").get(f"/residentexport/xlsx?{query}").status_code == 400


@pytest.mark.parametrize("user", ["t_auditor", "t_employee_a", "t_leader", "t_finance"])
def test_roles_without_export_are_refused(login, user):
    r = login(user).get("/export/residents/xlsx")
    assert r.status_code in (302, 403)
    assert not r.data.startswith(b"PK")


def test_export_is_audited(app, login):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "export"))
    login("t_officer").get("/export/residents/xlsx")
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "export"))
        last = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")
                                  .order_by(AuditLog.id.desc())).first()
    assert after == before + 1
    assert last.username == "t_officer" and '"rows"' in last.detail


@pytest.mark.parametrize("old, new", [
    ("", "/export/residents/xlsx"),
    ("?unmask=1", "/export/residents/xlsx?unmask=1"),
    ("?department_id=7&status=leaving", "/export/residents/xlsx?_flt_0_department=7&_flt_0_status=leaving"),
])
def test_old_export_address_redirects_to_the_list_export(login, old, new):
    r = login("t_officer").get(f"/residentexport/xlsx{old}")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(new)
