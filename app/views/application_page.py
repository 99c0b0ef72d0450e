"""The application page's content: summary card, step bar, action buttons and the timeline with names."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..clock import utcnow
from ..domain.masking import mask_id
from ..domain.workflow import ACTIONS, STATUSES, TYPES, CLOSED_STATUSES
from ..domain.workflow_table import NEXT_ACTOR, steps_of
from ..extensions import db
from ..i18n import render
from ..models import Application, ApplicationHistory, Material, User, UserDepartment
from ..services import workflow as wf
from ..security.labels import person_name  # noqa: F401 (applications.py imports it from here)

# Buttons drawn as dangerous (they end or send back the application).
DANGER = frozenset({"reject", "dept_reject", "leader_reject", "police_reject", "withdraw"})
ROLE_LABELS = {"applicant": _l("Applicant"), "HukouOfficer": _l("Hukou officer"),
               "DeptApprover": _l("Department approver"), "Leader": _l("Leader")}
MAX_NAMES = 3  # the card names at most this many people who may act next


def names_of(user_ids) -> dict[int, str]:
    """姓名 of these users by id (one query)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {u.id: person_name(u) for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _role_users(role: str, department_id: int | None) -> list[str]:
    """Names of active users who may act in that role (approvers: of the application's department)."""
    query = select(User).where(User.active.is_(True), User.roles.any(name=role)).order_by(User.id)
    if role == "DeptApprover":
        query = query.where(User.id.in_(select(UserDepartment.user_id)
                                        .where(UserDepartment.department_id == department_id)))
    return [person_name(u) for u in db.session.scalars(query.limit(MAX_NAMES + 1))]


def _waiting_since(application: Application, history: list[ApplicationHistory]) -> dt.datetime | None:
    """When the application entered its current status (its last step, else its creation)."""
    return history[-1].at if history else application.created_on


def summary(application: Application, history: list[ApplicationHistory]) -> dict:
    """The summary card: type, applicant (ID masked), department, status, who acts next, days waiting."""
    resident = application.resident
    since = _waiting_since(application, history)
    card = {"type": TYPES.get(application.type, application.type),
            "status": STATUSES.get(application.status, application.status),
            "applicant": resident.name if resident else "", "applicant_id": resident.id if resident else None,
            "id_number": mask_id(resident.id_number) if resident else "",
            "department": application.department.name if application.department else "",
            "police_ref": application.police_ref, "since": since, "next_role": None, "next_names": [],
            "waiting_days": (utcnow() - since).days if since and application.status not in CLOSED_STATUSES
            else None}
    role = NEXT_ACTOR.get(application.status)
    if role is not None:
        card["next_role"] = ROLE_LABELS[role]
        names = [card["applicant"]] if role == "applicant" else _role_users(role, application.department_id)
        card["next_names"] = names[:MAX_NAMES]
        card["more_names"] = len(names) > MAX_NAMES
    return card


def step_bar(application: Application, history: list[ApplicationHistory], names: dict[int, str]) -> list[dict]:
    """This type's steps, each done (with date and person), current, or still to come."""
    last_reset = max((i for i, h in enumerate(history) if h.to_status == "draft"), default=-1)
    recent = history[last_reset + 1:]  # a reopened application goes through every step again
    steps, current_found = [], application.status in CLOSED_STATUSES - {"completed"}
    for code, label, done_by in steps_of(application.type):
        row = next((h for h in reversed(recent) if h.action in done_by
                    and (code != "completed" or h.to_status == "completed")), None)
        if row is not None:
            steps.append({"code": code, "label": label, "state": "done", "at": row.at,
                          "who": names.get(row.user_id) or row.username or ""})
            continue
        state = "todo" if current_found else "current"
        current_found = True
        steps.append({"code": code, "label": label, "state": state, "at": None, "who": ""})
    return steps


def buttons(application: Application, actor) -> list[dict]:
    """One entry per action worth showing: label, what its form needs, and why it is blocked (if it is)."""
    result = []
    for option in wf.possible_actions(application, actor):
        result.append({"action": option.action, "label": ACTIONS[option.action], "danger": option.action in DANGER,
                       "needs": wf.action_needs(application, option), "blocked": render(option.blocked) if option.blocked else None})
    return result


def timeline(application: Application, history: list[ApplicationHistory], names: dict[int, str]) -> list[dict]:
    """Transitions and material checks (verified / returned), oldest first, each with the person's 姓名."""
    events = [{"kind": "step", "at": h.at, "who": names.get(h.user_id) or h.username or "",
               "action": h.action, "from": h.from_status, "to": h.to_status, "comment": h.comment}
              for h in history]
    materials = db.session.scalars(select(Material).where(Material.application_id == application.id,
                                                          Material.verified_at.isnot(None))).all()
    checkers = names_of(m.verified_by_id for m in materials)
    for m in materials:
        kind = "verified" if m.verified else ("returned" if m.returned_reason else None)
        if kind is None:
            continue
        events.append({"kind": kind, "at": m.verified_at, "who": checkers.get(m.verified_by_id, ""),
                       "material": m.material_type.name if m.material_type else m.original_name,
                       "stamped": m.stamped, "comment": m.returned_reason if kind == "returned" else m.verify_note})
    return sorted(events, key=lambda e: e["at"] or dt.datetime.min)


def page_context(application: Application, actor) -> dict:
    """Everything the page adds to FAB's show widget."""
    history = list(db.session.scalars(select(ApplicationHistory).where(
        ApplicationHistory.application_id == application.id).order_by(ApplicationHistory.id)))
    names = names_of(h.user_id for h in history)
    actions = buttons(application, actor)
    inputs = {n for a in actions if not a["blocked"] for n in a["needs"]}
    return {"history": history, "card": summary(application, history), "steps": step_bar(application, history, names),
            "actions": actions, "inputs": inputs, "events": timeline(application, history, names),
            "editable": wf.is_editable(application) and actor.can("write", "Application")}
