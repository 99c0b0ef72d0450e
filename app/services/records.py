"""Page loans and fees: the rules and writes shared by the screens and the REST API (no views here)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select, update

from .. import clock
from ..domain.errors import DomainError, Message, N_, NotPossible
from ..extensions import db
from ..models import Fee, PageLoan, Resident
from ..models.records import FEE_STATUSES
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
    """All rules of a new or edited loan; raises DomainError with every problem found."""
    problems = []
    if resident is not None and loan.id is None:
        problem = loan_problem(resident)
        if problem:
            problems.append(problem)
    if loan.lent_on and loan.due_on and loan.due_on < loan.lent_on:
        problems.append(Message("due_before_lent", N_("The due date must not be before the lending date")))
    if loan.deposit is not None and loan.deposit < 0:
        problems.append(Message("deposit_negative", N_("Deposit must not be negative")))
    if problems:
        raise DomainError(*problems)


def return_loan(uow, loan_id: int, on: dt.date | None = None) -> dt.date:
    """Mark a loan returned (conditional UPDATE, so two clicks return it once) and audit it in the unit."""
    on = on or today()
    result = uow.session.execute(update(PageLoan).where(PageLoan.id == loan_id, PageLoan.returned_on.is_(None))
                                 .values(returned_on=on).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise DomainError(Message("loan_already_returned", N_("Page loan #%(id)s was already returned"),
                                  {"id": loan_id}))
    uow.record("return_page", object_type="PageLoan", object_id=loan_id,
               detail={"returned_on": [None, on.isoformat()]})
    return on


def move_fee(uow, fee_id: int, move: str) -> None:
    """Apply a fee status change (pay / refund / waive) only from its expected status; audit it in the unit."""
    src, dst, refusal = FEE_MOVES[move]
    values: dict = {"status": dst}
    if move == "pay":
        values["paid_on"] = today()
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
