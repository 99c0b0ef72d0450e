"""/api/v1/residents/: the register over REST, with the same ID-number rule as the forms."""
from __future__ import annotations

from flask import request
from flask_appbuilder.const import API_FILTERS_RIS_KEY
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from ..domain import codes, idnumber
from ..forms import duplicate_id, note_warnings
from ..i18n import render
from ..models import Department, Resident
from ..security.actor import current_actor
from ..security.roles import resource_permissions
from ..services.residents import OUT_OF_SCOPE, department_in_scope, fill_from_id
from ..web.labels import RESIDENT_LABELS as LABELS
from ..domain.masking import mask_birth_date
from ..web.personal import PersonalInterface, UnmaskOnlyColumns, check_rest_filters, may_unmask
from .base import HukouModelRestApi


def validate_id_number(value: str) -> None:
    """Marshmallow validator: the one ID-number rule and uniqueness (a PUT excludes its own row)."""
    result = idnumber.check(value)
    if not result.ok:
        raise ValidationError(render(result.errors[0]))
    own = (request.view_args or {}).get("pk") if request.method == "PUT" else None
    dup = duplicate_id(result.number, own)
    if dup is not None:
        raise ValidationError(render(dup))
    note_warnings(result)


def validate_gender(value: str) -> None:
    """M or F."""
    if value not in ("M", "F"):
        raise ValidationError(str(_l("Must be M or F")))


WRITE_COLUMNS = ["name", "id_number", "gender", "birth_date", "department_id", "phone", "hire_date",
                 "leave_date", "ethnicity", "education", "marital_status", "occupation", "page_number",
                 "move_in_date", "move_in_reason", "social_security_months", "residence_permit_years"]


class ResidentApi(HukouModelRestApi):
    """Residents: HR and the officer write; status changes only through applications."""

    resource_name = "residents"
    datamodel = PersonalInterface(Resident)  # the ID number is searched by the complete number only
    class_permission_name = "Resident"
    base_permissions = resource_permissions("Resident")
    masked_columns = ("id_number", "phone")
    scoped_refs = {"department_id": Department}
    label_columns = {**LABELS, "department_id": LABELS["department"]}
    list_columns = ["id", "name", "gender", "birth_date", "id_number", "department_id", "department.name",
                    "status", "phone", "hire_date", "leave_date"]
    show_columns = ["id", "name", "former_name", "gender", "birth_date", "id_number", "department_id",
                    "department.name", "status", "phone", "ethnicity", "education", "marital_status",
                    "occupation", "page_number", "move_in_date", "move_in_reason", "move_out_date",
                    "move_out_to", "hire_date", "leave_date", "social_security_months",
                    "residence_permit_years"]
    add_columns = WRITE_COLUMNS
    edit_columns = WRITE_COLUMNS
    # Sorting by birth date only with unmask (see app.web.personal); never by ID or phone number.
    order_columns = UnmaskOnlyColumns(["name", "birth_date", "hire_date", "leave_date", "status", "id"],
                                      private=("birth_date",))
    base_order = ("name", "asc")  # a stable order that the (department_id, name, id) index serves
    search_columns = ["name", "id_number", "department_id", "status", "gender", "leave_date"]
    validators_columns = {"id_number": validate_id_number, "gender": validate_gender}
    column_enums = {"gender": ("M", "F"), "ethnicity": tuple(codes.ETHNICITY), "education": tuple(codes.EDUCATION),
                    "marital_status": tuple(codes.MARITAL)}  # the web form's code-table selects

    def _init_model_schemas(self) -> None:
        """FAB's schemas, but birth date and gender may be left out: they are derived from the ID number."""
        super()._init_model_schemas()
        for field in ("birth_date", "gender"):
            self.add_model_schema.fields[field].required = False

    def _handle_filters_args(self, rison_args: dict):
        """FAB's filters, after refusing (400) a search by a part of a personal number; exact numbers normalised."""
        if isinstance(rison_args, dict) and API_FILTERS_RIS_KEY in rison_args:
            rison_args = {**rison_args, API_FILTERS_RIS_KEY: check_rest_filters(rison_args[API_FILTERS_RIS_KEY])}
        return super()._handle_filters_args(rison_args)

    def _mask(self, row: dict) -> None:
        """Numbers masked; the birth date as its year unless the user may unmask (see app.domain.masking)."""
        super()._mask(row)
        if row.get("birth_date") and not may_unmask():
            row["birth_date"] = mask_birth_date(row["birth_date"])

    def pre_add(self, item: Resident) -> None:
        """Status starts active; the ID number is normalised; birth date and gender derived if missing."""
        super().pre_add(item)
        item.status = "active"
        fill_from_id(item)
        self._consistent(item)

    def pre_update(self, item: Resident) -> None:
        """Re-derive from a corrected ID number."""
        super().pre_update(item)
        fill_from_id(item)
        self._consistent(item)

    def _consistent(self, item: Resident) -> None:
        """Entered birth date / gender must match the ID number; the department must be in the user's scope."""
        from ..domain.errors import DomainError

        if not department_in_scope(current_actor(), item):
            raise DomainError(OUT_OF_SCOPE)
        problems = idnumber.consistency(idnumber.check(item.id_number), item.birth_date, item.gender)
        if problems:
            raise DomainError(*problems)


def register(appbuilder) -> None:
    """/api/v1/residents/."""
    appbuilder.add_api(ResidentApi)
