"""Page loans (户口页借用), fees (挂靠费/押金) and archive records (档案), plus the writes they share with the API."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import current_app, flash, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select, update
from wtforms import DateField, DecimalField, ValidationError
from wtforms.validators import DataRequired, Optional

from .. import audit
from ..domain.errors import DomainError, Message, N_
from ..extensions import db
from ..forms import enum_select
from ..i18n import render
from ..models import ArchiveRecord, Fee, PageLoan, Resident
from ..models.records import FEE_KINDS, FEE_STATUSES
from ..models.resident import RESIDENT_STATUSES
from ..security.roles import resource_permissions
from . import formatters as f
from .base import READ_WRITE_PERMISSIONS, SCOPED, HukouInterface, HukouModelView
from .lookup import ResidentPickerField
from .org import ShownError

LABELS = {
    "resident": _l("Resident name"), "application": _l("Application no."), "purpose": _l("Purpose"),
    "lent_on": _l("Lent on"), "due_on": _l("Due on"), "returned_on": _l("Returned on"),
    "deposit": _l("Deposit"), "note": _l("Note"), "kind": _l("Fee kind"), "amount": _l("Amount"),
    "status": _l("Payment status"), "paid_on": _l("Paid on"), "archive_no": _l("Archive number"),
    "year": _l("Year"), "seq": _l("Sequence"), "location": _l("Cabinet location"),
    "created_at": _l("Archived at"), "application.resident": _l("Resident name"),
}
# name → (from status, to status, msgid of the refusal)
FEE_MOVES = {
    "pay": ("unpaid", "paid", N_("Fee #%(id)s cannot be recorded as paid: its status is %(status)s")),
    "refund": ("paid", "refunded", N_("Fee #%(id)s cannot be refunded: its status is %(status)s")),
    "waive": ("unpaid", "waived", N_("Fee #%(id)s cannot be waived: its status is %(status)s")),
}


def today() -> dt.date:
    """The local calendar day (loans and payments are dated by the office's day)."""
    return dt.date.today()


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


def return_loan(loan_id: int, on: dt.date | None = None) -> dt.date:
    """Mark a loan returned (conditional UPDATE, so two clicks return it once), audit it, commit."""
    on = on or today()
    result = db.session.execute(update(PageLoan).where(PageLoan.id == loan_id, PageLoan.returned_on.is_(None))
                                .values(returned_on=on).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(Message("loan_already_returned", N_("Page loan #%(id)s was already returned"),
                                  {"id": loan_id}))
    audit.record(db.session, "return_page", object_type="PageLoan", object_id=loan_id,
                 detail={"returned_on": [None, on.isoformat()]})
    db.session.commit()
    return on


def move_fee(fee_id: int, move: str) -> None:
    """Apply a fee status change (pay / refund / waive) only from its expected status; audit it; commit."""
    src, dst, refusal = FEE_MOVES[move]
    values: dict = {"status": dst}
    if move == "pay":
        values["paid_on"] = today()
    result = db.session.execute(update(Fee).where(Fee.id == fee_id, Fee.status == src).values(**values)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        status = db.session.scalar(select(Fee.status).where(Fee.id == fee_id))
        raise DomainError(Message(f"fee_cannot_{move}", refusal,
                                  {"id": fee_id, "status": FEE_STATUSES.get(status, status)}))
    detail = {"status": [src, dst]}
    if move == "pay":
        detail["paid_on"] = [None, values["paid_on"].isoformat()]
    audit.record(db.session, f"fee_{move}", object_type="Fee", object_id=fee_id, detail=detail)
    db.session.commit()


class Loanable:
    """Form validator: the chosen resident is in the household and has no page out."""

    def __call__(self, form, field) -> None:
        """Raise the Chinese message naming the resident."""
        if field.data is not None:
            problem = loan_problem(field.data)
            if problem:
                raise ValidationError(render(problem))


def not_negative(form, field) -> None:
    """Amounts and deposits are zero or more."""
    if field.data is not None and field.data < 0:
        raise ValidationError(gettext("Amount must not be negative"))


class LoanInterface(HukouInterface):
    """Loans are listed open first, whatever column the user sorts by."""

    def apply_order_by(self, query, order_column, order_direction, *args, **kwargs):
        """Open loans (returned_on IS NULL) before returned ones, then the requested order."""
        if self.obj is PageLoan:  # FAB builds related interfaces (the resident dropdown) from this class too
            query = query.order_by(PageLoan.returned_on.is_not(None))
        return super().apply_order_by(query, order_column, order_direction, *args, **kwargs)


class LoanListWidget(ListWidget):
    """FAB's list with overdue loans highlighted."""

    template = "records_loan_list.html"

    def __call__(self, **kwargs):
        """Render with today's date for the overdue test."""
        kwargs["today"] = today()
        return super().__call__(**kwargs)


def _loan_fields() -> dict:
    """Dates default to today / today + HUKOU_LOAN_DAYS; deposit to HUKOU_LOAN_DEPOSIT."""
    return {
        "resident": ResidentPickerField(_l("Resident name"), validators=[DataRequired(), Loanable()]),
        "lent_on": DateField(_l("Lent on"), default=today, validators=[DataRequired()]),
        "due_on": DateField(_l("Due on"), default=default_due, validators=[DataRequired()]),
        "deposit": DecimalField(_l("Deposit"), default=default_deposit, places=2,
                                validators=[Optional(), not_negative]),
    }


class PageLoanView(HukouModelView):
    """Page loans: the officer records loans and returns; readers see them (scoped through the resident)."""

    datamodel = LoanInterface(PageLoan)
    class_permission_name = "PageLoan"
    base_permissions = resource_permissions("PageLoan")
    method_permission_name = {**READ_WRITE_PERMISSIONS, "return_page": "write"}
    list_title = _l("Page loans")
    show_title = _l("Page loan")
    add_title = _l("Record a page loan")
    edit_title = _l("Edit page loan")
    label_columns = LABELS
    list_columns = ["resident", "purpose", "lent_on", "due_on", "returned_on", "deposit"]
    show_columns = ["resident", "application", "purpose", "lent_on", "due_on", "returned_on", "deposit", "note"]
    add_columns = ["resident", "purpose", "lent_on", "due_on", "deposit", "note"]
    edit_columns = ["purpose", "due_on", "deposit", "note"]
    search_columns = ["purpose", "lent_on", "due_on", "returned_on"]
    order_columns = ["lent_on", "due_on", "returned_on"]
    base_order = ("due_on", "asc")
    add_form_extra_fields = _loan_fields()
    edit_form_extra_fields = {k: v for k, v in _loan_fields().items() if k not in ("lent_on", "resident")}
    formatters_columns = {"lent_on": f.fmt_date, "due_on": f.fmt_date, "returned_on": f.fmt_date}
    list_widget = LoanListWidget

    def pre_add(self, item: PageLoan) -> None:
        """Re-check the rules inside the write transaction (the form check may be stale)."""
        try:
            check_loan(item, item.resident)
        except DomainError as err:
            raise ShownError(err) from err

    def pre_update(self, item: PageLoan) -> None:
        """Dates and deposit stay consistent."""
        try:
            check_loan(item, None)
        except DomainError as err:
            raise ShownError(err) from err

    @action("return_page", _l("Return the page"), _l("Record that the page was returned today?"),
            "fa-undo", multiple=True)
    def return_page(self, items):
        """Record today's return of each selected loan; already-returned ones are reported by number."""
        items = items if isinstance(items, list) else [items]
        done = 0
        for item in items:
            try:
                return_loan(item.id)
                done += 1
            except DomainError as err:
                self.flash_domain_error(err)
        if done:
            flash(gettext("%(count)s page(s) recorded as returned", count=done), "success")
        return self.back()


def _fee_fields() -> dict:
    """Kind as a translated select; amount non-negative."""
    return {"resident": ResidentPickerField(_l("Resident name"), validators=[DataRequired()]),
            "kind": enum_select(_l("Fee kind"), FEE_KINDS),
            "amount": DecimalField(_l("Amount"), places=2, validators=[DataRequired(message=_l(
                "Enter the amount")), not_negative])}


class FeeView(HukouModelView):
    """Fees and deposits: Finance records them and their payment, refund or waiver; others read."""

    datamodel = HukouInterface(Fee)
    class_permission_name = "Fee"
    base_permissions = resource_permissions("Fee")
    method_permission_name = {**READ_WRITE_PERMISSIONS, "pay": "write", "refund": "write", "waive": "write"}
    list_title = _l("Fees")
    show_title = _l("Fee")
    add_title = _l("Add fee")
    edit_title = _l("Edit fee")
    label_columns = LABELS
    list_columns = ["resident", "kind", "amount", "status", "due_on", "paid_on"]
    show_columns = ["resident", "application", "kind", "amount", "status", "due_on", "paid_on", "note"]
    add_columns = ["resident", "kind", "amount", "due_on", "note"]
    edit_columns = ["kind", "amount", "due_on", "note"]
    search_columns = ["status", "kind", "due_on", "paid_on", "amount"]
    order_columns = ["kind", "amount", "status", "due_on", "paid_on"]
    base_order = ("due_on", "desc")
    add_form_extra_fields = _fee_fields()
    edit_form_extra_fields = {k: v for k, v in _fee_fields().items() if k != "resident"}
    formatters_columns = {"kind": f.fmt_label(FEE_KINDS), "status": f.fmt_label(FEE_STATUSES),
                          "due_on": f.fmt_date, "paid_on": f.fmt_date}

    def pre_add(self, item: Fee) -> None:
        """New fees are unpaid."""
        item.status = "unpaid"
        item.paid_on = None

    def pre_update(self, item: Fee) -> None:
        """Only unpaid fees may be changed; paid, refunded and waived ones are final records."""
        if item.status != "unpaid":
            raise ShownError(DomainError(Message("fee_final", N_(
                "Fee #%(id)s is %(status)s and can no longer be edited"),
                {"id": item.id, "status": FEE_STATUSES.get(item.status, item.status)})))

    def _move(self, items, move: str):
        """Apply one status change to the selected fees, flashing each refusal."""
        items = items if isinstance(items, list) else [items]
        done = 0
        for item in items:
            try:
                move_fee(item.id, move)
                done += 1
            except DomainError as err:
                self.flash_domain_error(err)
        if done:
            flash(gettext("%(count)s fee(s) updated", count=done), "success")
        return self.back()

    @action("pay", _l("Record payment"), _l("Record the selected fees as paid today?"), "fa-check", multiple=True)
    def pay(self, items):
        """unpaid → paid, paid_on today."""
        return self._move(items, "pay")

    @action("refund", _l("Refund"), _l("Refund the selected fees?"), "fa-undo", multiple=True)
    def refund(self, items):
        """paid → refunded."""
        return self._move(items, "refund")

    @action("waive", _l("Waive"), _l("Waive the selected fees?"), "fa-ban", multiple=True)
    def waive(self, items):
        """unpaid → waived."""
        return self._move(items, "waive")


def application_link(app_obj) -> Markup | str:
    """A link to the application's page (plain text if that screen is not registered)."""
    if app_obj is None:
        return ""
    try:
        href = url_for("ApplicationView.show", pk=app_obj.id)
    except Exception:  # the applications screen may be absent in a partial install
        return str(app_obj)
    return Markup('<a href="{}">{}</a>').format(href, str(app_obj))


class ArchiveRecordView(HukouModelView):
    """Archive records: read-only (the workflow's archive action creates them); scoped via the application."""

    datamodel = HukouInterface(ArchiveRecord)
    class_permission_name = "ArchiveRecord"
    base_permissions = resource_permissions("ArchiveRecord")
    include_route_methods = {"list", "show"}
    list_title = _l("Archive records")
    show_title = _l("Archive record")
    label_columns = LABELS
    list_columns = ["archive_no", "application", "application.resident", "location", "created_at"]
    show_columns = ["archive_no", "year", "seq", "application", "application.resident", "location",
                    "created_at"]
    search_columns = ["archive_no", "location", "year", "created_at"]
    order_columns = ["archive_no", "location", "created_at"]
    base_order = ("archive_no", "desc")
    formatters_columns = {"application": application_link, "created_at": f.fmt_date}


def register(appbuilder) -> None:
    """Loans and fees under 登记 (Register), archive records under 申请 (Applications)."""
    from .menu import APPLICATIONS, REGISTER

    appbuilder.add_view(PageLoanView, "PageLoans", label=_l("Page loans"), icon="fa-book", **REGISTER)
    appbuilder.add_view(FeeView, "Fees", label=_l("Fees"), icon="fa-jpy", **REGISTER)
    appbuilder.add_view(ArchiveRecordView, "ArchiveRecords", label=_l("Archive records"), icon="fa-archive",
                        **APPLICATIONS)
