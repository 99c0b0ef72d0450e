"""People and roles in words: a staff member's one 姓名, roles by their Chinese names, and the permissions of a
role as sentences instead of FAB's code names and regexes (the user and role screens, the top bar)."""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext as _l


def person_name(user) -> str:
    """A staff member's one 姓名 (kept in first_name; older accounts: surname in last_name first), else the login."""
    if user is None:
        return ""
    name = f"{getattr(user, 'last_name', '') or ''}{getattr(user, 'first_name', '') or ''}".strip()
    return name or getattr(user, "username", "") or ""


def role_label(name: str) -> str:
    """A role's Chinese name (户籍管理员) for the code name FAB keeps (HukouOfficer); unknown roles as they are."""
    from ..domain.audit_labels import ROLES

    if name == "Public":  # FAB's role of visitors who are not signed in
        return gettext("Visitors (not signed in)")
    return gettext(ROLES[name]) if name in ROLES else name


def fmt_roles(roles) -> str:
    """The roles column of the user screens: 户籍管理员、审计 instead of [HukouOfficer, Auditor]."""
    return "、".join(role_label(getattr(r, "name", str(r))) for r in (roles or []))


# ---- the role screens in words (FAB keeps the code names and regexes; people read these) ----

VERB_LABELS = {
    "read": _l("view"), "write": _l("add and edit"), "delete": _l("delete"), "unmask": _l("see full numbers"),
    "export": _l("export"), "transition": _l("act in the workflow"), "verify": _l("verify materials"),
    "send": _l("send reminders"),
}
RESOURCE_LABELS = {
    "Report": _l("Statistics"), "Reminder": _l("Reminders"), "Notification": _l("Reminder records"),
    "Handbook": _l("Office handbook"), "WorkCalendar": _l("Working-day calendar"),
}


def resource_label(name: str) -> str:
    """A permission resource (Resident) as the screens name it (在册人员记录)."""
    from ..domain.audit_labels import OBJECT_TYPES

    if name in RESOURCE_LABELS:
        return str(RESOURCE_LABELS[name])
    return gettext(OBJECT_TYPES[name]) if name in OBJECT_TYPES else name


def role_permissions(name: str) -> list[str]:
    """A built-in role's permissions as lines of words (「在册人员记录：查看、编辑」), from app.security.roles."""
    from .roles import ROLES

    if name == "Admin":  # FAB's admin role: every permission there is
        return [gettext("Everything, including users, roles and settings")]
    lines = [f"{resource_label(res)}：" + "、".join(str(VERB_LABELS.get(v, v)) for v in sorted(verbs))
             for res, verbs in ROLES.get(name, {}).items()]
    return lines + [gettext("Own profile, password, messages, jobs and to-do list")] if lines else lines


def permission_text(pv) -> str:
    """One permission of a role made on the screen (can_read on Resident) in words when we know them."""
    perm = getattr(getattr(pv, "permission", None), "name", "") or ""
    view = getattr(getattr(pv, "view_menu", None), "name", "") or ""
    verb = perm[4:] if perm.startswith("can_") else perm
    if verb in VERB_LABELS:
        return f"{resource_label(view)}：{VERB_LABELS[verb]}"
    if perm == "menu_access":
        return gettext("Menu: %(name)s", name=gettext(view))
    return str(pv)


def register_role_labels(app) -> None:
    """Template globals of the role screens (app/templates/appbuilder/general/widgets/roles/)."""
    app.add_template_global(role_label, "hk_role_label")
    app.add_template_global(role_permissions, "hk_role_permissions")
    app.add_template_global(permission_text, "hk_permission_text")
