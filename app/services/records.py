"""Page loans and fees: the rules and writes shared by the screens and the REST API (no views here)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import case, select, update

from .. import clock
from ..domain.errors import DomainError, Message, N_, NotPossible
from ..extensions import db
from ..models import Fee, PageLoan, Resident
from ..models.records import DELIVERIES, FEE_STATUSES, LOAN_PAGES, PAY_METHODS
from ..models.resident import RESIDENT_STATUSES

# name → (from status, to status, msgid of the refusal)
FEE_MOVES = {
    "pay": ("unpaid", "paid", N_("Fee #%(id)s cannot be recorded as paid: its status is %(status)s")),
    "refund": ("paid", "refunded", N_("Fee #%(id)s cannot be refunded: its status is %(status)s")),
    "waive": ("unpaid", "waived", N_("Fee #%(id)s cannot be waived: its status is %(status)s")),
}


def today() -> dt.date:
    """The local calendar day (loans and payments are dated by the office's day)."""
    return clock.today()


def default_due() -> dt.date:
    """Today plus HUKOU_LOAN_DAYS."""
    return today() + dt.timedelta(days=current_app.config["HUKOU_LOAN_DAYS"])


def default_deposit() -> Decimal | None:
    """The configured loan deposit (HUKOU_LOAN_DEPOSIT), None if unset or unreadable."""
    try:
        return Decimal(str(current_app.config.get("HUKOU_LOAN_DEPOSIT") or "0"))
    except InvalidOperation:
        return None


def loan_problem(resident: Resident) -> Message | None:
    """Why `resident` cannot borrow the page now (not in the household, or a page still out), else None."""
    if resident.status != "active":
        return Message("resident_not_active", N_(
            "%(name)s is not in the household (status: %(status)s); the page cannot be lent"),
            {"name": resident.name, "status": RESIDENT_STATUSES.get(resident.status, resident.status)})
    with db.session.no_autoflush:
        open_loan = db.session.scalar(select(PageLoan.lent_on).where(
            PageLoan.resident_id == resident.id, PageLoan.returned_on.is_(None)).limit(1))
    if open_loan is not None:
        return Message("loan_open", N_(
            "%(name)s has not returned the page lent on %(lent_on)s; record the return first"),
            {"name": resident.name, "lent_on": open_loan.isoformat()})
    return None


def check_loan(loan: PageLoan, resident: Resident | None) -> None:
    """All rules of a new or edited loan (new ones get the usual pages and hand-over); raises DomainError with every
    problem found."""
    problems = []
    if loan.id is None:  # the usual loan: the member's own page, collected in person
        loan.pages = loan.pages or "personal"
        loan.delivery = loan.delivery or "pickup"
    if resident is not None and loan.id is None:
        problem = loan_problem(resident)
        if problem:
            problems.append(problem)
    if loan.lent_on and loan.due_on and loan.due_on < loan.lent_on:
        problems.append(Message("due_before_lent", N_("The due date must not be before the lending date")))
    if loan.deposit is not None and loan.deposit < 0:
        problems.append(Message("deposit_negative", N_("Deposit must not be negative")))
    if loan.pages is not None and loan.pages not in LOAN_PAGES:
        problems.append(Message("loan_pages", N_("Pages lent: choose one of the listed pages")))
    if loan.delivery is not None and loan.delivery not in DELIVERIES:
        problems.append(Message("loan_delivery", N_("Hand-over: choose collected in person or sent by post")))
    loan.mail_address = (loan.mail_address or "").strip() or None
    if loan.delivery == "post" and not loan.mail_address:
        problems.append(Message("mail_address_required", N_("Mailing address: required when the page is sent "
                                                             "by post")))
    if problems:
        raise DomainError(*problems)


def return_loan(uow, loan_id: int, on: dt.date | None = None) -> dt.date:
    """Mark a loan returned (conditional UPDATE, so two clicks return it once) and audit it in the unit; a deposit
    taken is refunded the same day (the page is back, the office hands the deposit back)."""
    on = on or today()
    refund = case((PageLoan.deposit > 0, on), else_=None)
    result = uow.session.execute(update(PageLoan).where(PageLoan.id == loan_id, PageLoan.returned_on.is_(None))
                                 .values(returned_on=on, deposit_refunded_on=refund)
                                 .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise DomainError(Message("loan_already_returned", N_("Page loan #%(id)s was already returned"),
                                  {"id": loan_id}))
    detail = {"returned_on": [None, on.isoformat()]}
    if uow.session.scalar(select(PageLoan.deposit_refunded_on).where(PageLoan.id == loan_id)):
        detail["deposit_refunded_on"] = [None, on.isoformat()]
    uow.record("return_page", object_type="PageLoan", object_id=loan_id, detail=detail)
    return on


def move_fee(uow, fee_id: int, move: str) -> None:
    """Apply a fee status change (pay / refund / waive) only from its expected status; audit it in the unit."""
    src, dst, refusal = FEE_MOVES[move]
    values: dict = {"status": dst}
    if move == "pay":  # the quick action: the full amount, today (the payment form records the details)
        values["paid_on"] = today()
        values["paid_amount"] = Fee.amount
    result = uow.session.execute(update(Fee).where(Fee.id == fee_id, Fee.status == src).values(**values)
                                 .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        status = uow.session.scalar(select(Fee.status).where(Fee.id == fee_id))
        raise DomainError(Message(f"fee_cannot_{move}", refusal,
                                  {"id": fee_id, "status": FEE_STATUSES.get(status, status)}))
    detail = {"status": [src, dst]}
    if move == "pay":
        detail["paid_on"] = [None, values["paid_on"].isoformat()]
    uow.record(f"fee_{move}", object_type="Fee", object_id=fee_id, detail=detail)


def payment_problems(amount: Decimal | None, method: str | None, receipt_no: str | None,
                     paid_on: dt.date | None) -> list[Message]:
    """What is wrong with a payment as entered (each message names its field)."""
    problems = []
    if amount is None or amount <= 0:
        problems.append(Message("paid_amount", N_("Amount paid: enter an amount greater than zero")))
    if method not in PAY_METHODS:
        problems.append(Message("pay_method", N_("Payment method: choose cash, bank transfer or other")))
    if not (receipt_no or "").strip():
        problems.append(Message("receipt_no", N_("Receipt number: required")))
    if paid_on is None or paid_on > today():
        problems.append(Message("paid_on", N_("Paid on: enter a date that is not in the future")))
    return problems


def pay_fee(uow, fee_id: int, amount: Decimal | None, method: str | None, receipt_no: str | None,
            paid_on: dt.date | None) -> None:
    """Record a payment with its amount, method, receipt number and date (only an unpaid fee); audit it."""
    problems = payment_problems(amount, method, receipt_no, paid_on)
    if problems:
        raise DomainError(*problems)
    values = {"status": "paid", "paid_on": paid_on, "paid_amount": amount, "pay_method": method,
              "receipt_no": receipt_no.strip()[:50]}
    result = uow.session.execute(update(Fee).where(Fee.id == fee_id, Fee.status == "unpaid").values(**values)
                                 .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        status = uow.session.scalar(select(Fee.status).where(Fee.id == fee_id))
        raise NotPossible(Message("fee_cannot_pay", FEE_MOVES["pay"][2],
                                  {"id": fee_id, "status": FEE_STATUSES.get(status, status)}))
    uow.record("fee_pay", object_type="Fee", object_id=fee_id, detail={
        "status": ["unpaid", "paid"], "paid_on": [None, paid_on.isoformat()], "paid_amount": [None, str(amount)],
        "pay_method": [None, method], "receipt_no": [None, values["receipt_no"]]})
