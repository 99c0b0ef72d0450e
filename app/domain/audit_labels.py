"""Names of the audit trail's codes (actions, object types, detail keys, event reasons) as msgids.

The audit rows store codes (`create`, `Resident`, `{"status": ["draft", "submitted"]}`); these tables turn
them into words. Column labels of the business models come from the screens' label_columns; only keys that
no screen shows (foreign-key ids, event details) are named here.
"""
from __future__ import annotations

from app.domain.errors import N_

ACTIONS: dict[str, str] = {
    "create": N_("Record created"), "update": N_("Record changed"), "delete": N_("Record deleted"),
    "login": N_("Login"), "login_failed": N_("Failed login"), "logout": N_("Logout"),
    "lockout": N_("Account locked"), "unmask": N_("Viewed full numbers"), "export": N_("Export"),
    "download": N_("Download"), "transition": N_("Workflow step"), "purge_audit": N_("Audit purge"),
    "return_page": N_("Return the page"), "fee_pay": N_("Record payment"), "fee_refund": N_("Refund"),
    "fee_waive": N_("Waive"), "demo_load": N_("Demo data loaded"), "backup": N_("Backup"),
    "restore": N_("Restore"), "import": N_("Import"), "import_expire": N_("Unconfirmed import files deleted"), "access_denied": N_("Access refused"),
    "password_change": N_("Password changed"), "role_grant": N_("Role granted"), "role_revoke": N_("Role removed"),
    "remind": N_("Reminder sent by hand"), "remind_run": N_("Reminders run"),
    "remind_daily": N_("Daily reminders run"),  # app/desk/remind*.py
    "ocr_id_card": N_("ID card recognised"),  # app/ocr (issue 10)
    "print": N_("Form printed"),  # app/printing (issue 9)
    "search_id": N_("Searched by ID number"),  # the top-bar search (app/views/lookup.py, issue 9)
}

OBJECT_TYPES: dict[str, str] = {
    "Resident": N_("Resident record"), "Application": N_("Application"), "Material": N_("Material"),
    "Department": N_("Department"), "PageLoan": N_("Page loans"), "Fee": N_("Fee"),
    "ArchiveRecord": N_("Archive records"), "MaterialType": N_("Material type"),
    "ChecklistItem": N_("Checklist item"), "EligibilityRule": N_("Eligibility rule"),
    "UserDepartment": N_("Approver departments"), "UserResident": N_("Employee residents"), "User": N_("User"),
    "Role": N_("Role"), "AuditLog": N_("Audit trail"), "Demo": N_("Demo data"),
    "Reminder": N_("Reminders of the day"),
    "CalendarDay": N_("Calendar day"), "CalendarYear": N_("Working-day calendar year"),  # app/calendar
    "UnitProfile": N_("Unit profile"), "Certificate": N_("Hukou certificate"),  # app/printing (issue 9)
    "HandbookTip": N_("Handbook tips"),  # app/handbook (issue 9)
}

ROLES: dict[str, str] = {
    "Admin": N_("System administrator"), "HukouOfficer": N_("Hukou officer"),
    "DeptApprover": N_("Department approver"), "Leader": N_("Leader"), "HR": N_("Human resources"),
    "Finance": N_("Finance"), "Auditor": N_("Auditor"), "Employee": N_("Employee"),
    "System": N_("System"),  # the role of CLI commands and jobs (app.domain.actor.system_actor)
}

# Keys no screen labels: foreign-key columns (the screens label the relationship), hidden columns and the
# details of events (transition, unmask, export, download, login, purge).
DETAIL_KEYS: dict[str, str] = {
    "resident_id": N_("Resident"), "department_id": N_("Department"), "application_id": N_("Application"),
    "material_type_id": N_("Material type"), "user_id": N_("User"), "created_by_id": N_("Entered by"),
    "verified_by_id": N_("Checked by"), "uploaded_by_id": N_("Uploaded by"), "storage_name": N_("Stored file"),
    "eligibility_json": N_("Eligibility results"), "version": N_("Version"), "id": N_("No."),
    "action": N_("Workflow action"), "from": N_("Previous status"), "to": N_("New status"),
    "comment": N_("Comment"), "override_reason": N_("Override reason"), "archive_no": N_("Archive number"),
    "effects": N_("Effects"), "via": N_("Via"), "rows": N_("Rows"), "unmasked": N_("Full numbers"),
    "filters": N_("Filters"), "reason": N_("Reason"), "name": N_("File name"), "days": N_("Days"),
    "before": N_("Older than"), "deleted": N_("Rows deleted"), "returned_on": N_("Returned on"),
    "paid_on": N_("Paid on"), "app_type": N_("Application type"), "app_types": N_("Application types"),
    "job": N_("Background job"), "format": N_("File format"), "import_batch": N_("Import batch"),
    "import_row": N_("Excel row"), "recipients": N_("Recipients"), "recorded": N_("Reminders recorded"),
    "kinds": N_("Reminder kinds"),
    # app/ocr (issue 10): the file read, the side, how sure, which warnings, which fields differ
    "sha256": N_("File SHA-256"), "size": N_("Size (bytes)"), "side": N_("Side"), "confidence": N_("Confidence"),
    "warnings": N_("Warnings"), "material_id": N_("Material"), "differs": N_("Differs"), "ocr_error": N_("Error"),
    # the top-bar search by ID number (issue 9): how, what was typed (masked like the screens), results
    "search_by": N_("Searched by"), "term": N_("Search term"), "hits": N_("Results"),
}

EFFECTS: dict[str, str] = {
    "activate_resident": N_("Resident set to in household"), "close_resident": N_("Resident moved out"),
    "apply_info_change": N_("Requested changes applied to the register"), "open_loan": N_("Page loan opened"),
    "create_archive": N_("Archive record created"),
}

# Why a login failed or an unmask happened (detail "reason" / "via").
REASONS: dict[str, str] = {
    "bad_password": N_("Wrong password"), "now_locked": N_("Wrong password; the account is now locked"),
    "locked": N_("Account locked"), "unknown_user": N_("Unknown user"), "inactive": N_("Account disabled"),
    "ocr_bad_image": N_("The file is not a readable JPG, PNG or PDF image"),  # app/ocr (issue 10)
    "ocr_busy": N_("The text recognition is busy; please try again in a moment"),
}
SIDES: dict[str, str] = {"front": N_("Front (photo side)"), "back": N_("Back (emblem side)")}  # app/ocr
VIA: dict[str, str] = {"edit": N_("Edit form"), "api": N_("REST API"), "web": N_("Web page"), "job": N_("Background job"), "cli": N_("Command line"),
       "resident_form": N_("Resident add form"), "pre_review": N_("Pre-review")}

# The two keys of a workflow step's detail that together are one status change.
STEP_PAIR = ("from", "to")
# Detail keys holding a list of codes, never an [old, new] pair.
LIST_KEYS = frozenset({"effects"})
