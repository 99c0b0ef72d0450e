"""Page loans (户口页借用), fees (挂靠费/押金) and archive records (档案): the screens."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.actions import action
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext, lazy_gettext as _l
from markupsafe import Markup
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from ..web.labels import FEE_LABELS, RECORD_LABELS
from ..domain.errors import DomainError, Message, N_
from ..forms import enum_select
from ..i18n import render
from ..models import ArchiveRecord, Fee, PageLoan
from ..models.records import DELIVERIES, FEE_KINDS, FEE_STATUSES, LOAN_PAGES, PAY_METHODS
from ..security.roles import resource_permissions
from ..security.actor import request_unit
from ..services.records import (FEE_MOVES, check_loan, default_deposit, default_due, loan_problem, move_fee,
                                pay_fee, return_loan, today)
from . import formatters as f
from ..dao import not_found
from .base import READ_WRITE_PERMISSIONS, HukouInterface, HukouModelView
from .lookup import ResidentPickerField
from .org import ShownError

LABELS = RECORD_LABELS


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


def required_when_posted(form, field) -> None:
    """The mailing address is required when the page is sent by post."""
    if form.delivery.data == "post" and not (field.data or "").strip():
        raise ValidationError(gettext("Mailing address: required when the page is sent by post"))


def _loan_fields() -> dict:
    """Dates default to today / today + HUKOU_LOAN_DAYS; deposit to HUKOU_LOAN_DEPOSIT."""
    return {
        "resident": ResidentPickerField(_l("Resident name"), validators=[DataRequired(), Loanable()]),
        "lent_on": DateField(_l("Lent on"), default=today, validators=[DataRequired()]),
        "due_on": DateField(_l("Due on"), default=default_due, validators=[DataRequired()]),
        "deposit": DecimalField(_l("Deposit"), default=default_deposit, places=2,
                                validators=[Optional(), not_negative]),
        "pages": enum_select(_l("Pages lent"), LOAN_PAGES, required=False),
        "delivery": enum_select(_l("Hand-over"), DELIVERIES, required=False),
        "mail_address": StringField(_l("Mailing address"), validators=[required_when_posted, Length(max=200)]),
    }


class PageLoanView(HukouModelView):
    """Page loans: the officer records loans and returns; readers see them (scoped through the resident)."""

    datamodel = LoanInterface(PageLoan)
    class_permission_name = "PageLoan"
    base_permissions = resource_permissions("PageLoan")
    method_permission_name = {**READ_WRITE_PERMISSIONS, "return_page": "write", "print_form": "read",
}
    list_title = _l("Page loans")
    show_title = _l("Page loan")
    add_title = _l("Record a page loan")
    edit_title = _l("Edit page loan")
    label_columns = LABELS
    list_columns = ["resident", "purpose", "pages", "lent_on", "due_on", "returned_on", "deposit"]
    show_columns = ["resident", "application", "purpose", "pages", "lent_on", "due_on", "returned_on", "deposit",
                    "deposit_refunded_on", "delivery", "mail_address", "note"]
    add_columns = ["resident", "purpose", "pages", "lent_on", "due_on", "deposit", "delivery", "mail_address",
                   "note"]
    edit_columns = ["purpose", "pages", "due_on", "deposit", "delivery", "mail_address", "note"]
    search_columns = ["purpose", "lent_on", "due_on", "returned_on"]
    order_columns = ["lent_on", "due_on", "returned_on"]
    base_order = ("due_on", "asc")
    add_form_extra_fields = _loan_fields()
    edit_form_extra_fields = {k: v for k, v in _loan_fields().items() if k not in ("lent_on", "resident")}
    formatters_columns = {"lent_on": f.fmt_date, "due_on": f.fmt_date, "returned_on": f.fmt_date,
                          "deposit_refunded_on": f.fmt_date, "pages": f.fmt_label(LOAN_PAGES),
                          "delivery": f.fmt_label(DELIVERIES)}
    list_widget = LoanListWidget
    show_template = "loan_show.html"  # FAB's show page + the 「催办」 button (app/desk/remind_views.py)

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
                with request_unit() as uow:
                    return_loan(uow, item.id)
                done += 1
            except DomainError as err:
                self.flash_domain_error(err)
        if done:
            flash(gettext("%(count)s page(s) recorded as returned", count=done), "success")
        return self.back()

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk: int):
        """The printable 借用登记单 of one visible loan (ID number masked; signatures by hand)."""
        from ..domain.masking import mask_id

        item = self.visible_item(pk)
        if item is None:
            raise not_found(PageLoan, pk)
        return self.render_template("records_loan_print.html", loan=item, masked_id=mask_id(item.resident.id_number),
                                    pages=LOAN_PAGES, deliveries=DELIVERIES, fmt_date=f.fmt_date)


def _fee_fields() -> dict:
    """Kind as a translated select; amount non-negative."""
    return {"resident": ResidentPickerField(_l("Resident name"), validators=[DataRequired()]),
            "kind": enum_select(_l("Fee kind"), FEE_KINDS),
            "amount": DecimalField(_l("Amount"), places=2, validators=[DataRequired(message=_l(
                "Enter the amount")), not_negative])}


class FeeListWidget(ListWidget):
    """FAB's list with a total row (amount due, amount paid) under it."""

    template = "records_fee_list.html"


def fee_totals(datamodel, filters) -> dict:
    """Count, amount due and amount paid of every fee the list's filters select (the whole list, not a page)."""
    from sqlalchemy import case, func

    from ..extensions import db

    query = datamodel._apply_inner_all(db.session.query(Fee), filters, "", "", aliases_mapping={})
    # a fee paid before the payment details existed counts its full amount as paid
    paid_col = case((Fee.status.in_(("paid", "refunded")), func.coalesce(Fee.paid_amount, Fee.amount)), else_=None)
    count, due, paid = query.order_by(None).enable_eagerloads(False).with_entities(
        func.count(Fee.id), func.coalesce(func.sum(Fee.amount), 0), func.coalesce(func.sum(paid_col), 0)).one()
    return {"count": count, "amount": due, "paid": paid}


class PaymentForm(FlaskForm):
    """What recording a payment asks."""

    paid_amount = DecimalField(_l("Amount paid"), places=2, validators=[DataRequired(message=_l(
        "Enter the amount")), not_negative])
    pay_method = enum_select(_l("Payment method"), PAY_METHODS)
    receipt_no = StringField(_l("Receipt number"), validators=[DataRequired(message=_l("Enter the receipt number")),
                                                                Length(max=50)])
    paid_on = DateField(_l("Paid on"), validators=[DataRequired()])


class _SomeActions(dict):
    """An action dict that stays truthy when empty (FAB replaces a falsy one by every action of the view)."""

    def __bool__(self) -> bool:
        return True


class FeeView(HukouModelView):
    """Fees and deposits: Finance records them and their payment, refund or waiver; others read."""

    datamodel = HukouInterface(Fee)
    class_permission_name = "Fee"
    base_permissions = resource_permissions("Fee")
    method_permission_name = {**READ_WRITE_PERMISSIONS, "pay": "write", "refund": "write", "waive": "write",
                              "payment": "write"}
    list_title = _l("Fees")
    show_title = _l("Fee")
    add_title = _l("Add fee")
    edit_title = _l("Edit fee")
    label_columns = FEE_LABELS
    list_columns = ["resident", "kind", "amount", "status", "due_on", "paid_on", "paid_amount", "pay_method",
                    "receipt_no"]
    show_columns = ["resident", "application", "kind", "amount", "status", "due_on", "paid_on", "paid_amount",
                    "pay_method", "receipt_no", "note"]
    add_columns = ["resident", "kind", "amount", "due_on", "note"]
    edit_columns = ["kind", "amount", "due_on", "note"]
    search_columns = ["status", "kind", "due_on", "paid_on", "amount"]
    order_columns = ["kind", "amount", "status", "due_on", "paid_on"]
    base_order = ("due_on", "desc")
    add_form_extra_fields = _fee_fields()
    edit_form_extra_fields = {k: v for k, v in _fee_fields().items() if k != "resident"}
    formatters_columns = {"kind": f.fmt_label(FEE_KINDS), "status": f.fmt_label(FEE_STATUSES),
                          "due_on": f.fmt_date, "paid_on": f.fmt_date, "pay_method": f.fmt_label(PAY_METHODS)}
    list_widget = FeeListWidget

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        """The fee's page offers only the status changes its status allows (a paid fee: refund only)."""
        allowed = {move for move, (src, _dst, _msg) in FEE_MOVES.items() if src == item.status}
        actions = _SomeActions({k: v for k, v in (actions or self.actions).items() if k in allowed})
        return super()._get_show_widget(pk, item, widgets=widgets, actions=actions, show_fieldsets=show_fieldsets)

    def _get_list_widget(self, filters, **kwargs):
        """FAB's list plus the totals of every row the filters select (all pages, row scope included)."""
        widgets = super()._get_list_widget(filters, **kwargs)
        widgets["list"].template_args["totals"] = fee_totals(self.datamodel, filters)
        return widgets

    @expose("/payment/<int:pk>", methods=["GET", "POST"])
    @has_access
    def payment(self, pk: int):
        """「登记缴费」: amount, method (现金/转账/其他), receipt number and date of one unpaid fee."""
        item = self.visible_item(pk)
        if item is None:
            raise not_found(Fee, pk)
        if item.status != "unpaid":  # a paid, refunded or waived fee is final: no payment form to offer
            flash(render(Message("fee_cannot_pay", FEE_MOVES["pay"][2],
                                 {"id": item.id, "status": FEE_STATUSES.get(item.status, item.status)})), "warning")
            return redirect(url_for("FeeView.show", pk=item.id))
        form = PaymentForm(request.form if request.method == "POST" else None,
                           data={"paid_amount": item.amount, "paid_on": today()})
        if request.method == "POST" and form.validate():
            try:
                with request_unit() as uow:
                    pay_fee(uow, item.id, form.paid_amount.data, form.pay_method.data, form.receipt_no.data,
                            form.paid_on.data)
            except DomainError as err:
                self.flash_domain_error(err)
            else:
                flash(gettext("Payment recorded"), "success")
                return redirect(url_for("FeeView.show", pk=item.id))
        return self.render_template("records_fee_payment.html", fee=item, form=form, kinds=FEE_KINDS,
                                    statuses=FEE_STATUSES, fmt_date=f.fmt_date)

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
                with request_unit() as uow:
                    move_fee(uow, item.id, move)
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
