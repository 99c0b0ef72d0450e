"""Page loans and fees finished: pages, hand-over and mailing address, one-click return with the deposit refund,
the printable 借用登记单, the payment form (amount, method, receipt, date), the total row, fees on a move-out."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, Fee, PageLoan, Resident
from tests.test_i18n_pages import english_words
from tests.test_records import TODAY, audit_actions, get, new_fee, new_loan, new_resident


def _loan_form(c, rid: int, **extra):
    """Post the officer's loan form with the given extra fields."""
    data = {"resident": rid, "purpose": "办理结婚登记", "lent_on": TODAY.isoformat(),
            "due_on": (TODAY + dt.timedelta(days=15)).isoformat(), "deposit": "300", "csrf_token": c.csrf, **extra}
    return c.post("/pageloanview/add", data=data)


def _loans_of(app, rid: int) -> list[PageLoan]:
    with app.app_context():
        return list(db.session.scalars(select(PageLoan).where(PageLoan.resident_id == rid)))


def test_posted_loan_needs_a_mailing_address(app, login, world):
    """Sent by post without an address re-shows the form naming the field; with one the loan keeps it all."""
    rid = new_resident(app, world["dept_a"])
    c = login("t_officer")
    r = _loan_form(c, rid, pages="both", delivery="post", mail_address="  ")
    assert r.status_code == 200 and "邮寄地址：选择邮寄时必须填写" in r.get_data(as_text=True)
    assert _loans_of(app, rid) == []
    r = _loan_form(c, rid, pages="both", delivery="post", mail_address="北京市海淀区中关村大街1号")
    assert r.status_code == 302
    [loan] = _loans_of(app, rid)
    assert (loan.pages, loan.delivery, loan.mail_address) == ("both", "post", "北京市海淀区中关村大街1号")


def test_loan_defaults_to_own_page_collected(app, login, world):
    """A loan entered without choosing pages or hand-over is the member's own page, collected in person."""
    rid = new_resident(app, world["dept_a"])
    assert _loan_form(login("t_officer"), rid).status_code == 302
    [loan] = _loans_of(app, rid)
    assert (loan.pages, loan.delivery, loan.mail_address) == ("personal", "pickup", None)


@pytest.mark.parametrize("deposit,refunded", [("300", True), (None, False)])
def test_one_click_return_refunds_the_deposit(app, login, world, deposit, refunded):
    """The list's 「归还」 button returns the page today; a deposit taken is refunded the same day (audited)."""
    rid = new_resident(app, world["dept_a"])
    loan = new_loan(app, rid)
    with app.app_context():
        db.session.get(PageLoan, loan).deposit = Decimal(deposit) if deposit else None
        db.session.commit()
    c = login("t_officer")
    page = c.get(f"/pageloanview/list/?_flt_0_resident={rid}").get_data(as_text=True)
    assert f'action="/pageloanview/action/return_page/{loan}"' in page
    assert c.post(f"/pageloanview/action/return_page/{loan}", data={"csrf_token": c.csrf}).status_code == 302
    row = get(app, PageLoan, loan)
    assert row.returned_on == TODAY
    assert row.deposit_refunded_on == (TODAY if refunded else None)
    assert audit_actions(app, "PageLoan", loan).count("return_page") == 1


@pytest.mark.parametrize("user", ["t_leader", "t_auditor", "t_finance"])
def test_readers_get_no_return_button(app, login, world, user):
    """Read-only roles see the loan but no return button."""
    loan = new_loan(app, new_resident(app, world["dept_a"]))
    page = login(user).get("/pageloanview/list/").get_data(as_text=True)
    assert f"/pageloanview/print/{loan}" in page
    assert f'action="/pageloanview/action/return_page/{loan}"' not in page


def test_print_form_shows_due_date_and_masks_the_id(app, login, world):
    """The 借用登记单 carries the return date and signature lines, the ID number masked."""
    rid = new_resident(app, world["dept_a"])
    loan = new_loan(app, rid, due=TODAY + dt.timedelta(days=9))
    with app.app_context():
        number = db.session.get(Resident, rid).id_number
    html = login("t_officer").get(f"/pageloanview/print/{loan}").get_data(as_text=True)
    assert "集体户口页借用登记单" in html and (TODAY + dt.timedelta(days=9)).isoformat() in html
    from app.domain.masking import mask_id

    assert "借用人签字" in html and number not in html and mask_id(number) in html
    assert english_words(html) == set()


def test_print_form_respects_row_scope(app, login, world):
    """An employee prints their own loan form, not someone else's (404); approvers have no loans at all."""
    mine, other = new_loan(app, world["res_a"]), new_loan(app, world["res_b"])
    c = login("t_employee_a")
    assert c.get(f"/pageloanview/print/{mine}").status_code == 200
    assert c.get(f"/pageloanview/print/{other}").status_code == 404
    assert login("t_approver_a").get(f"/pageloanview/print/{mine}").status_code == 403


def _pay(c, fee: int, **fields):
    data = {"paid_amount": "300.00", "pay_method": "transfer", "receipt_no": "SJ-2026-0001",
            "paid_on": TODAY.isoformat(), "csrf_token": c.csrf, **fields}
    return c.post(f"/feeview/payment/{fee}", data=data)


def test_payment_form_records_amount_method_receipt_and_date(app, login, world):
    """Finance records a payment with its details; it is audited and shown on the fee."""
    fee = new_fee(app, world["res_a"])
    c = login("t_finance")
    form = c.get(f"/feeview/payment/{fee}").get_data(as_text=True)
    assert 'value="300.00"' in form and "现金" in form and "转账" in form and "收据号" in form
    assert english_words(form) == set()
    paid_on = TODAY - dt.timedelta(days=2)
    assert _pay(c, fee, paid_amount="280.50", paid_on=paid_on.isoformat()).status_code == 302
    row = get(app, Fee, fee)
    assert (row.status, row.paid_amount, row.pay_method, row.receipt_no, row.paid_on) == (
        "paid", Decimal("280.50"), "transfer", "SJ-2026-0001", paid_on)
    assert "fee_pay" in audit_actions(app, "Fee", fee)
    show = c.get(f"/feeview/show/{fee}").get_data(as_text=True)
    assert "SJ-2026-0001" in show and "转账" in show


@pytest.mark.parametrize("fields,message", [
    ({"receipt_no": ""}, "收据号"),
    ({"paid_on": (TODAY + dt.timedelta(days=1)).isoformat()}, "缴费日期：不能晚于今天"),
    ({"pay_method": "bitcoin"}, "缴费方式"),
    ({"paid_amount": "0"}, "实缴金额"),
])
def test_payment_form_refuses_bad_input(app, login, world, fields, message):
    """Each bad field re-shows the form with a Chinese message naming it; the fee stays unpaid."""
    fee = new_fee(app, world["res_a"])
    r = _pay(login("t_finance"), fee, **fields)
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    assert get(app, Fee, fee).status == "unpaid"


def test_payment_of_a_paid_fee_is_refused(app, login, world):
    """A fee already paid cannot be paid twice; its first payment stays."""
    fee = new_fee(app, world["res_a"], status="paid")
    _pay(login("t_finance"), fee, receipt_no="SECOND")
    assert get(app, Fee, fee).receipt_no is None


@pytest.mark.parametrize("user,status", [("t_officer", 403), ("t_leader", 403), ("t_employee_a", 403),
                                         ("t_admin", 302)])
def test_payment_form_permissions(app, login, world, user, status):
    """Only fee writers record payments."""
    fee = new_fee(app, world["res_a"])
    assert _pay(login(user), fee).status_code == status
    assert (get(app, Fee, fee).status == "paid") == (status == 302)


def test_fee_list_has_due_date_wording_and_a_total_row(app, login, world):
    """「应缴日期」 heads the column; the total row sums every visible fee, all pages."""
    for amount in ("10.00", "20.50"):
        new_fee(app, world["res_b"], amount=amount)
    html = login("t_finance").get("/feeview/list/").get_data(as_text=True)
    with app.app_context():
        count = db.session.scalar(select(func.count(Fee.id)))
        due = db.session.scalar(select(func.sum(Fee.amount)))
        paid = sum((f.paid_amount if f.paid_amount is not None else f.amount)
                   for f in db.session.scalars(select(Fee).where(Fee.status.in_(("paid", "refunded")))))
    assert "应缴日期" in html and f"合计（{count} 笔）" in html
    assert f'data-hk-total="amount">{due:.2f}<' in html and f'data-hk-total="paid">{paid:.2f}<' in html


def test_move_out_application_shows_the_applicants_fees(app, login, world):
    """A move-out's page lists the applicant's fees for fee readers (unpaid ones block completion)."""
    rid = new_resident(app, world["dept_a"])
    new_fee(app, rid, amount="123.45")
    with app.app_context():
        application = Application(type="move_out", resident_id=rid, department_id=world["dept_a"],
                                  status="at_police", destination="上海市")
        db.session.add(application)
        db.session.commit()
        pk = application.id
    html = login("t_officer").get(f"/applicationview/show/{pk}").get_data(as_text=True)
    assert "申请人的费用与押金" in html and "123.45" in html
    assert "申请人的费用与押金" not in login("t_approver_a").get(f"/applicationview/show/{pk}").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/reports/dashboard", "/reports/monthly?month=2025-03", "/reports/annual?year=2025"])
def test_report_pages_have_no_english(login, url):
    """The statistics pages are Chinese throughout."""
    assert english_words(login("t_officer").get(url).get_data(as_text=True)) == set()
