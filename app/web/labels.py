"""Column labels shared by the screens and the REST API (one translation per field)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

APPLICATION_LABELS = {
    "id": _l("No."), "type": _l("Application type"), "status": _l("Status"), "resident": _l("Applicant"),
    "resident.name": _l("Applicant name"), "department": _l("Department"), "pathway": _l("Pathway"),
    "city": _l("City"), "reason": _l("Reason"), "destination": _l("Destination"),
    "planned_date": _l("Planned date"), "police_ref": _l("Police reference"),
    "police_returned": _l("Returned by police station"), "override_reason": _l("Override reason"),
    "change_json": _l("Requested changes"), "submitted_at": _l("Submitted at"),
    "completed_at": _l("Completed at"), "created_by": _l("Entered by"), "created_on": _l("Created"),
    "changed_on": _l("Changed"), "version": _l("Version"),
}


MATERIAL_LABELS = {
    "application": _l("Application"), "material_type": _l("Material type"), "original_name": _l("File name"),
    "size": _l("Size (bytes)"), "sha256": _l("SHA-256"), "kind": _l("File type"), "verified": _l("Verified"),
    "stamped": _l("Stamped as true copy"), "verify_note": _l("Verification note"),
    "returned_reason": _l("Return reason"), "verified_by": _l("Checked by"), "verified_at": _l("Checked at"),
    "uploaded_at": _l("Uploaded at"),
}


DEPARTMENT_LABELS = {
    "code": _l("Department code"), "name": _l("Department name"), "active": _l("Active"),
    "created_on": _l("Created"), "changed_on": _l("Changed"), "user": _l("User"),
    "department": _l("Department"), "resident": _l("Resident name"),
}


RECORD_LABELS = {
    "resident": _l("Resident name"), "application": _l("Application no."), "purpose": _l("Purpose"),
    "lent_on": _l("Lent on"), "due_on": _l("Due on"), "returned_on": _l("Returned on"),
    "deposit": _l("Deposit"), "note": _l("Note"), "kind": _l("Fee kind"), "amount": _l("Amount"),
    "status": _l("Payment status"), "paid_on": _l("Paid on"), "archive_no": _l("Archive number"),
    "year": _l("Year"), "seq": _l("Sequence"), "location": _l("Cabinet location"),
    "created_at": _l("Archived at"), "application.resident": _l("Resident name"),
    "pages": _l("Pages lent"), "delivery": _l("Hand-over"), "mail_address": _l("Mailing address"),
    "deposit_refunded_on": _l("Deposit refunded on"), "paid_amount": _l("Amount paid"),
    "pay_method": _l("Payment method"), "receipt_no": _l("Receipt number"),
}
# Fees are owed by a date (应缴日期), loans are due back by one (应还日期).
FEE_LABELS = {**RECORD_LABELS, "due_on": _l("Payment due date")}


RESIDENT_LABELS = {
    "name": _l("Full name"), "former_name": _l("Former name"), "gender": _l("Gender"), "ethnicity": _l("Ethnicity"),
    "birth_date": _l("Date of birth"), "birthplace": _l("Birthplace"), "native_place": _l("Native place"),
    "id_number": _l("ID number"), "education": _l("Education"), "marital_status": _l("Marital status"),
    "department": _l("Workplace (department)"), "occupation": _l("Occupation"), "moved_from": _l("Moved in from"),
    "former_address": _l("Former registered address"), "move_in_date": _l("Move-in date"),
    "move_in_reason": _l("Move-in reason"), "page_number": _l("Page number"), "status": _l("Hukou status"),
    "move_out_date": _l("Move-out date"), "move_out_to": _l("Moved out to"), "phone": _l("Phone"),
    "hire_date": _l("Hire date"), "leave_date": _l("Leave date"), "retire_date": _l("Retirement date"),
    "id_valid_to": _l("ID card valid until"),
    "social_security_months": _l("Continuous social-security months"),
    "residence_permit_years": _l("Residence-permit years"), "created_on": _l("Created"),
    "changed_on": _l("Changed"),
}
