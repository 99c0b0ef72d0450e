"""/api/v1/loans/ (officer writes, return endpoint) and /api/v1/fees/ (read-only), scoped via the resident."""
from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext

from ..dao import get_visible
from ..domain.errors import DomainError
from ..extensions import db
from ..i18n import render_error
from ..models import Fee, PageLoan, Resident
from ..models.records import DELIVERIES, LOAN_PAGES
from ..security.roles import resource_permissions
from ..security.actor import request_unit
from ..services.records import check_loan, default_deposit, default_due, return_loan, today
from ..web.datamodel import HukouInterface
from ..web.labels import FEE_LABELS, RECORD_LABELS as LABELS
from .base import API_PERMISSIONS, HukouModelRestApi

API_LABELS = {**LABELS, "resident_id": LABELS["resident"], "application_id": LABELS["application"]}
FEE_API_LABELS = {**API_LABELS, "due_on": FEE_LABELS["due_on"]}


class LoanApi(HukouModelRestApi):
    """Page loans; POST records a manual loan (dates default like the form); POST /<id>/return returns it."""

    resource_name = "loans"
    datamodel = HukouInterface(PageLoan)
    class_permission_name = "PageLoan"
    base_permissions = resource_permissions("PageLoan")
    method_permission_name = {**API_PERMISSIONS, "return_page": "write"}
    scoped_refs = {"resident_id": Resident}
    label_columns = API_LABELS
    column_enums = {"pages": tuple(LOAN_PAGES), "delivery": tuple(DELIVERIES)}
    list_columns = ["id", "resident_id", "resident.name", "application_id", "purpose", "pages", "lent_on", "due_on",
                    "returned_on", "deposit", "deposit_refunded_on", "delivery"]
    show_columns = list_columns + ["mail_address", "note"]
    add_columns = ["resident_id", "purpose", "pages", "lent_on", "due_on", "deposit", "delivery", "mail_address",
                   "note"]
    edit_columns = ["purpose", "pages", "due_on", "deposit", "delivery", "mail_address", "note"]
    order_columns = ["id", "lent_on", "due_on", "returned_on"]
    search_columns = ["resident_id", "lent_on", "due_on", "returned_on", "application_id"]

    def _init_model_schemas(self) -> None:
        """Lending and due dates may be left out: they default to today and today + HUKOU_LOAN_DAYS."""
        super()._init_model_schemas()
        for field in ("lent_on", "due_on"):
            self.add_model_schema.fields[field].required = False

    def pre_add(self, item: PageLoan) -> None:
        """Visible resident, defaults, then the loan rules (active resident, no open loan, sane dates)."""
        super().pre_add(item)
        item.lent_on = item.lent_on or today()
        item.due_on = item.due_on or default_due()
        if item.deposit is None:
            item.deposit = default_deposit()
        item.returned_on = None
        with db.session.no_autoflush:
            resident = db.session.get(Resident, item.resident_id) if item.resident_id is not None else None
        check_loan(item, resident)

    def pre_update(self, item: PageLoan) -> None:
        """Dates and deposit stay consistent."""
        super().pre_update(item)
        check_loan(item, None)

    @expose("/<int:pk>/return", methods=["POST"])
    @protect()
    @safe
    def return_page(self, pk: int):
        """Record today's return of a visible loan; 404 if not visible, 422 if already returned.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200:
              description: Returned today
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message: {type: string}
                      returned_on: {type: string, format: date}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            with request_unit() as uow:
                if get_visible(PageLoan, pk, uow.actor, uow.session) is None:
                    return self.response_404()
                returned = return_loan(uow, pk)
        except DomainError as err:
            return self.response(err.http_status, message=render_error(err))
        return self.response(200, message=gettext("The page was returned"), returned_on=returned.isoformat())


class FeeApi(HukouModelRestApi):
    """Fees, read-only over REST (payments are recorded on the Fees screen)."""

    resource_name = "fees"
    datamodel = HukouInterface(Fee)
    class_permission_name = "Fee"
    base_permissions = resource_permissions("Fee")
    include_route_methods = {"get", "get_list", "info"}
    label_columns = FEE_API_LABELS
    list_columns = ["id", "resident_id", "resident.name", "application_id", "kind", "amount", "status",
                    "due_on", "paid_on", "paid_amount", "pay_method", "receipt_no"]
    show_columns = list_columns + ["note"]
    order_columns = ["id", "kind", "amount", "status", "due_on", "paid_on"]
    search_columns = ["resident_id", "kind", "status", "due_on", "paid_on"]


def register(appbuilder) -> None:
    """/api/v1/loans/ and /api/v1/fees/."""
    appbuilder.add_api(LoanApi)
    appbuilder.add_api(FeeApi)
