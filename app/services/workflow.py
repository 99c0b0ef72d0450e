"""The one way to move an application: load it in scope, ask the engine, persist status + history + effects."""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..dao import get_visible
from ..db import write_transaction
from ..domain import workflow
from ..domain.errors import DomainError, Message, N_
from ..domain.workflow import NotPossible, NotVisible, Outcome
from ..extensions import db
from ..models import Application, ApplicationHistory, Resident
from ..models.base import utcnow
from ..security.scope import scope_of
from . import effects
from .facts import actor_for, facts_for, snapshot

LIMITS = {"comment": (_l("Comment"), 1000), "override_reason": (_l("Override reason"), 500),
          "archive_location": (_l("Cabinet location"), 100)}


@dataclass(frozen=True)
class Done(Outcome):
    """The applied transition with what it left behind: the new version and any archive number."""

    application_id: int = 0
    version: int = 0
    archive_no: str | None = None


def _not_found(app_id) -> NotVisible:
    """The 404 that does not tell 'missing' from 'not yours'."""
    return NotVisible(Message("application_not_found", N_("Application %(id)s was not found."), {"id": app_id}))


def _clean(name: str, value) -> str | None:
    """A stripped optional text argument within its column's length, else a 422 naming the field."""
    if value is None:
        return None
    label, limit = LIMITS[name]
    if not isinstance(value, str):
        raise DomainError(Message("field_not_text", N_("%(field)s must be text."), {"field": label}))
    text = value.strip()
    if len(text) > limit:
        raise DomainError(Message("field_too_long", N_("%(field)s is too long: at most %(max)s characters."),
                                  {"field": label, "max": limit}))
    return text or None


def load_visible(app_id, user) -> Application:
    """The application if the user's row scope reaches it, else the engine's 404."""
    application = get_visible(Application, app_id, scope_of(user))
    if application is None:
        raise _not_found(app_id)
    return application


def available_actions(application: Application, user) -> list[str]:
    """Actions this user may try on the application now (guards are checked when they try)."""
    return workflow.available(snapshot(application), actor_for(user))


def _row_values(outcome: Outcome, override: str | None, failed: bool) -> dict:
    """Columns the transition sets besides status and version."""
    now = utcnow()
    values: dict = {"status": outcome.to_status, "version": Application.version + 1, "changed_on": now}
    if outcome.action == "submit":
        values["submitted_at"] = now
    if outcome.to_status == "completed":
        values["completed_at"] = now
    if outcome.action == "police_reject":
        values["police_returned"] = True
    if outcome.action == "submit_police":
        values["police_returned"] = False
    if outcome.action == "pass_review":
        values["override_reason"] = override if failed else None
    return values


def _claim(application: Application, outcome: Outcome, values: dict) -> None:
    """The conditional UPDATE: only from the status and version we read; else someone else was first (409)."""
    result = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == outcome.from_status,
               Application.version == application.version)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NotPossible(Message("changed_concurrently", N_(
            "Application %(id)s was changed by someone else just now; reload it and try again."),
            {"id": application.id}))


def transition(app_id, action: str, user, comment: str | None = None, override_reason: str | None = None,
               archive_location: str | None = None) -> Done:
    """Apply one workflow action as `user`, all or nothing; raises the engine's DomainError subclasses."""
    comment = _clean("comment", comment)
    override_reason = _clean("override_reason", override_reason)
    archive_location = _clean("archive_location", archive_location)
    try:
        return _apply(app_id, action, user, comment, override_reason, archive_location)
    except IntegrityError as err:  # a unique index caught a race the checks could not see (e.g. two open loans)
        raise NotPossible(Message("conflict_just_now", N_(
            "Application %(id)s conflicts with a change made just now; reload it and try again."),
            {"id": app_id})) from err


def _apply(app_id, action: str, user, comment, override_reason, archive_location) -> Done:
    """The transaction of transition(): load, decide, claim, record, apply effects."""
    session = db.session
    with write_transaction(session):
        application = load_visible(app_id, user)
        pk, version, user_id, username = application.id, application.version, user.id, user.username
        facts = facts_for(application, action, override_reason, archive_location)
        outcome = workflow.apply(snapshot(application), action, actor_for(user), facts, comment)
        if action == "submit" and application.type == "info_change":
            effects.parse_changes(application.change_json)  # the office must know what to change
        _claim(application, outcome, _row_values(outcome, override_reason, bool(facts.eligibility_failed)))
        session.add(ApplicationHistory(application_id=application.id, action=action,
                                       from_status=outcome.from_status, to_status=outcome.to_status,
                                       user_id=user_id, username=username, at=utcnow(), comment=comment))
        archive_no = effects.perform(session, application, outcome.effects, archive_location or "", user_id)
        audit.record(session, "transition", object_type="Application", object_id=pk, username=username,
                     user_id=user_id,
                     detail={"action": action, "from": outcome.from_status, "to": outcome.to_status,
                             "comment": comment, "override_reason": override_reason if facts.eligibility_failed
                             else None, "archive_no": archive_no, "effects": list(outcome.effects)})
        session.flush()
    return Done(outcome.action, outcome.from_status, outcome.to_status, outcome.effects, outcome.comment,
                application_id=pk, version=version + 1, archive_no=archive_no)


# --- creating and editing (shared by the screens and the REST API) ----------------------------------------

EDITABLE_STATUSES = frozenset({"draft", "needs_materials"})


def check_changes(item: Application) -> None:
    """An information change lists valid resident fields (stored normalised); other types list none."""
    text = (item.change_json or "").strip() if isinstance(item.change_json, str) else item.change_json
    if item.type == "info_change":
        item.change_json = json.dumps(effects.parse_changes(text), ensure_ascii=False) if text else None
    elif text:
        raise DomainError(Message("changes_not_info_change", N_(
            "Requested changes: only an information-change application lists resident fields to change.")))
    else:
        item.change_json = None


def prepare_new(item: Application, user) -> None:
    """A new application is a draft of a known type for a resident the user can see, in that resident's department."""
    if item.type not in workflow.TYPES:
        raise DomainError(Message("unknown_type", N_("Application type: %(value)s is not a known type."),
                                  {"value": item.type}))
    rid = item.resident_id if item.resident_id is not None else getattr(item.resident, "id", None)
    with db.session.no_autoflush:  # the form may have linked the new item to a resident already
        resident = get_visible(Resident, rid, scope_of(user)) if rid is not None else None
    if resident is None:
        raise DomainError(Message("ref_not_visible", N_("%(field)s: no such record"), {"field": _l("Applicant")}))
    item.resident, item.resident_id, item.department_id = resident, resident.id, resident.department_id
    item.status, item.version, item.police_returned = "draft", 1, False
    item.override_reason = item.eligibility_json = item.submitted_at = item.completed_at = None
    item.created_by_id = user.id
    item.city = (item.city or "").strip() or current_app.config.get("HUKOU_CITY") or None
    check_changes(item)


def claim_edit(item: Application) -> None:
    """Before saving an edit: still editable, and no transition slipped in since it was read (bumps the version)."""
    if item.status not in EDITABLE_STATUSES:
        raise NotPossible(Message("application_not_editable", N_(
            "Application %(id)s can be changed only while it is a draft or awaiting supplementary materials."),
            {"id": item.id}))
    check_changes(item)
    claimed = db.session.execute(
        update(Application).where(Application.id == item.id, Application.status.in_(EDITABLE_STATUSES),
                                  Application.version == item.version)
        .values(version=Application.version + 1).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise NotPossible(Message("changed_concurrently", N_(
            "Application %(id)s was changed by someone else just now; reload it and try again."), {"id": item.id}))
