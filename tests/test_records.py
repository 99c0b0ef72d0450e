"""Page loans, fees and archive records: role matrix, row scope, returning a page, recording payments."""
from __future__ import annotations

import datetime as dt

from app import clock
import itertools
import re
import uuid
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import select, update

from app.domain.idnumber import make_id
from app.extensions import db
from app.models import (Application, ArchiveRecord, AuditLog, Fee, PageLoan, Resident, User)

ALL_USERS = ["t_officer", "t_approver_a", "t_leader", "t_hr", "t_finance", "t_auditor", "t_employee_a",
             "t_admin"]
LOAN_READERS = {"t_officer", "t_leader", "t_finance", "t_auditor", "t_employee_a", "t_admin"}
LOAN_WRITERS = {"t_officer", "t_admin"}
FEE_READERS = {"t_officer", "t_leader", "t_finance", "t_auditor", "t_admin"}
FEE_WRITERS = {"t_finance", "t_admin"}
ARCHIVE_READERS = {"t_officer", "t_leader", "t_auditor", "t_admin"}
_seq = itertools.count(1)
TODAY = clock.today()


def new_resident(app, dept_id: int, status: str = "active", name: str = "周九") -> int:
    """A fresh resident of a department."""
    with app.app_context():
        n = next(_seq)
        birth = dt.date(1975, 3, 1) + dt.timedelta(days=n * 13)
        res = Resident(name=name, gender="M", birth_date=birth, id_number=make_id("440103", birth, 700 + n),
                       department_id=dept_id, status=status)
        db.session.add(res)
        db.session.commit()
        return res.id


def new_loan(app, resident_id: int, purpose: str = "办理护照", due: dt.date | None = None,
             returned: dt.date | None = None) -> int:
    """A loan row written directly (as the workflow would); an earlier open loan of the resident is closed
    first, because the database allows one open loan per resident."""
    with app.app_context():
        if returned is None:
            db.session.execute(update(PageLoan).where(PageLoan.resident_id == resident_id,
                                                      PageLoan.returned_on.is_(None))
                               .values(returned_on=TODAY - dt.timedelta(days=1)))
        loan = PageLoan(resident_id=resident_id, purpose=purpose, lent_on=TODAY - dt.timedelta(days=20),
                        due_on=due or TODAY + dt.timedelta(days=5), returned_on=returned)
        db.session.add(loan)
        db.session.commit()
        return loan.id


def new_fee(app, resident_id: int, status: str = "unpaid", amount: str = "300.00") -> int:
    """A fee row written directly."""
    with app.app_context():
        fee = Fee(resident_id=resident_id, kind="affiliation", amount=Decimal(amount), status=status)
        db.session.add(fee)
        db.session.commit()
        return fee.id


def get(app, model, pk):
    """A fresh copy of a row."""
    with app.app_context():
        return db.session.get(model, pk)


def audit_actions(app, object_type: str, object_id: int) -> list[str]:
    """Audit actions recorded for an object."""
    with app.app_context():
        return list(db.session.scalars(select(AuditLog.action).where(
            AuditLog.object_type == object_type, AuditLog.object_id == str(object_id))))


def expected(user: str, allowed: set[str], ok: int = 200) -> int:
    """`ok` for allowed roles, 403 for a signed-in user without the permission."""
    return ok if user in allowed else 403


@pytest.mark.parametrize("user", ALL_USERS)
@pytest.mark.parametrize("path,allowed", [
    ("/pageloanview/list/", LOAN_READERS), ("/pageloanview/add", LOAN_WRITERS),
    ("/feeview/list/", FEE_READERS), ("/feeview/add", FEE_WRITERS),
    ("/archiverecordview/list/", ARCHIVE_READERS),
])
def test_screens_by_role(login, user, path, allowed):
    """Who opens the loan, fee and archive lists and add forms."""
    assert login(user).get(path).status_code == expected(user, allowed)


@pytest.mark.parametrize("path", ["/pageloanview/delete/{loan}", "/feeview/delete/{fee}",
                                  "/archiverecordview/add", "/archiverecordview/edit/1",
                                  "/archiverecordview/delete/1"])
def test_no_delete_of_loans_fees_and_no_archive_writes_even_for_admin(app, login, world, path):
    """Loans and fees are records (no delete); archive records are read-only: 403/404 even for Admin."""
    loan = new_loan(app, world["res_b"])
    fee = new_fee(app, world["res_b"])
    c = login("t_admin")
    r = c.post(path.format(loan=loan, fee=fee), data={"csrf_token": c.csrf})
    assert r.status_code in (403, 404, 405)
    assert get(app, PageLoan, loan) is not None and get(app, Fee, fee) is not None


@pytest.mark.parametrize("user", ALL_USERS)
def test_loan_and_fee_api_by_role(app, api, world, user):
    """GET /api/v1/loans/ and /api/v1/fees/ follow the read grants; POST loans is the officer's."""
    c, headers = api(user)
    assert c.get("/api/v1/loans/", headers=headers).status_code == expected(user, LOAN_READERS)
    assert c.get("/api/v1/fees/", headers=headers).status_code == expected(user, FEE_READERS)
    rid = new_resident(app, world["dept_a"])
    r = c.post("/api/v1/loans/", json={"resident_id": rid, "purpose": "结婚登记"}, headers=headers)
    assert r.status_code == expected(user, LOAN_WRITERS, 201)
    assert c.post("/api/v1/fees/", json={"resident_id": rid}, headers=headers).status_code in (403, 404, 405)


def test_employee_sees_only_own_loans(app, login, api, world):
    """Employee A lists and opens their own loan; B's loan id is 404 on screen and API."""
    own = new_loan(app, world["res_a"], purpose=f"本人{uuid.uuid4().hex[:6]}")
    other = new_loan(app, world["res_b"], purpose=f"他人{uuid.uuid4().hex[:6]}")
    c = login("t_employee_a")
    body = c.get("/pageloanview/list/?psize_PageLoanView=100").get_data(as_text=True)
    assert get(app, PageLoan, own).purpose in body and get(app, PageLoan, other).purpose not in body
    assert c.get(f"/pageloanview/show/{own}").status_code == 200
    assert c.get(f"/pageloanview/show/{other}").status_code == 404
    ac, headers = api("t_employee_a")
    assert ac.get(f"/api/v1/loans/{own}", headers=headers).status_code == 200
    assert ac.get(f"/api/v1/loans/{other}", headers=headers).status_code == 404
    ids = {row["id"] for row in ac.get("/api/v1/loans/?page_size=100", headers=headers).get_json()["result"]}
    assert own in ids and other not in ids


@pytest.mark.parametrize("user,own,other", [
    ("t_employee_a", "res_a", "res_b"), ("t_approver_a", "res_a2", "res_b"), ("t_approver_b", "res_b", "res_a"),
])
def test_fee_and_loan_rows_follow_the_resident_scope(app, world, user, own, other):
    """The views' base filter limits fees and loans to the user's residents (departments or self)."""
    from app.views.records import FeeView, PageLoanView

    fee_own, fee_other = new_fee(app, world[own]), new_fee(app, world[other])
    loan_own, loan_other = new_loan(app, world[own]), new_loan(app, world[other])
    with app.test_request_context():
        g.user = db.session.get(User, world["users"][user])
        views = {type(v): v for v in app.appbuilder.baseviews}
        fees, loans = views[FeeView], views[PageLoanView]
        assert fees.visible_item(fee_own) is not None and fees.visible_item(fee_other) is None
        assert loans.visible_item(loan_own) is not None and loans.visible_item(loan_other) is None


@pytest.mark.parametrize("user,listed,hidden", [
    ("t_approver_a", "res_a2", "res_b"), ("t_employee_b", "res_b", "res_a"), ("t_officer", "res_b", None),
])
def test_resident_dropdowns_are_scoped(app, world, user, listed, hidden):
    """The resident picker of the loan and fee add forms accepts only residents the user may see."""
    from app.views.records import FeeView, PageLoanView

    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        g.user = db.session.get(User, world["users"][user])
        for view in [v for v in app.appbuilder.baseviews if isinstance(v, (FeeView, PageLoanView))]:
            picked = view.add_form(MultiDict({"resident": str(world[listed])})).resident.data
            assert picked is not None and picked.id == world[listed]
            if hidden is not None:
                assert view.add_form(MultiDict({"resident": str(world[hidden])})).resident.data is None


@pytest.mark.parametrize("user", ["t_approver_a", "t_hr"])
def test_roles_without_loan_permission_are_refused_by_id(app, login, world, user):
    """DeptApprover and HR have no loan or fee grant: even their own department's rows are refused."""
    loan = new_loan(app, world["res_a"])
    fee = new_fee(app, world["res_a"])
    c = login(user)
    assert c.get(f"/pageloanview/show/{loan}").status_code == 403
    assert c.get(f"/feeview/show/{fee}").status_code == 403


def _add_loan(c, resident_id: int, purpose: str, due: dt.date | None = None):
    """Post the officer's manual loan form."""
    data = {"resident": resident_id, "purpose": purpose, "lent_on": TODAY.isoformat(),
            "due_on": (due or TODAY + dt.timedelta(days=15)).isoformat(), "deposit": "300",
            "csrf_token": c.csrf}
    return c.post("/pageloanview/add", data=data)


def test_officer_records_loan_and_second_loan_is_refused(app, login, world):
    """A manual loan is saved; a second loan for the same resident re-shows the form naming the resident."""
    rid = new_resident(app, world["dept_a"], name="吴十")
    c = login("t_officer")
    form = c.get("/pageloanview/add").get_data(as_text=True)
    due = TODAY + dt.timedelta(days=app.config["HUKOU_LOAN_DAYS"])
    assert f'value="{due.isoformat()}"' in form
    assert _add_loan(c, rid, "办理护照").status_code == 302
    r = _add_loan(c, rid, "再次借用")
    assert r.status_code == 200 and "吴十" in r.get_data(as_text=True)
    with app.app_context():
        loans = db.session.scalars(select(PageLoan).where(PageLoan.resident_id == rid)).all()
    assert [x.purpose for x in loans] == ["办理护照"]
    assert loans[0].deposit == Decimal("300.00")


@pytest.mark.parametrize("status", ["moved_out", "leaving", "frozen"])
def test_loan_refused_for_resident_not_in_household(app, login, world, status):
    """A resident who is not active cannot borrow; the message names them; nothing is saved."""
    rid = new_resident(app, world["dept_a"], status=status, name=f"郑{status}")
    c = login("t_officer")
    r = _add_loan(c, rid, "办理护照")
    assert r.status_code == 200 and f"郑{status}" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PageLoan.id).where(PageLoan.resident_id == rid)) is None


def test_loan_due_before_lent_is_refused(app, login, world):
    """A due date before the lending date is refused."""
    rid = new_resident(app, world["dept_a"])
    c = login("t_officer")
    _add_loan(c, rid, "日期错误", due=TODAY - dt.timedelta(days=1))
    with app.app_context():
        assert db.session.scalar(select(PageLoan.id).where(PageLoan.resident_id == rid)) is None


def test_officer_returns_page_once(app, login, world):
    """The return action records today and an audit row; a second return changes nothing."""
    loan = new_loan(app, world["res_a2"], due=TODAY + dt.timedelta(days=3))
    c = login("t_officer")
    r = c.post(f"/pageloanview/action/return_page/{loan}", data={"csrf_token": c.csrf})
    assert r.status_code == 302
    assert get(app, PageLoan, loan).returned_on == TODAY
    assert audit_actions(app, "PageLoan", loan).count("return_page") == 1
    c.post(f"/pageloanview/action/return_page/{loan}", data={"csrf_token": c.csrf})
    assert audit_actions(app, "PageLoan", loan).count("return_page") == 1


@pytest.mark.parametrize("user", ["t_leader", "t_finance", "t_auditor", "t_employee_a"])
def test_readers_cannot_return_a_page(app, login, world, user):
    """Read-only roles posting the return action leave the loan open."""
    loan = new_loan(app, world["res_a"])
    c = login(user)
    r = c.post(f"/pageloanview/action/return_page/{loan}", data={"csrf_token": c.csrf})
    assert r.status_code in (302, 403)
    assert get(app, PageLoan, loan).returned_on is None


def test_return_action_on_invisible_loan_is_404(app, login, world):
    """An employee cannot even address another resident's loan."""
    loan = new_loan(app, world["res_b"])
    c = login("t_employee_a")
    assert c.post(f"/pageloanview/action/return_page/{loan}", data={"csrf_token": c.csrf}).status_code == 404


@pytest.mark.parametrize("user,status", [("t_officer", 200), ("t_finance", 403), ("t_employee_a", 403)])
def test_return_over_api(app, api, world, user, status):
    """POST /api/v1/loans/<id>/return: officer 200 then 422; read-only roles 403."""
    loan = new_loan(app, world["res_a"])
    c, headers = api(user)
    r = c.post(f"/api/v1/loans/{loan}/return", headers=headers)
    assert r.status_code == status
    assert (get(app, PageLoan, loan).returned_on == TODAY) == (status == 200)
    if status == 200:
        assert c.post(f"/api/v1/loans/{loan}/return", headers=headers).status_code == 422


def test_api_loan_defaults_and_guard(app, api, world):
    """An API loan gets today / today + HUKOU_LOAN_DAYS; a second open loan is a 422 naming the resident."""
    rid = new_resident(app, world["dept_b"], name="冯十一")
    c, headers = api("t_officer")
    r = c.post("/api/v1/loans/", json={"resident_id": rid, "purpose": "购房"}, headers=headers)
    assert r.status_code == 201, r.get_json()
    loan = get(app, PageLoan, r.get_json()["id"])
    assert loan.lent_on == TODAY and loan.due_on == TODAY + dt.timedelta(days=app.config["HUKOU_LOAN_DAYS"])
    r = c.post("/api/v1/loans/", json={"resident_id": rid, "purpose": "再借"}, headers=headers)
    assert r.status_code == 422 and "冯十一" in r.get_json()["message"]
    r = c.post("/api/v1/loans/", json={"resident_id": rid, "returned_on": "2020-01-01"}, headers=headers)
    assert r.status_code == 422


def test_loan_list_puts_open_first_and_highlights_overdue(app, login, world):
    """Open loans come before returned ones; an open loan past its due date is marked overdue."""
    tag = uuid.uuid4().hex[:6]
    new_loan(app, world["res_a"], purpose=f"{tag}已还", returned=TODAY - dt.timedelta(days=1),
             due=TODAY - dt.timedelta(days=30))
    new_loan(app, world["res_a"], purpose=f"{tag}逾期", due=TODAY - dt.timedelta(days=2))
    new_loan(app, world["res_a2"], purpose=f"{tag}未到期", due=TODAY + dt.timedelta(days=9))  # one open loan each
    body = login("t_officer").get(f"/pageloanview/list/?_flt_0_purpose={tag}").get_data(as_text=True)
    rows = re.findall(r"(?s)<tr( class=\"[^\"]*\")?>(.*?)</tr>", body)
    marks = {p: cls for cls, row in rows for p in ("已还", "逾期", "未到期") if f"{tag}{p}" in row}
    assert "hk-overdue" in marks["逾期"] and "hk-overdue" not in marks["未到期"] and not marks["已还"]
    assert body.index(f"{tag}逾期") < body.index(f"{tag}已还")
    assert body.index(f"{tag}未到期") < body.index(f"{tag}已还")


def _add_fee(c, resident_id: int, amount: str):
    """Post the Finance fee form."""
    return c.post("/feeview/add", data={"resident": resident_id, "kind": "deposit", "amount": amount,
                                        "csrf_token": c.csrf})


def test_finance_adds_fee_and_negative_amount_is_refused(app, login, world):
    """A negative amount re-shows the form with the message; a valid fee starts unpaid."""
    rid = new_resident(app, world["dept_a"])
    c = login("t_finance")
    r = _add_fee(c, rid, "-5")
    assert r.status_code == 200
    with app.test_request_context():
        from flask_babel import gettext
        assert gettext("Amount must not be negative") in r.get_data(as_text=True)
    assert _add_fee(c, rid, "300").status_code == 302
    with app.app_context():
        fees = db.session.scalars(select(Fee).where(Fee.resident_id == rid)).all()
    assert [(f.amount, f.status) for f in fees] == [(Decimal("300.00"), "unpaid")]


@pytest.mark.parametrize("start,action,end", [
    ("unpaid", "pay", "paid"), ("paid", "refund", "refunded"), ("unpaid", "waive", "waived"),
    ("paid", "pay", "paid"), ("unpaid", "refund", "unpaid"), ("paid", "waive", "paid"),
    ("waived", "pay", "waived"),
])
def test_fee_status_actions(app, login, world, start, action, end):
    """Finance moves a fee only from its expected status; each move is audited and dated."""
    fee = new_fee(app, world["res_b"], status=start)
    c = login("t_finance")
    r = c.post(f"/feeview/action/{action}/{fee}", data={"csrf_token": c.csrf})
    assert r.status_code == 302
    row = get(app, Fee, fee)
    assert row.status == end
    moved = start != end
    assert (f"fee_{action}" in audit_actions(app, "Fee", fee)) == moved
    assert (row.paid_on == TODAY) == (moved and action == "pay")


@pytest.mark.parametrize("user", ["t_officer", "t_leader", "t_auditor"])
def test_fee_readers_cannot_record_payment(app, login, world, user):
    """Roles that only read fees cannot change their status."""
    fee = new_fee(app, world["res_a"])
    c = login(user)
    c.post(f"/feeview/action/pay/{fee}", data={"csrf_token": c.csrf})
    assert get(app, Fee, fee).status == "unpaid"


def test_paid_fee_cannot_be_edited(app, login, world):
    """Editing a paid fee is refused; an unpaid one can be corrected."""
    paid, unpaid = new_fee(app, world["res_a"], status="paid"), new_fee(app, world["res_a"])
    c = login("t_finance")
    for fee in (paid, unpaid):
        c.post(f"/feeview/edit/{fee}", data={"kind": "other", "amount": "10", "csrf_token": c.csrf})
    assert get(app, Fee, paid).amount == Decimal("300.00")
    assert get(app, Fee, unpaid).amount == Decimal("10.00")


@pytest.mark.parametrize("flt,value,shown,hidden", [
    ("_flt_0_status", "paid", "paid", "unpaid"), ("_flt_0_status", "unpaid", "unpaid", "paid"),
])
def test_fee_list_filters_by_status(app, api, world, flt, value, shown, hidden):
    """The fee list filters by status (checked through the read-only API, same datamodel filters)."""
    ids = {s: new_fee(app, world["res_a"], status=s) for s in ("paid", "unpaid")}
    c, headers = api("t_finance")
    q = f'(filters:!((col:status,opr:eq,value:{value})),page_size:100,order_column:id,order_direction:desc)'
    rows = c.get(f"/api/v1/fees/?q={q}", headers=headers).get_json()["result"]
    got = {r["id"] for r in rows}
    assert ids[shown] in got and ids[hidden] not in got
    assert {r["status"] for r in rows} == {value}


def new_archive(app, resident_id: int, dept_id: int) -> tuple[int, str]:
    """An application with its archive record (as the workflow's archive action leaves them)."""
    with app.app_context():
        application = Application(type="certificate", status="archived", resident_id=resident_id,
                                  department_id=dept_id)
        db.session.add(application)
        db.session.flush()
        number = f"T{uuid.uuid4().hex[:10]}"
        rec = ArchiveRecord(archive_no=number, year=2090, seq=application.id, application_id=application.id,
                            location="三号柜二层")
        db.session.add(rec)
        db.session.commit()
        return rec.id, number


def test_archive_list_search_and_show(app, login, world):
    """Archive records are found by number and show the application link and the location."""
    rec_id, number = new_archive(app, world["res_b"], world["dept_b"])
    c = login("t_officer")
    body = c.get(f"/archiverecordview/list/?_flt_3_archive_no={number}").get_data(as_text=True)
    assert number in body and "三号柜二层" in body
    show = c.get(f"/archiverecordview/show/{rec_id}").get_data(as_text=True)
    assert number in show and "李四" in show


def test_archive_scope_for_approver(app, world):
    """An approver's scope reaches archive records of their department only (through the application)."""
    from app.views.records import ArchiveRecordView

    own, _ = new_archive(app, world["res_a"], world["dept_a"])
    other, _ = new_archive(app, world["res_b"], world["dept_b"])
    with app.test_request_context():
        g.user = db.session.get(User, world["users"]["t_approver_a"])
        view = next(v for v in app.appbuilder.baseviews if isinstance(v, ArchiveRecordView))
        assert view.visible_item(own) is not None and view.visible_item(other) is None
