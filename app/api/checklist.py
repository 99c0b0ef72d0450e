"""/api/v1/material-types/ (read-only) and /api/v1/applications/<id>/checklist: what the materials panel shows.

A REST client learns which material type ids exist (for POST /api/v1/materials/) and, per application, each
checklist item's state — missing (缺少) / pending (待核验) / verified (已核验) / returned (已退回) — with its
material ids. Row scope as everywhere: an application outside the scope is a 404.
"""
from __future__ import annotations

from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext
from sqlalchemy import select

from ..dao import get_visible
from ..domain.workflow_table import TYPES
from ..extensions import db
from ..models import Application, ChecklistItem, MaterialType
from ..security.actor import current_actor
from ..security.roles import resource_permissions
from ..services import material_state as states
from ..services import materials as svc


def line_json(line: states.Line) -> dict:
    """One checklist line as JSON: the type, required, state code and Chinese label, material ids."""
    return {"material_type_id": line.material_type_id, "code": line.code, "name": line.name,
            "required": line.required, "note": line.note, "on_checklist": line.on_checklist,
            "state": line.state, "state_label": gettext(line.state_label), "material_ids": line.material_ids,
            "return_reason": line.reason}


def type_json(mtype: MaterialType, items: list[ChecklistItem]) -> dict:
    """One material type with the application types whose checklist names it."""
    return {"id": mtype.id, "code": mtype.code, "name": mtype.name,
            "checklists": [{"app_type": i.app_type, "app_type_label": gettext(TYPES.get(i.app_type, i.app_type)),
                            "required": i.required} for i in items if i.material_type_id == mtype.id]}


class MaterialTypeApi(BaseApi):
    """The material types (read-only), for whoever may read materials."""

    resource_name = "material-types"
    route_base = "/api/v1/material-types"
    openapi_spec_tag = "Material types"
    class_permission_name = "Material"
    base_permissions = resource_permissions("Material")  # all of them: FAB drops what a view does not declare
    method_permission_name = {"material_types": "read"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def material_types(self):
        """Every material type: id, code, Chinese name, and the checklists it is on.
        ---
        get:
          description: >-
            The material types (居民身份证, 准迁证 …) with the application types whose checklist names them;
            use an id as material_type_id when uploading.
          responses:
            200:
              description: The material types, by id
              content:
                application/json:
                  schema:
                    type: object
                    required: [count, result]
                    properties:
                      count: {type: integer}
                      result:
                        type: array
                        items: {$ref: '#/components/schemas/MaterialTypeItem'}
        """
        types = list(db.session.scalars(select(MaterialType).order_by(MaterialType.id)))
        items = list(db.session.scalars(select(ChecklistItem).order_by(ChecklistItem.id)))
        return self.response(200, count=len(types), result=[type_json(t, items) for t in types])


class ChecklistApi(BaseApi):
    """The checklist of one visible application with each item's state."""

    resource_name = "application-checklist"
    route_base = "/api/v1/applications"
    openapi_spec_tag = "Applications"
    class_permission_name = "Application"
    base_permissions = resource_permissions("Application")
    method_permission_name = {"checklist": "read"}

    @expose("/<int:pk>/checklist", methods=["GET"])
    @protect()
    @safe
    def checklist(self, pk: int):
        """Each required and optional item of the application's checklist with its state and material ids.
        ---
        get:
          description: >-
            state is missing (缺少: nothing uploaded), pending (待核验: uploaded, waiting for the officer),
            verified (已核验) or returned (已退回); state_label is its Chinese name. not_uploaded lists the
            required items still to upload (missing or returned), not_verified the required items without a
            verified material (what pre-review refuses).
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200:
              description: The checklist with states
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Checklist'}
            404: {$ref: '#/components/responses/404'}
        """
        application = get_visible(Application, pk, current_actor())
        if application is None:
            from ..errors import audit_refusal

            audit_refusal("Application", str(pk)[:40])
            return self.response(404, message=gettext("Not found"))
        lines = svc.checklist_state(application)
        return self.response(200, id=application.id, type=application.type, status=application.status,
                             result=[line_json(line) for line in lines],
                             not_uploaded=states.not_uploaded(lines), not_verified=states.not_verified(lines))


def schemas() -> dict:
    """The OpenAPI schemas of these answers (app/api/openapi.py adds them to the document)."""
    text = {"type": "string", "nullable": True}
    names = {"type": "array", "items": {"type": "string"}}
    line = {"type": "object", "required": ["material_type_id", "code", "name", "required", "state", "state_label",
                                           "material_ids"],
            "properties": {"material_type_id": {"type": "integer"}, "code": {"type": "string"},
                           "name": {"type": "string"}, "required": {"type": "boolean"}, "note": text,
                           "on_checklist": {"type": "boolean"},
                           "state": {"type": "string", "enum": list(states.STATE_LABELS)},
                           "state_label": {"type": "string"},
                           "material_ids": {"type": "array", "items": {"type": "integer"}},
                           "return_reason": text}}
    return {
        "MaterialTypeItem": {"type": "object", "required": ["id", "code", "name", "checklists"], "properties": {
            "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
            "checklists": {"type": "array", "items": {"type": "object", "properties": {
                "app_type": {"type": "string"}, "app_type_label": {"type": "string"},
                "required": {"type": "boolean"}}}}}},
        "ChecklistLine": line,
        "Checklist": {"type": "object", "required": ["id", "type", "status", "result", "not_uploaded",
                                                     "not_verified"], "properties": {
            "id": {"type": "integer"}, "type": {"type": "string"}, "status": {"type": "string"},
            "result": {"type": "array", "items": {"$ref": "#/components/schemas/ChecklistLine"}},
            "not_uploaded": names, "not_verified": names}},
    }


def register(appbuilder) -> None:
    """/api/v1/material-types/ and /api/v1/applications/<id>/checklist."""
    appbuilder.add_api(MaterialTypeApi)
    appbuilder.add_api(ChecklistApi)
