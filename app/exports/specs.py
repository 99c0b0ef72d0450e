"""What each list exports: the model, its screen, the sheet title, the columns (Chinese headers, code values as
Chinese names, masking as on screen). One spec per list; the file name is the title plus the local date."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from flask_babel import gettext, lazy_gettext as _l

from ..clock import local
from ..domain import codes
from ..domain.audit_labels import ACTIONS, OBJECT_TYPES, ROLES
from ..domain.masking import mask_birth_date, mask_id, mask_phone
from ..domain.workflow_table import STATUSES, TYPES
from sqlalchemy.orm import aliased

from ..models import Application, AuditLog, Department, Fee, Material, MaterialType, PageLoan, Resident
from ..models.records import FEE_KINDS, FEE_STATUSES
from ..models.resident import GENDERS, RESIDENT_STATUSES
from ..web.labels import APPLICATION_LABELS as AL, MATERIAL_LABELS as ML, RECORD_LABELS as RL
from ..web.labels import RESIDENT_LABELS as RS


@dataclass(frozen=True)
class Column:
    """One exported column: header (msgid), value of a row, cell kind (text/date/datetime/number), width."""

    header: Any
    get: Callable[[Any, "Options"], Any]
    kind: str = "text"
    width: int = 12


@dataclass(frozen=True)
class Options:
    """How an export shows personal data: full numbers (unmask chosen and permitted), whole birth dates."""

    full: bool = False
    birth_dates: bool = False
    memo: dict = field(default_factory=dict, compare=False)  # translated code names, once per export


@dataclass(frozen=True)
class ExportSpec:
    """One list's export."""

    kind: str
    model: type
    resource: str
    view: str  # the list screen's class name (its filters, sort and search arguments)
    title: Any
    columns: list[Column] = field(default_factory=list)
    # The SELECT list (labelled columns, first one of the model) and the outer joins it needs: exporting reads
    # plain rows, not ORM objects (4× cheaper per row at 100k; getters read the labels).
    source: Callable[[], tuple[list, list]] | None = None


def label(mapping: dict, attr: str) -> Callable:
    """A getter that turns a code into its translated name (the code itself when unknown); each name is
    translated once per export (gettext costs more than the rest of a cell)."""
    def _get(row, opts):
        value = getattr(row, attr)
        key = (id(mapping), value)
        try:
            return opts.memo[key]
        except KeyError:
            name = opts.memo[key] = gettext(mapping[value]) if value in mapping else value
            return name
    return _get


def code(table: dict, attr: str) -> Callable:
    """A getter that turns a national code (民族, 文化程度, 婚姻) into its Chinese name."""
    def _get(row, _opts):
        value = getattr(row, attr)
        return table.get(value, value) if value else value
    return _get


def attr(name: str) -> Callable:
    """A getter of a plain attribute."""
    return lambda row, _opts: getattr(row, name)


def stamp(name: str) -> Callable:
    """A stored UTC time as a naive local datetime (Excel has no time zones)."""
    def _get(row, _opts):
        value = local(getattr(row, name))
        return value.replace(tzinfo=None, microsecond=0) if value else None
    return _get


YES_NO = {True: "Yes", False: "No"}


def yes_no(name: str) -> Callable:
    """是 / 否 as on screen."""
    def _get(row, opts):
        value = bool(getattr(row, name))
        try:
            return opts.memo[value]
        except KeyError:
            text = opts.memo[value] = gettext(YES_NO[value])
            return text
    return _get


def related(*path: str) -> Callable:
    """A getter of a joined column, labelled by its path: related("resident", "name") reads resident_name."""
    name = "_".join(path)
    return lambda row, _opts: getattr(row, name)


def _alias(model, name: str):
    """An alias of a joined model that cannot clash with FAB's own joins (aliased by relation name)."""
    return aliased(model, name=f"hk_export_{name}")


def _residents_source():
    """Resident columns and the department's name."""
    dept = _alias(Department, "department")
    cols = [getattr(Resident, c) for c in ("name", "gender", "birth_date", "id_number", "ethnicity", "education",
                                           "marital_status", "status", "phone", "move_in_date", "page_number",
                                           "hire_date", "leave_date")]
    return cols + [dept.name.label("department_name")], [(dept, Resident.department_id == dept.id)]


def _applications_source():
    """Application columns, the applicant's and the department's name."""
    res, dept = _alias(Resident, "resident"), _alias(Department, "department")
    cols = [getattr(Application, c) for c in ("id", "type", "status", "reason", "destination", "planned_date",
                                              "submitted_at", "completed_at", "changed_on")]
    return (cols + [res.name.label("resident_name"), dept.name.label("department_name")],
            [(res, Application.resident_id == res.id), (dept, Application.department_id == dept.id)])


def _materials_source():
    """Material columns, its application's applicant and its type's name."""
    app_, res, mtype = _alias(Application, "application"), _alias(Resident, "resident"), _alias(MaterialType, "type")
    cols = [Material.application_id.label("application_id"), Material.original_name, Material.kind,
            Material.verified, Material.stamped, Material.returned_reason, Material.uploaded_at]
    return (cols + [res.name.label("application_resident_name"), mtype.name.label("material_type_name")],
            [(app_, Material.application_id == app_.id), (res, app_.resident_id == res.id),
             (mtype, Material.material_type_id == mtype.id)])


def _resident_records_source(model, names: tuple[str, ...]):
    """Loan or fee columns and the resident's name."""
    res = _alias(Resident, "resident")
    return ([getattr(model, c) for c in names] + [res.name.label("resident_name")],
            [(res, model.resident_id == res.id)])


def _audit_source():
    """Audit columns (no joins)."""
    return [getattr(AuditLog, c) for c in ("at", "username", "role", "action", "object_type", "object_id",
                                           "success", "ip", "request_id")], []


def fast_mask_phone(phone: str | None) -> str:
    """mask_phone with a shortcut for the common case, an 11-digit mobile number (same result, no regex)."""
    if phone and len(phone) == 11 and phone.isdigit() and phone[0] == "1" and phone[1] in "3456789":
        return phone[:3] + "****" + phone[7:]
    return mask_phone(phone)


def _birth(row: Resident, opts: Options):
    """The birth date whole for users who may unmask (as the list shows it), else its year only."""
    return row.birth_date if opts.birth_dates or opts.full else (mask_birth_date(row.birth_date)
                                                                 if row.birth_date else None)


RESIDENTS = ExportSpec("residents", Resident, "Resident", "ResidentView", _l("Resident register"), [
    Column(RS["name"], attr("name"), width=10),
    Column(RS["gender"], label(GENDERS, "gender"), width=6),
    Column(RS["birth_date"], _birth, "date", 12),
    Column(RS["id_number"], lambda r, o: r.id_number if o.full else mask_id(r.id_number), width=21),
    Column(RS["ethnicity"], code(codes.ETHNICITY, "ethnicity"), width=8),
    Column(RS["education"], code(codes.EDUCATION, "education"), width=10),
    Column(RS["marital_status"], code(codes.MARITAL, "marital_status"), width=8),
    Column(RS["department"], related("department", "name"), width=16),
    Column(RS["status"], label(RESIDENT_STATUSES, "status"), width=8),
    Column(RS["phone"], lambda r, o: (r.phone or None) if o.full else fast_mask_phone(r.phone), width=15),
    Column(RS["move_in_date"], attr("move_in_date"), "date"),
    Column(RS["page_number"], attr("page_number")),
    Column(RS["hire_date"], attr("hire_date"), "date"),
    Column(RS["leave_date"], attr("leave_date"), "date"),
], _residents_source)

APPLICATIONS = ExportSpec("applications", Application, "Application", "ApplicationView", _l("Applications"), [
    Column(AL["id"], attr("id"), "number", 8),
    Column(AL["type"], label(TYPES, "type"), width=14),
    Column(AL["resident"], related("resident", "name"), width=10),
    Column(AL["department"], related("department", "name"), width=16),
    Column(AL["status"], label(STATUSES, "status"), width=14),
    Column(AL["reason"], attr("reason"), width=24),
    Column(AL["destination"], attr("destination"), width=16),
    Column(AL["planned_date"], attr("planned_date"), "date"),
    Column(AL["submitted_at"], stamp("submitted_at"), "datetime", 17),
    Column(AL["completed_at"], stamp("completed_at"), "datetime", 17),
    Column(AL["changed_on"], stamp("changed_on"), "datetime", 17),
], _applications_source)

MATERIALS = ExportSpec("materials", Material, "Material", "MaterialView", _l("Materials"), [
    Column(AL["id"], attr("application_id"), "number", 8),
    Column(AL["resident"], related("application", "resident", "name"), width=10),
    Column(ML["material_type"], related("material_type", "name"), width=18),
    Column(ML["original_name"], attr("original_name"), width=28),
    Column(ML["kind"], attr("kind"), width=8),
    Column(ML["verified"], yes_no("verified"), width=6),
    Column(ML["stamped"], yes_no("stamped"), width=6),
    Column(ML["returned_reason"], attr("returned_reason"), width=20),
    Column(ML["uploaded_at"], stamp("uploaded_at"), "datetime", 17),
], _materials_source)

LOANS = ExportSpec("loans", PageLoan, "PageLoan", "PageLoanView", _l("Page loans"), [
    Column(RL["resident"], related("resident", "name"), width=10),
    Column(RL["application"], attr("application_id"), "number", 8),
    Column(RL["purpose"], attr("purpose"), width=20),
    Column(RL["lent_on"], attr("lent_on"), "date"),
    Column(RL["due_on"], attr("due_on"), "date"),
    Column(RL["returned_on"], attr("returned_on"), "date"),
    Column(RL["deposit"], attr("deposit"), "number", 10),
    Column(RL["note"], attr("note"), width=20),
], lambda: _resident_records_source(PageLoan, ("application_id", "purpose", "lent_on", "due_on", "returned_on",
                                               "deposit", "note")))

FEES = ExportSpec("fees", Fee, "Fee", "FeeView", _l("Fees"), [
    Column(RL["resident"], related("resident", "name"), width=10),
    Column(RL["application"], attr("application_id"), "number", 8),
    Column(RL["kind"], label(FEE_KINDS, "kind"), width=10),
    Column(RL["amount"], attr("amount"), "number", 10),
    Column(RL["status"], label(FEE_STATUSES, "status"), width=8),
    Column(RL["due_on"], attr("due_on"), "date"),
    Column(RL["paid_on"], attr("paid_on"), "date"),
    Column(RL["note"], attr("note"), width=20),
], lambda: _resident_records_source(Fee, ("application_id", "kind", "amount", "status", "due_on", "paid_on", "note")))


def _user(row: AuditLog, _opts):
    """The user as the audit screen names it."""
    if row.username == "system":
        return gettext("System")
    return gettext("Anonymous") if row.username == "anonymous" else row.username


AUDIT = ExportSpec("audit", AuditLog, "AuditLog", "AuditLogView", _l("Audit trail"), [
    Column(_l("Time"), stamp("at"), "datetime", 17),
    Column(_l("User"), _user, width=12),
    Column(_l("Role"), lambda r, o: "、".join(gettext(ROLES[p]) if p in ROLES else p
                                             for p in (r.role or "").split(",") if p), width=12),
    Column(_l("Action"), label(ACTIONS, "action"), width=12),
    Column(_l("Object type"), label(OBJECT_TYPES, "object_type"), width=12),
    Column(_l("Object ID"), attr("object_id"), width=10),
    Column(_l("Succeeded"), yes_no("success"), width=6),
    Column(_l("IP address"), attr("ip"), width=16),
    Column(_l("Request ID"), attr("request_id"), width=18),
], _audit_source)

SPECS: dict[str, ExportSpec] = {s.kind: s for s in (RESIDENTS, APPLICATIONS, MATERIALS, LOANS, FEES, AUDIT)}
CLI_KINDS = ("residents", "applications", "materials", "loans", "fees")


def row_values(spec: ExportSpec, row, opts: Options) -> list:
    """The cells of one row."""
    return [c.get(row, opts) for c in spec.columns]


def file_name(spec: ExportSpec, fmt: str, day: dt.date) -> str:
    """在册人员名单-20261201.xlsx: the title in the user's language and the local date."""
    return f"{spec.title}-{day:%Y%m%d}.{fmt}"
