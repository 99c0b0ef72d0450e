"""The eight roles, declared in code: resource → permissions, turned into FAB builtin role regexes."""
from __future__ import annotations

import re

ROLE_NAMES = ("Admin", "HukouOfficer", "DeptApprover", "Leader", "HR", "Finance", "Auditor", "Employee")

# Resource names are FAB class_permission_names; verbs become can_<verb>.
# read = list/show/API get; write = add/edit/API post+put; delete; unmask = see full ID/phone numbers;
# export = bulk Excel export of personal data; transition = workflow actions; verify = check materials.
ROLES: dict[str, dict[str, set[str]]] = {
    "HukouOfficer": {
        "Resident": {"read", "write", "unmask", "export"},
        "Application": {"read", "write", "transition", "export"},
        "Material": {"read", "write", "verify", "export"},
        "Department": {"read"},
        "PageLoan": {"read", "write", "export"},
        "Fee": {"read"},
        "ArchiveRecord": {"read", "write"},
        "MaterialType": {"read", "write"},
        "EligibilityRule": {"read", "write"},
        "Report": {"read", "export"},
        "Notification": {"read"},  # 「催办记录」: reminders sent, to whom, with what result
        "Reminder": {"send"},  # 「催办」 by hand on a loan, a leaver, an application (app/desk/remind_views.py)
        "Handbook": {"read", "write"},  # issue 9: the office handbook (SOP); officers edit its tips
    },
    "DeptApprover": {
        "Resident": {"read"},
        "Application": {"read", "transition"},
        "Material": {"read"},
        "Department": {"read"},
        "Report": {"read"},  # statistics of their own departments only (row scope)
        "Handbook": {"read"},  # issue 9: the office handbook (SOP)
    },
    "Leader": {
        "Resident": {"read"},
        "Application": {"read", "transition"},
        "Material": {"read"},
        "Department": {"read"},
        "PageLoan": {"read"},
        "Fee": {"read"},
        "ArchiveRecord": {"read"},
        "Report": {"read", "export"},
        "Handbook": {"read"},  # issue 9: the office handbook (SOP)
    },
    "HR": {
        "Resident": {"read", "write", "unmask", "export"},
        "Application": {"read"},
        "Department": {"read", "write"},
    },
    "Finance": {
        "Resident": {"read"},
        "Application": {"read"},
        "Fee": {"read", "write", "export"},
        "PageLoan": {"read"},
        "Department": {"read"},
    },
    "Auditor": {
        "Resident": {"read"},
        "Application": {"read"},
        "Material": {"read"},
        "Department": {"read"},
        "PageLoan": {"read"},
        "Fee": {"read"},
        "ArchiveRecord": {"read"},
        "MaterialType": {"read"},
        "EligibilityRule": {"read"},
        "AuditLog": {"read", "export"},
        "Report": {"read", "export"},  # the annual summary is audit material
        "Notification": {"read"},
        "Handbook": {"read"},  # issue 9: the office handbook (SOP)
    },
    "Employee": {
        "Resident": {"read"},
        "Application": {"read", "write", "transition"},
        "Material": {"read", "write"},
        "PageLoan": {"read"},
    },
}

# Roles whose rows are the whole unit; DeptApprover sees its departments, Employee only itself.
UNIT_WIDE_ROLES = frozenset({"Admin", "HukouOfficer", "Leader", "HR", "Finance", "Auditor"})

# What every signed-in user needs: their own profile and password, and the menu.
SELF_SERVICE = [
    ("UserInfoEditView", "can_this_form_(get|post)"),
    ("ResetMyPasswordView", "can_this_form_(get|post)"),
    ("UserDBModelView", "can_userinfo"),
    ("UserDBModelView", "resetmypassword"),
    ("UserDBModelView", "userinfoedit"),
    ("MenuApi", "can_get"),
    ("OpenApi", "can_get"),
    ("MyJobs", "menu_access"),  # 「我的任务」: every user sees only their own jobs (app/jobs/views.py)
    ("MyNotifications", "menu_access"),  # 「消息」: every user sees only their own (app/notifications/views.py)
    ("MyNotificationsApi", "can_get"),
    ("TodoApi", "can_get"),  # 「待办」: every user's own to-do list (app/api/todo.py)
]

MENU_CATEGORIES = {
    "Register": ("Resident", "Department", "PageLoan", "Fee"),
    "Applications": ("Application", "Material", "ArchiveRecord"),
    "Settings": ("MaterialType", "EligibilityRule", "AuditLog", "Notification"),
    "Statistics": ("Report",),  # 「统计」: dashboard, monthly report, annual summary (app/reports/views.py)
}


# Menu items that belong to one verb of a resource rather than to reading it.
VERB_MENUS = {("Resident", "write"): "ResidentImports", ("Resident", "export"): "ResidentExports",
              ("Report", "read"): "ReportDashboard"}


# Every permission a resource has. All views and APIs sharing a resource must declare exactly this list as
# base_permissions: FAB's permission sync deletes a resource's permissions that any of them leaves out.
RESOURCE_VERBS: dict[str, tuple[str, ...]] = {
    "Resident": ("read", "write", "delete", "unmask", "export"),
    "Application": ("read", "write", "transition", "export"),
    "Material": ("read", "write", "verify", "export"),
    "Department": ("read", "write", "delete"),
    "PageLoan": ("read", "write", "export"),
    "Fee": ("read", "write", "export"),
    "ArchiveRecord": ("read", "write"),
    "MaterialType": ("read", "write"),
    "EligibilityRule": ("read", "write"),
    "WorkCalendar": ("read", "write", "delete"),  # Admin only: holidays and make-up working days
    "AuditLog": ("read", "export"),
    "Report": ("read", "export"),
    "Reminder": ("send",),
    "Notification": ("read",),
    "Handbook": ("read", "write"),  # issue 9: the office handbook (SOP), app/handbook
    "UnitProfile": ("read", "write"),  # issue 9: the unit profile the print forms show (Admin only)
    "UserDepartment": ("read", "write", "delete"),
    "UserResident": ("read", "write", "delete"),
}


def resource_permissions(resource: str) -> list[str]:
    """The base_permissions every view and API of `resource` declares."""
    return [f"can_{verb}" for verb in RESOURCE_VERBS[resource]]


def fab_roles() -> dict[str, list[list[str]]]:
    """FAB_ROLES: anchored [view_menu regex, permission regex] pairs (unanchored regexes would match security views)."""
    out: dict[str, list[list[str]]] = {}
    for role, grants in ROLES.items():
        pairs = [[f"^{re.escape(res)}$", f"^can_({'|'.join(sorted(verbs))})$"] for res, verbs in grants.items()]
        menus = {menu_name(r) for r in grants} | {cat for cat, members in MENU_CATEGORIES.items()
                                                  if set(members) & set(grants)}
        menus |= {menu for (res, verb), menu in VERB_MENUS.items() if verb in grants.get(res, ())}
        pairs.append([f"^({'|'.join(sorted(menus))})$", "^menu_access$"])
        pairs += [[f"^{view}$", f"^{perm}$"] for view, perm in SELF_SERVICE]
        out[role] = pairs
    return out


def menu_name(resource: str) -> str:
    """The menu item of a resource; it must differ from the resource so FAB keeps both permissions."""
    return resource + "s"


def permissions_of(role: str) -> dict[str, set[str]]:
    """The resource → verbs grant of a role (Admin has every permission through FAB's admin role)."""
    return ROLES.get(role, {})
