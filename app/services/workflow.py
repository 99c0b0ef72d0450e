"""The one way to move an application: load it in scope, ask the engine, persist status + history + effects."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import inspect as sa_inspect, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session

from .. import audit
from ..clock import utcnow
from ..dao import get_visible
from ..domain import workflow
from ..domain.actor import Actor
from ..domain.errors import DomainError, Message, N_
from ..domain.workflow import NotPossible, NotVisible, Outcome
from ..models import Application, ApplicationHistory, Resident
from ..uow import UnitOfWork
from . import effects
from .facts import facts_for, facts_for_actions, snapshot

LIMITS = {"comment": (N_("Comment"), 1000), "override_reason": (N_("Override reason"), 500),
          "archive_location": (N_("Cabinet location"), 100), "police_ref": (N_("Police acceptance number"), 50),
          "page_number": (N_("Hukou page number"), 30)}
# Inputs the counter's form asks for at one step (type "*" = every type): the police system's acceptance number
# when the application is entered there, the resident's page number when a move-in is completed.
STEP_INPUTS: dict[tuple[str, str], str] = {("enter", "*"): "police_ref", ("complete", "move_in"): "page_number"}


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


def load_visible(uow: UnitOfWork, app_id) -> Application:
    """The application if the actor's row scope reaches it, else the engine's 404."""
    application = get_visible(Application, app_id, uow.actor, uow.session)
    if application is None:
        raise _not_found(app_id)
    return application


def available_actions(application: Application, actor: Actor) -> list[str]:
    """Actions this actor may try on the application now (guards are checked when they try)."""
    return workflow.available(snapshot(application), actor)


def possible_actions(application: Application, actor: Actor) -> list[workflow.Option]:
    """Actions to offer now, each with the guard's reason when it is blocked (see workflow.possible)."""
    snap = snapshot(application)
    session = object_session(application)
    with session.no_autoflush:  # evaluating eligibility writes eligibility_json: a look, not a change
        facts = facts_for_actions(application, workflow.available(snap, actor))
    if "eligibility_json" in sa_inspect(application).attrs and \
            sa_inspect(application).attrs.eligibility_json.history.has_changes():
        session.expire(application, ["eligibility_json"])
    return workflow.possible(snap, actor, facts)


def action_needs(application: Application, option: workflow.Option) -> list[str]:
    """The inputs the form of one offered action asks for: comment, override reason, cabinet, step inputs."""
    needs = ["comment"] if option.comment_required else []
    needs += {"eligibility": ["override_reason"], "archive_location": ["archive_location"]}.get(
        next(iter(option.asks), ""), [])
    return needs + list(step_inputs(application.type, option.action))


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
    if outcome.action in ("submit_police", "reopen"):
        values["police_returned"] = False
    if outcome.action == "pass_review":
        values["override_reason"] = override if failed else None
    return values


def _claim(uow: UnitOfWork, application: Application, outcome: Outcome, values: dict) -> None:
    """The conditional UPDATE: only from the status and version we read; else someone else was first (409)."""
    result = uow.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == outcome.from_status,
               Application.version == application.version)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NotPossible(Message("changed_concurrently", N_(
            "Application %(id)s was changed by someone else just now; reload it and try again."),
            {"id": application.id}))


def step_inputs(app_type: str, action: str) -> tuple[str, ...]:
    """The extra inputs (police_ref, page_number) the form of this action asks for on this type."""
    return tuple(name for (act, typ), name in STEP_INPUTS.items() if act == action and typ in ("*", app_type))


def _require_inputs(uow: UnitOfWork, app_id, action: str, given: dict) -> None:
    """The screens require the step's inputs (the REST API keeps them optional for existing clients)."""
    application = load_visible(uow, app_id)
    for name in step_inputs(application.type, action):
        if not given.get(name):
            raise DomainError(Message("step_input_required", N_("%(field)s is required for \"%(action)s\"."),
                                      {"field": LIMITS[name][0], "action": workflow.ACTIONS[action]}))


def transition(uow: UnitOfWork, app_id, action: str, comment: str | None = None,
               override_reason: str | None = None, archive_location: str | None = None,
               police_ref: str | None = None, page_number: str | None = None, require_inputs: bool = False) -> Done:
    """Apply one workflow action as the unit's actor; raises the engine's DomainError subclasses."""
    comment = _clean("comment", comment)
    override_reason = _clean("override_reason", override_reason)
    archive_location = _clean("archive_location", archive_location)
    extra = {"police_ref": _clean("police_ref", police_ref), "page_number": _clean("page_number", page_number)}
    mark = audit.pending_mark(uow.session)
    try:
        with uow.session.begin_nested():  # a refused row in a bulk run leaves the others intact
            if require_inputs:
                _require_inputs(uow, app_id, action, extra)
            return _apply(uow, app_id, action, comment, override_reason, archive_location, extra)
    except IntegrityError as err:  # a unique index caught a race the checks could not see (e.g. two open loans)
        audit.drop_since(uow.session, mark)
        raise NotPossible(Message("conflict_just_now", N_(
            "Application %(id)s conflicts with a change made just now; reload it and try again."),
            {"id": app_id})) from err
    except BaseException:
        audit.drop_since(uow.session, mark)
        raise


def _apply(uow: UnitOfWork, app_id, action: str, comment, override_reason, archive_location, extra) -> Done:
    """Load, decide, claim, record history and audit, apply effects: all inside the caller's unit."""
    session, actor = uow.session, uow.actor
    application = load_visible(uow, app_id)
    pk, version = application.id, application.version
    facts = facts_for(application, action, override_reason, archive_location)
    outcome = workflow.apply(snapshot(application), action, actor, facts, comment)
    if action == "submit" and application.type == "info_change":
        effects.parse_changes(application.change_json)  # the office must know what to change
    values = _row_values(outcome, override_reason, bool(facts.eligibility_failed))
    if action == "enter" and extra["police_ref"]:
        values["police_ref"] = extra["police_ref"]
    _claim(uow, application, outcome, values)
    session.add(ApplicationHistory(application_id=pk, action=action, from_status=outcome.from_status,
                                   to_status=outcome.to_status, user_id=actor.user_id,
                                   username=actor.label if actor.system else actor.username, at=utcnow(),
                                   comment=comment))
    archive_no = effects.perform(uow, application, outcome.effects, archive_location or "",
                                 page_number=extra["page_number"])
    uow.record("transition", object_type="Application", object_id=pk,
               detail={"action": action, "from": outcome.from_status, "to": outcome.to_status,
                       "comment": comment, "override_reason": override_reason if facts.eligibility_failed
                       else None, "archive_no": archive_no, "effects": list(outcome.effects),
                       **{k: v for k, v in extra.items() if v}})
    session.flush()
    session.expire(application)
    return Done(outcome.action, outcome.from_status, outcome.to_status, outcome.effects, outcome.comment,
                application_id=pk, version=version + 1, archive_no=archive_no)


# --- creating and editing (shared by the screens and the REST API) ----------------------------------------

EDITABLE_STATUSES = frozenset({"draft", "needs_materials"})


def is_editable(application: Application) -> bool:
    """The content can be changed now (claim_edit would not refuse on status)."""
    return application.status in EDITABLE_STATUSES and not application.police_returned


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


def prepare_new(uow: UnitOfWork, item: Application, city_default: str | None = None) -> None:
    """A new application is a draft of a known type for a resident the user can see, in that resident's department."""
    if item.type not in workflow.TYPES:
        raise DomainError(Message("unknown_type", N_("Application type: %(value)s is not a known type."),
                                  {"value": item.type}))
    rid = item.resident_id if item.resident_id is not None else getattr(item.resident, "id", None)
    with uow.session.no_autoflush:  # the form may have linked the new item to a resident already
        resident = get_visible(Resident, rid, uow.actor, uow.session) if rid is not None else None
    if resident is None:
        raise DomainError(Message("ref_not_visible", N_("%(field)s: no such record"), {"field": N_("Applicant")}))
    item.resident, item.resident_id, item.department_id = resident, resident.id, resident.department_id
    item.status, item.version, item.police_returned = "draft", 1, False
    item.override_reason = item.eligibility_json = item.submitted_at = item.completed_at = None
    item.created_by_id = uow.actor.user_id
    item.city = (item.city or "").strip() or city_default or None
    check_changes(item)


def claim_edit(uow: UnitOfWork, item: Application) -> None:
    """Before saving an edit: content still open, and no transition slipped in since it was read (bumps the version).

    Content is frozen once pre-review passed: a police return reopens the materials only; changing the content
    needs the `reopen` action, which sends the application back through pre-review and the approvals.
    """
    if item.status not in EDITABLE_STATUSES:
        raise NotPossible(Message("application_not_editable", N_(
            "Application %(id)s can be changed only while it is a draft or awaiting supplementary materials."),
            {"id": item.id}))
    if item.police_returned:
        raise NotPossible(Message("application_content_frozen", N_(
            "Application %(id)s was already approved: its content cannot be changed, only its materials. To change "
            "the content, use 'Reopen for content changes'; pre-review and the approvals are then repeated."),
            {"id": item.id}))
    check_changes(item)
    claimed = uow.session.execute(
        update(Application).where(Application.id == item.id, Application.status.in_(EDITABLE_STATUSES),
                                  Application.police_returned.is_(False), Application.version == item.version)
        .values(version=Application.version + 1).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise NotPossible(Message("changed_concurrently", N_(
            "Application %(id)s was changed by someone else just now; reload it and try again."), {"id": item.id}))
