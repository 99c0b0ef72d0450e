"""/api/v1/_openapi: FAB's generated document, made exact so that a client generated from it works.

FAB documents its own routes from docstrings and marshmallow schemas, but leaves gaps: no 403 anywhere, a 422
whose `message` is text (ours names each field), path parameters missing on custom routes, `ids` typed as text,
`_info` columns typed as objects, PUT bodies that claim FAB's required fields. `polish` closes them in one place;
custom routes document their bodies and answers in their own docstrings.
"""
from __future__ import annotations

import copy
import decimal
import re

from flask import current_app
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.api.manager import OpenApi

from ..input_guard import MAX_PK

ERROR = {
    "type": "object",
    "properties": {
        "message": {"oneOf": [
            {"type": "string"},
            {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
             "description": "field → messages naming the field"},
        ]},
        "code": {"type": "string", "description": "stable code of a business refusal"},
        "detail": {"type": "string", "description": "FAB's original English text"},
        "msg": {"type": "string", "description": "token errors (Flask-JWT-Extended)"},
    },
}
RESPONSES = {
    "400": "Malformed request: query argument, JSON body or filter (message in Chinese)",
    "401": "Not signed in, or the token is invalid or expired",
    "403": "The role lacks the permission for this operation",
    "404": "No such record, or not visible to this user",
    "409": "Not possible in the record's current state, or changed by someone else",
    "413": "The upload is larger than HUKOU_UPLOAD_MAX_MB",
    "422": "Refused: the message names each field and says why",
}
METHODS = ("get", "post", "put", "delete", "patch")
PATH_PARAM = re.compile(r"{(\w+)}")
PUBLIC = ("/security/login",)  # the only routes that need no token
_DATE_OR_MASKED = {"type": "string", "pattern": r"^\d{4}-(\d{2}|\*\*)-(\d{2}|\*\*)$",
                   "description": "YYYY-MM-DD; YYYY-**-** for users who may not unmask"}


DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$",
            "description": "ISO 8601 date and time"}
DECIMAL_TEXT = {"type": "string", "pattern": r"^\d+(\.\d+)?$", "description": "an amount as text, e.g. 300.00"}


def _extra_schemas() -> dict:
    """Schemas of the custom routes (materials, transitions), referenced from their docstrings."""
    from ..domain.workflow import ACTIONS, STATUSES
    from ..services.workflow import LIMITS

    text = {"type": "string", "nullable": True}
    material = {"type": "object", "required": ["id", "application_id", "material_type_id", "original_name", "kind",
                                               "size", "sha256", "verified", "stamped", "uploaded_at"],
                "properties": {
                    "id": {"type": "integer"}, "application_id": {"type": "integer"},
                    "material_type_id": {"type": "integer"},
                    "material_type": {"type": "object", "properties": {"name": {"type": "string"},
                                                                       "code": {"type": "string"}}},
                    "original_name": {"type": "string"}, "kind": {"type": "string", "enum": ["pdf", "jpg", "png"]},
                    "size": {"type": "integer"}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "verified": {"type": "boolean"}, "stamped": {"type": "boolean"}, "verify_note": text,
                    "returned_reason": text, "valid_to": {"type": "string", "format": "date", "nullable": True},
                    "verified_by_id": {"type": "integer", "nullable": True},
                    "verified_at": {**DATETIME, "nullable": True}, "uploaded_by_id": {"type": "integer", "nullable": True},
                    "uploaded_at": DATETIME}}
    options = {name: {"type": "string", "nullable": True, "maxLength": limit} for name, (_, limit) in LIMITS.items()}
    from .checklist import schemas as checklist_schemas

    return {
        **checklist_schemas(),  # issue 9: material types and an application's checklist
        "Material": material,
        "MaterialNote": {"type": "object", "properties": {"note": {"type": "string", "maxLength": 500},
                                                          "valid_to": {"type": "string", "format": "date"}}},
        "TransitionRequest": {"type": "object", "additionalProperties": False, "required": ["action"],
                              "properties": {"action": {"type": "string", "enum": list(ACTIONS)}, **options}},
        "TransitionResult": {"type": "object", "required": ["id", "status", "version"], "properties": {
            "id": {"type": "integer"}, "status": {"type": "string", "enum": list(STATUSES)},
            "version": {"type": "integer"}, "archive_no": {"type": "string"}}},
    }


class HukouOpenApi(OpenApi):
    """FAB's OpenApi view with the document polished (same URL and permission as FAB's)."""

    class_permission_name = "OpenApi"

    @expose("/<version>/_openapi")
    @protect()
    @safe
    def get(self, version):
        """The OpenAPI document of every API of a version.
        ---
        get:
          description: The OpenAPI 3 document of the REST API (this document)
          parameters:
          - in: path
            name: version
            required: true
            schema:
              type: string
              enum: [v1]
          responses:
            200:
              description: The OpenAPI document
              content:
                application/json:
                  schema:
                    type: object
            404:
              $ref: '#/components/responses/404'
        """
        spec = self._create_api_spec(version)
        apis = [api for api in current_app.appbuilder.baseviews if isinstance(api, BaseApi) and api.version == version]
        for api in apis:
            api.add_api_spec(spec)
        if not apis:
            return self.response_404()
        return self.response(200, **polish(spec.to_dict()))


def polish(spec: dict) -> dict:
    """The document with error answers, path parameters, list/_info shapes and PUT bodies made exact."""
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {}).update(Error=ERROR, **_extra_schemas())
    components["responses"] = {code: {"description": text, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}} for code, text in RESPONSES.items()}
    components["responses"]["Material"] = {"description": "The material after the change", "content": {
        "application/json": {"schema": {"type": "object", "properties": {
            "result": {"$ref": "#/components/schemas/Material"}}}}}}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS:
                _polish_operation(path, method, operation)
    for name, schema in components["schemas"].items():
        _polish_component(name, schema)
    return spec


def _polish_operation(path: str, method: str, operation: dict) -> None:
    """Declared path parameters, the security requirement, and every answer this operation can give."""
    _declare_path_parameters(path, operation)
    if "security" not in operation and not path.endswith(PUBLIC):
        operation["security"] = [{"jwt": []}]  # custom routes are @protect()ed like FAB's own
    responses = operation.setdefault("responses", {})
    responses.pop("500", None)  # a server error is a bug, not part of the contract
    for code in sorted(_error_codes(path, method, operation)):
        responses.setdefault(code, {"$ref": f"#/components/responses/{code}"})
    for code, answer in list(responses.items()):
        if code.startswith("4") and "$ref" not in answer and code in RESPONSES:
            responses[code] = {"$ref": f"#/components/responses/{code}"}  # one error shape everywhere
    for code in ("200", "201"):
        _polish_list_answer(responses.get(code))


def _declare_path_parameters(path: str, operation: dict) -> None:
    """Every {name} of the path is a declared, required parameter; ids are integers in the INTEGER range."""
    declared = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "path"}
    for name in PATH_PARAM.findall(path):
        if name not in declared:
            operation.setdefault("parameters", []).append({"in": "path", "name": name, "required": True})
    for param in operation.get("parameters", []):
        if param.get("in") == "path" and param.get("schema", {}).get("type", "integer") == "integer":
            param["required"] = True
            param["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PK}


def _error_codes(path: str, method: str, operation: dict) -> set[str]:
    """The 4xx answers of an operation: token and role, missing row, malformed input, refusals, conflicts."""
    codes = set()
    if operation.get("security"):  # a protected route: a token is needed, and a role that may use it
        codes |= {"401", "403"}
    if PATH_PARAM.search(path):
        codes.add("404")
    if any(p.get("in") == "query" for p in operation.get("parameters", [])) or method != "get":
        codes.add("400")
    if method != "get":
        codes.add("422")
        if "/security/" not in path:  # any write may meet a state that forbids it, or a concurrent change
            codes.add("409")
    return codes


def _polish_list_answer(answer: dict | None) -> None:
    """get_list's ids are integers; _info's add/edit columns are lists of field descriptions."""
    schema = (answer or {}).get("content", {}).get("application/json", {}).get("schema", {})
    props = schema.get("properties", {})
    if "ids" in props:
        props["ids"] = {"type": "array", "items": {"type": "integer"}}
    if props.get("id", {}).get("type") == "string":  # FAB documents a single item's id as text
        props["id"] = {"type": "integer"}
    for key in ("add_columns", "edit_columns"):
        if key in props:
            props[key] = {"type": "array", "items": {"type": "object"}}
    if "filters" in props:
        props["filters"] = {"type": "object"}
    if "permissions" in props:
        props["permissions"] = {"type": "array", "items": {"type": "string"}}


def _polish_component(name: str, schema: dict) -> None:
    """PUT bodies are partial updates; masked birth dates are YYYY-**-**; each property's shape as sent."""
    if name.endswith(".put"):
        schema.pop("required", None)
    properties = schema.get("properties", {})
    for field, prop in list(properties.items()):
        properties[field] = _polish_property(prop)
    if name.startswith("ResidentApi.get") and "birth_date" in properties:
        properties["birth_date"] = _nullable_like(properties["birth_date"], _DATE_OR_MASKED)


def _polish_property(prop: dict) -> dict:
    """Numeric bounds as numbers; date-times as sent (no UTC offset); amounts as a number or text."""
    for key in ("minimum", "maximum"):
        if isinstance(prop.get(key), (str, decimal.Decimal)):  # a Decimal field's bounds (JSON: text)
            prop[key] = float(prop[key])
    if prop.get("format") == "date-time":  # stored and sent without a UTC offset: not RFC 3339
        return _nullable_like(prop, DATETIME)
    if prop.pop("x-decimal", False):  # amounts are sent as text ("300.00") and accepted as either
        return _nullable_like(prop, {"anyOf": [{k: v for k, v in prop.items() if k != "nullable"}, DECIMAL_TEXT]})
    return prop


def _nullable_like(old: dict, new: dict) -> dict:
    """`new`, nullable when `old` was."""
    return {**new, "nullable": True} if old.get("nullable") else dict(new)


def register(appbuilder) -> None:
    """/api/v1/_openapi (FAB adds its own only together with the CDN-based Swagger UI, which is off)."""
    appbuilder.add_api(HukouOpenApi)

