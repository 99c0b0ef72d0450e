"""/api/v1/materials/: scoped list/show, multipart upload, file download, verify/stamp/return, delete."""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext

from ..dao import get_or_refuse, get_visible
from ..security.actor import request_unit
from ..models import Application, Material
from ..services import materials as svc
from ..web.datamodel import HukouInterface
from ..web.labels import MATERIAL_LABELS as LABELS
from ..web.files import send_material
from ..security.roles import resource_permissions
from .base import API_PERMISSIONS, HukouModelRestApi

UPLOAD_FIELDS = frozenset({"application_id", "material_type_id", "file"})
COLUMNS = ["id", "application_id", "material_type_id", "material_type.name", "original_name", "kind", "size",
           "sha256", "verified", "stamped", "verify_note", "returned_reason", "valid_to", "verified_by_id", "verified_at",
           "uploaded_by_id", "uploaded_at"]


def as_dict(m: Material) -> dict:
    """The JSON form of one material (what GET /<pk> shows)."""
    return {"id": m.id, "application_id": m.application_id, "material_type_id": m.material_type_id,
            "material_type": {"name": m.material_type.name, "code": m.material_type.code},
            "original_name": m.original_name, "kind": m.kind, "size": m.size, "sha256": m.sha256,
            "verified": m.verified, "stamped": m.stamped, "verify_note": m.verify_note,
            "returned_reason": m.returned_reason, "valid_to": m.valid_to.isoformat() if m.valid_to else None,
            "verified_by_id": m.verified_by_id,
            "verified_at": m.verified_at.isoformat() if m.verified_at else None,
            "uploaded_by_id": m.uploaded_by_id, "uploaded_at": m.uploaded_at.isoformat()}


def _json_arg(name: str) -> str | None:
    """A string field of a JSON (or form) body."""
    body = request.get_json(silent=True) if request.is_json else None
    value = body.get(name) if isinstance(body, dict) else request.form.get(name)
    return value if isinstance(value, str) else None


class MaterialApi(HukouModelRestApi):
    """Materials over REST; rows are scoped through their application; no PUT (verification has endpoints)."""

    resource_name = "materials"
    datamodel = HukouInterface(Material)
    class_permission_name = "Material"
    base_permissions = resource_permissions("Material")
    method_permission_name = {**API_PERMISSIONS, "delete": "write", "file": "read", "verify": "verify",
                              "stamp": "verify", "return_": "verify"}
    include_route_methods = {"get", "get_list", "info", "post", "delete", "file", "verify", "stamp", "return_"}
    label_columns = {**LABELS, "application_id": LABELS["application"],
                     "material_type_id": LABELS["material_type"]}
    list_columns = COLUMNS
    show_columns = COLUMNS
    add_columns = ["application_id", "material_type_id"]
    edit_columns = ["application_id", "material_type_id"]
    order_columns = ["id", "uploaded_at", "original_name", "verified"]
    search_columns = ["application", "material_type", "verified", "stamped", "original_name"]

    @expose("/", methods=["POST"])
    @protect()
    @permission_name("post")
    def post(self):
        """Upload a scan: multipart application_id, material_type_id, file → 201 with the new material.
        ---
        post:
          description: >-
            A PDF, JPG or PNG scan (the type is read from the content, not the name), at most
            HUKOU_UPLOAD_MAX_MB; the original file name is kept.
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  additionalProperties: false
                  required: [application_id, material_type_id, file]
                  properties:
                    application_id: {type: integer, minimum: 1, maximum: 2147483647}
                    material_type_id: {type: integer, minimum: 1, maximum: 2147483647}
                    file: {type: string, format: binary}
          responses:
            201:
              description: Uploaded
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      result: {$ref: '#/components/schemas/Material'}
            404: {$ref: '#/components/responses/404'}
            413: {$ref: '#/components/responses/413'}
            422: {$ref: '#/components/responses/422'}
        """
        extra = sorted((set(request.form) | set(request.files)) - UPLOAD_FIELDS)
        if extra:
            return self.response_422(message={k: [gettext("This field cannot be set")] for k in extra})
        storage = request.files.get("file")
        with request_unit() as uow:
            application = get_visible(Application, request.form.get("application_id"), uow.actor, uow.session)
            if application is None:
                return self.response_404()
            material = svc.upload(uow, application, request.form.get("material_type_id"),
                                  storage.filename if storage else None, storage.stream if storage else None)
            body = as_dict(material)
        return self.response(201, id=body["id"], result=body)

    @expose("/<int:pk>/file", methods=["GET"])
    @protect()
    @permission_name("file")
    def file(self, pk: int):
        """The stored file under its original name (audited).
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200:
              description: The scan, as an attachment under its original (Chinese) file name
              content:
                application/pdf: {schema: {type: string, format: binary}}
                image/jpeg: {schema: {type: string, format: binary}}
                image/png: {schema: {type: string, format: binary}}
            404: {$ref: '#/components/responses/404'}
        """
        return send_material(pk)

    @expose("/<int:pk>/verify", methods=["POST"])
    @protect()
    @permission_name("verify")
    def verify(self, pk: int):
        """Mark verified; optional JSON {"note": …, "valid_to": "YYYY-MM-DD"} (a certificate's validity).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: false
            content:
              application/json:
                schema: {$ref: '#/components/schemas/MaterialNote'}
          responses:
            200: {$ref: '#/components/responses/Material'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        with request_unit() as uow:
            body = as_dict(svc.verify(uow, get_or_refuse(Material, pk, uow.actor, uow.session), _json_arg("note"),
                                      False, _json_arg("valid_to")))
        return self.response(200, result=body)

    @expose("/<int:pk>/stamp", methods=["POST"])
    @protect()
    @permission_name("stamp")
    def stamp(self, pk: int):
        """Mark verified and stamped 「与原件一致」; optional JSON {"note": …, "valid_to": "YYYY-MM-DD"}.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: false
            content:
              application/json:
                schema: {$ref: '#/components/schemas/MaterialNote'}
          responses:
            200: {$ref: '#/components/responses/Material'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        with request_unit() as uow:
            body = as_dict(svc.stamp(uow, get_or_refuse(Material, pk, uow.actor, uow.session), _json_arg("note"),
                                     _json_arg("valid_to")))
        return self.response(200, result=body)

    @expose("/<int:pk>/return", methods=["POST"])
    @protect()
    @permission_name("return_")
    def return_(self, pk: int):
        """Return to the applicant; JSON {"reason": …} is required.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  additionalProperties: false
                  required: [reason]
                  properties:
                    reason: {type: string, minLength: 1, maxLength: 500, description: Why it is returned}
          responses:
            200: {$ref: '#/components/responses/Material'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        with request_unit() as uow:
            body = as_dict(svc.return_material(uow, get_or_refuse(Material, pk, uow.actor, uow.session), _json_arg("reason")))
        return self.response(200, result=body)

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @permission_name("delete")
    def delete(self, pk: int):
        """Delete the material and its file (uploader while editable, or the officer).
        ---
        delete:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200:
              description: Deleted
              content:
                application/json:
                  schema: {type: object, properties: {message: {type: string}}}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        with request_unit() as uow:
            svc.delete(uow, get_or_refuse(Material, pk, uow.actor, uow.session))
        return self.response(200, message="OK")


def register(appbuilder) -> None:
    """/api/v1/materials/."""
    appbuilder.add_api(MaterialApi)
