"""/api/v1/materials/: scoped list/show, multipart upload, file download, verify/stamp/return, delete."""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext

from ..dao import get_or_404, get_visible
from ..models import Application, Material
from ..services import materials as svc
from ..views.base import HukouInterface
from ..views.materials import LABELS, send_material
from ..security.roles import resource_permissions
from .base import API_PERMISSIONS, HukouModelRestApi

UPLOAD_FIELDS = frozenset({"application_id", "material_type_id", "file"})
COLUMNS = ["id", "application_id", "material_type_id", "material_type.name", "original_name", "kind", "size",
           "sha256", "verified", "stamped", "verify_note", "returned_reason", "verified_by_id", "verified_at",
           "uploaded_by_id", "uploaded_at"]


def as_dict(m: Material) -> dict:
    """The JSON form of one material (what GET /<pk> shows)."""
    return {"id": m.id, "application_id": m.application_id, "material_type_id": m.material_type_id,
            "material_type": {"name": m.material_type.name, "code": m.material_type.code},
            "original_name": m.original_name, "kind": m.kind, "size": m.size, "sha256": m.sha256,
            "verified": m.verified, "stamped": m.stamped, "verify_note": m.verify_note,
            "returned_reason": m.returned_reason, "verified_by_id": m.verified_by_id,
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
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    application_id: {type: integer}
                    material_type_id: {type: integer}
                    file: {type: string, format: binary}
          responses:
            201: {description: Uploaded}
            404: {description: Application not visible}
            413: {description: Larger than HUKOU_UPLOAD_MAX_MB}
            422: {description: Refused, with the Chinese reason}
        """
        extra = sorted((set(request.form) | set(request.files)) - UPLOAD_FIELDS)
        if extra:
            return self.response_422(message={k: [gettext("This field cannot be set")] for k in extra})
        application = get_visible(Application, request.form.get("application_id"))
        if application is None:
            return self.response_404()
        storage = request.files.get("file")
        material = svc.upload(application, request.form.get("material_type_id"),
                              storage.filename if storage else None, storage.stream if storage else None)
        return self.response(201, id=material.id, result=as_dict(material))

    @expose("/<int:pk>/file", methods=["GET"])
    @protect()
    @permission_name("file")
    def file(self, pk: int):
        """The stored file under its original name (audited)."""
        return send_material(get_or_404(Material, pk))

    @expose("/<int:pk>/verify", methods=["POST"])
    @protect()
    @permission_name("verify")
    def verify(self, pk: int):
        """Mark verified; optional JSON {"note": …}."""
        material = svc.verify(get_or_404(Material, pk), _json_arg("note"))
        return self.response(200, result=as_dict(material))

    @expose("/<int:pk>/stamp", methods=["POST"])
    @protect()
    @permission_name("stamp")
    def stamp(self, pk: int):
        """Mark verified and stamped 「与原件一致」; optional JSON {"note": …}."""
        material = svc.stamp(get_or_404(Material, pk), _json_arg("note"))
        return self.response(200, result=as_dict(material))

    @expose("/<int:pk>/return", methods=["POST"])
    @protect()
    @permission_name("return_")
    def return_(self, pk: int):
        """Return to the applicant; JSON {"reason": …} is required."""
        material = svc.return_material(get_or_404(Material, pk), _json_arg("reason"))
        return self.response(200, result=as_dict(material))

    @expose("/<pk>", methods=["DELETE"])
    @protect()
    @permission_name("delete")
    def delete(self, pk):
        """Delete the material and its file (uploader while editable, or the officer)."""
        svc.delete(get_or_404(Material, pk))
        return self.response(200, message="OK")


def register(appbuilder) -> None:
    """/api/v1/materials/."""
    appbuilder.add_api(MaterialApi)
