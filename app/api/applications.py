"""/api/v1/applications/: drafts over REST, and POST /<id>/transition, the one way to move an application."""
from __future__ import annotations

from flask import current_app, jsonify, make_response, request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext
from marshmallow import ValidationError

from ..domain.errors import DomainError
from ..domain.workflow import ACTIONS, TYPES
from ..i18n import render, render_error
from ..models import Application, Resident
from ..services import workflow as wf
from ..security.actor import request_unit
from ..web.labels import APPLICATION_LABELS as LABELS
from ..web.datamodel import HukouInterface
from ..security.roles import resource_permissions
from .base import API_PERMISSIONS, HukouModelRestApi

ADD_COLUMNS = ["type", "resident_id", "reason", "destination", "pathway", "city", "planned_date", "change_json"]
EDIT_COLUMNS = ["reason", "destination", "pathway", "planned_date", "change_json"]
TRANSITION_FIELDS = ("action", "comment", "override_reason", "archive_location", "police_ref", "page_number")


def validate_type(value: str) -> None:
    """One of the seven application types."""
    if value not in TYPES:
        raise ValidationError(gettext("Unknown application type %(value)s; use one of: %(types)s",
                                      value=value, types=", ".join(TYPES)))


def _bad_body() -> str | None:
    """Why the transition body is unusable (a JSON object with a text action and text options), or None."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return gettext("The request body must be a JSON object such as {\"action\": \"submit\"}.")
    unknown = sorted(set(body) - set(TRANSITION_FIELDS))
    if unknown:
        return gettext("Unknown fields: %(fields)s; allowed: %(allowed)s.", fields=", ".join(map(str, unknown)),
                       allowed=", ".join(TRANSITION_FIELDS))
    if not isinstance(body.get("action"), str) or not body["action"].strip():
        return gettext("The field \"action\" is required and must be text.")
    wrong = [k for k in TRANSITION_FIELDS[1:] if body.get(k) is not None and not isinstance(body[k], str)]
    if wrong:
        return gettext("These fields must be text: %(fields)s.", fields=", ".join(wrong))
    return None


def _error(status: int, message: str, code: str):
    """A JSON error with the Chinese message and the stable code clients can branch on."""
    return make_response(jsonify(message=message, code=code), status)


class ApplicationApi(HukouModelRestApi):
    """Applications: create and edit drafts; status changes only through /transition."""

    resource_name = "applications"
    datamodel = HukouInterface(Application)
    class_permission_name = "Application"
    base_permissions = resource_permissions("Application")
    method_permission_name = {**API_PERMISSIONS, "transition": "transition", "actions": "read"}
    scoped_refs = {"resident_id": Resident}
    masked_columns = ("change_json",)  # an information change's new phone number, as on the resident
    label_columns = {**LABELS, "resident_id": LABELS["resident"], "department_id": LABELS["department"],
                     "department.name": LABELS["department"]}
    list_columns = ["id", "type", "status", "resident_id", "resident.name", "department_id", "department.name",
                    "reason", "submitted_at", "completed_at", "version"]
    show_columns = ["id", "type", "status", "resident_id", "resident.name", "department_id", "department.name",
                    "pathway", "city", "reason", "destination", "planned_date", "change_json", "police_ref",
                    "police_returned",
                    "override_reason", "eligibility_json", "submitted_at", "completed_at", "created_by_id",
                    "version"]
    add_columns = ADD_COLUMNS
    edit_columns = EDIT_COLUMNS
    order_columns = ["id", "type", "status", "submitted_at", "completed_at"]
    search_columns = ["type", "status", "department_id", "resident_id", "submitted_at"]
    validators_columns = {"type": validate_type}
    column_enums = {"type": tuple(TYPES)}
    base_order = ("id", "desc")

    def _unmask_requested(self) -> bool:
        """?unmask=1 with `unmask` on Resident: the numbers in change_json are the resident's (logged)."""
        return request.args.get("unmask") == "1" and self.appbuilder.sm.has_access("can_unmask", "Resident")

    def pre_add(self, item: Application) -> None:
        """A draft for a visible resident; department, status and creator are set here, never by the client."""
        super().pre_add(item)
        with request_unit() as uow:
            wf.prepare_new(uow, item, current_app.config.get("HUKOU_CITY"))

    def pre_update(self, item: Application) -> None:
        """Only drafts and applications awaiting materials, and only the editable fields."""
        with request_unit() as uow:
            wf.claim_edit(uow, item)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk: int):
        """Apply a workflow action.
        ---
        post:
          description: >-
            Body {"action", "comment", "override_reason", "archive_location", "police_ref" (受理号, stored at
            "enter"), "page_number" (户口页编号, stored on the resident when a move-in completes)}. 200 with the new
            status and version; 400 bad body or unknown action; 403 not allowed; 404 not visible; 409 not possible now or
            changed concurrently; 422 a guard refused (the message says why).
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/TransitionRequest'}
          responses:
            200:
              description: The application after the transition
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/TransitionResult'}
            409: {$ref: '#/components/responses/409'}
        """
        problem = _bad_body()
        if problem:
            return _error(400, problem, "bad_request")
        body = request.get_json()
        try:
            with request_unit() as uow:
                done = wf.transition(uow, pk, body["action"].strip(), comment=body.get("comment"),
                                     override_reason=body.get("override_reason"),
                                     archive_location=body.get("archive_location"),
                                     police_ref=body.get("police_ref"), page_number=body.get("page_number"))
        except DomainError as err:
            return _error(err.http_status, render_error(err), err.code)
        result = {"id": done.application_id, "status": done.to_status, "version": done.version}
        if done.archive_no:
            result["archive_no"] = done.archive_no
        return self.response(200, **result)

    @expose("/<int:pk>/actions", methods=["GET"])
    @protect()
    @safe
    def actions(self, pk: int):
        """The actions the caller may take now, as the application page offers them.
        ---
        get:
          description: >-
            Each action this user could take on the application now: `blocked` is false when it would succeed,
            else `reason` says why not (e.g. missing materials). `needs` lists the body fields the step asks for.
            404 outside the caller's row scope.
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: The possible actions
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: array
                        items:
                          type: object
                          properties:
                            action: {type: string}
                            label: {type: string}
                            blocked: {type: boolean}
                            reason: {type: string, nullable: true}
                            needs: {type: array, items: {type: string}}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            with request_unit(write=False) as uow:
                application = wf.load_visible(uow, pk)
                result = [{"action": o.action, "label": gettext(ACTIONS[o.action]), "blocked": bool(o.blocked),
                           "reason": render(o.blocked) if o.blocked else None,
                           "needs": wf.action_needs(application, o)}
                          for o in wf.possible_actions(application, uow.actor)]
        except DomainError as err:
            return _error(err.http_status, render_error(err), err.code)
        return self.response(200, result=result)


def register(appbuilder) -> None:
    """/api/v1/applications/."""
    appbuilder.add_api(ApplicationApi)

