"""The base of every REST API: row scope, whitelisted columns, Chinese 422s instead of 500s, masking."""
from __future__ import annotations

import re
from typing import Any

from flask import g, request
from flask_appbuilder.api import ModelRestApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.exceptions import DatabaseException
from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from ..dao import get_visible
from ..security.actor import current_actor, request_unit
from ..domain.errors import DomainError, Message, N_
from ..domain.masking import mask_changes, mask_id, mask_phone
from ..i18n import render_error
from ..web.datamodel import SCOPED, HukouInterface
from .schemas import PerRequestSchema, tighten

API_PERMISSIONS = {"get": "read", "get_list": "read", "info": "read", "post": "write", "put": "write",
                   "delete": "delete"}
MASKERS = {"id_number": mask_id, "phone": mask_phone, "change_json": mask_changes}
# FAB's fixed English 400 texts → (msgid, names of the captured parts).
FAB_400 = [
    (re.compile(r"Invalid order by column: (.*)"), "Unknown sort column: %(col)s", ("col",)),
    (re.compile(r"Filter column: (.*) not allowed to filter"), "This column cannot be filtered: %(col)s", ("col",)),
    (re.compile(r"Filter operation: (.*) not allowed on column: (.*)"),
     "Filter %(op)s cannot be used on column %(col)s", ("op", "col")),
]
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Marshmallow's messages with the number already filled in → (msgid, name of the number).
MARSHMALLOW_NUMBERED = [
    (re.compile(r"Longer than maximum length (\d+)\."), "Longer than maximum length %(n)s", "n"),
    (re.compile(r"Shorter than minimum length (\d+)\."), "Shorter than minimum length %(n)s", "n"),
]


def translate_marshmallow(message: str) -> str:
    """One marshmallow message in the user's language (numbered ones through MARSHMALLOW_NUMBERED)."""
    for pattern, msgid, name in MARSHMALLOW_NUMBERED:
        match = pattern.fullmatch(message)
        if match:
            return gettext(msgid, **{name: match.group(1)})
    return gettext(message)


def translate_400(message: Any) -> str:
    """FAB's English 400 message in the user's language (unknown texts become the generic 'Bad request')."""
    text = str(message or "")
    if _CJK.search(text):
        return text
    for pattern, msgid, names in FAB_400:
        match = pattern.fullmatch(text)
        if match:
            return gettext(msgid, **dict(zip(names, match.groups())))
    return gettext("Bad request")


def translate_validation(messages: Any, labels: dict) -> dict:
    """Marshmallow's English messages → {field: [Chinese message naming the field]}."""
    if not isinstance(messages, dict):
        return {"_schema": [gettext(str(messages))]}
    out = {}
    for field, msgs in messages.items():
        label = str(labels.get(field, field))
        msgs = msgs if isinstance(msgs, list) else [msgs]
        out[field] = [f"{label}：{translate_marshmallow(str(m))}" for m in msgs]
    return out


class _Refused(Exception):
    """An error answer from FAB inside a unit of work: roll the unit back, then send the answer."""

    def __init__(self, response):
        super().__init__(getattr(response, "status_code", 0))
        self.response = response


class HukouModelRestApi(ModelRestApi):
    """ModelRestApi with the row scope on every query and explicit add/edit columns (no mass assignment)."""

    base_filters = SCOPED
    method_permission_name = API_PERMISSIONS
    allow_browser_login = False
    masked_columns: tuple[str, ...] = ()
    scoped_refs: dict[str, Any] = {}
    column_enums: dict[str, Any] = {}  # column → allowed values (a OneOf check and an enum in the document)
    page_size = 25
    max_page_size = 100
    add_model_schema = PerRequestSchema()  # one copy per request: FAB's load() keeps the edited row on it
    edit_model_schema = PerRequestSchema()

    def _init_model_schemas(self) -> None:
        """FAB's schemas, made exact: whole numbers in range, finite amounts, enums (see app.api.schemas)."""
        super()._init_model_schemas()
        tighten(self)

    def response_404(self):
        """FAB's 404 in the user's language."""
        return self.response(404, message=gettext("Not found"))

    def response_400(self, message: Any = None):
        """FAB's 400 with its English texts translated (the original kept as `detail` for developers)."""
        body = {"message": translate_400(message)}
        if message and body["message"] != message:
            body["detail"] = str(message)
        return self.response(400, **body)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None) -> dict:
        """FAB's _info field, without gettext('') (which returns the catalog header) for missing descriptions."""
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        if not self.description_columns.get(field.name):
            info["description"] = ""
        if not self.label_columns.get(field.name):
            info["label"] = field.name
        return info

    def _with_warnings(self, response):
        """Add the request's non-blocking warnings (e.g. unknown region code) to a successful write."""
        warnings = g.get("hk_warnings")
        if warnings and getattr(response, "status_code", 0) in (200, 201) and response.is_json:
            body = response.get_json()
            body["warnings"] = warnings
            return self.response(response.status_code, **body)
        return response

    def _guarded(self, fn, *args) -> Any:
        """Run a FAB write as one unit of work; an error answer or a domain/database/validation failure rolls it
        back and becomes a clean 4xx in Chinese."""
        try:
            with request_unit():
                response = fn(*args)
                if getattr(response, "status_code", 200) >= 400:
                    raise _Refused(response)
            return response
        except _Refused as refused:
            return refused.response
        except DomainError as err:
            return self.response(err.http_status, message=render_error(err))
        except ValidationError as err:
            return self.response_422(message=translate_validation(err.messages, self.label_columns))
        except (DatabaseException, IntegrityError):
            # FAB 5.3 re-raises a bare SQLAlchemyError from add/edit; an integrity error is the user's conflict
            return self.response_422(message=gettext("The change conflicts with existing data"))

    def post_headless(self):
        """FAB's create, guarded; unknown or forbidden fields are a 422 naming them."""
        if request.is_json and isinstance(request.json, dict):
            extra = sorted(set(request.json) - set(self.add_columns))
            if extra:
                return self.response_422(message={k: [gettext("This field cannot be set")] for k in extra})
        return self._masked_answer(self._with_warnings(self._translate_422(self._guarded(super().post_headless))))

    def put_headless(self, pk):
        """FAB's update, guarded; only edit_columns may be sent."""
        if request.is_json and isinstance(request.json, dict):
            extra = sorted(set(request.json) - set(self.edit_columns))
            if extra:
                return self.response_422(message={k: [gettext("This field cannot be set")] for k in extra})
        return self._masked_answer(self._refusal_audited(
            self._with_warnings(self._translate_422(self._guarded(super().put_headless, pk))), pk))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk: int):
        """FAB's update, at an integer id only (a text id is a 404, not a 405 from the GET route)."""
        return self.put_headless(pk)

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, pk: int):
        """FAB's delete, at an integer id only."""
        return self.delete_headless(pk)

    # FAB's OpenAPI text for these routes (the part after "---" is the operation's YAML).
    put.__doc__ += "\n        ---" + ModelRestApi.put.__doc__.split("---", 1)[1]
    delete.__doc__ += "\n        ---" + ModelRestApi.delete.__doc__.split("---", 1)[1]

    def delete_headless(self, pk):
        """FAB's delete, guarded."""
        return self._refusal_audited(self._guarded(super().delete_headless, pk), pk)

    def get_headless(self, pk, **kwargs):
        """FAB's read of one row; a row outside the scope is a 404 recorded as a refused access."""
        return self._refusal_audited(super().get_headless(pk, **kwargs), pk)

    def _refusal_audited(self, response, pk):
        """A 404 for a row id (missing or outside the scope) goes into the audit trail as a refused access."""
        if getattr(response, "status_code", None) == 404:
            from ..errors import audit_refusal

            audit_refusal(self.class_permission_name, str(pk)[:40])
        return response

    def _translate_422(self, response):
        """Rewrite FAB's untranslated 422 bodies (marshmallow messages) into Chinese ones."""
        if getattr(response, "status_code", None) == 422 and response.is_json:
            body = response.get_json()
            msg = body.get("message")
            if isinstance(msg, dict) and not getattr(response, "_hk_translated", False):
                return self.response_422(message=translate_validation(msg, self.label_columns))
        return response

    def check_refs(self, item) -> None:
        """Every referenced scoped row (e.g. resident_id) must be visible to the user, else 422."""
        for column, model in self.scoped_refs.items():
            value = getattr(item, column, None)
            if value is not None and get_visible(model, value, current_actor()) is None:
                raise DomainError(Message("ref_not_visible", N_("%(field)s: no such record"),
                                          {"field": str(self.label_columns.get(column, column))}))

    def pre_add(self, item) -> None:
        """Check references before inserting."""
        self.check_refs(item)

    def pre_update(self, item) -> None:
        """Check references before updating."""
        self.check_refs(item)

    def _unmask_requested(self) -> bool:
        """?unmask=1 with the can_unmask permission on this resource (each use is audited by the caller)."""
        return request.args.get("unmask") == "1" and self.appbuilder.sm.has_access(
            "can_unmask", self.class_permission_name)

    def _mask(self, row: dict) -> None:
        """Mask personal numbers in one serialised row."""
        for col in self.masked_columns:
            if row.get(col):
                row[col] = MASKERS[col](row[col])

    def pre_get(self, data: dict) -> None:
        """Mask numbers in a single item unless unmasked (logged)."""
        if self._unmask_requested():
            with request_unit() as uow:
                uow.record("unmask", object_type=self.class_permission_name, object_id=data.get("id"),
                           detail={"via": "api"})
            return
        self._mask(data.get("result", {}))

    def _masked_answer(self, response):
        """A write's answer shows the row as a GET does: masked, or whole with ?unmask=1 and the permission
        (then logged) — a PUT of {} must not be a way to read full numbers unlogged."""
        if not self.masked_columns or getattr(response, "status_code", 0) not in (200, 201) or not response.is_json:
            return response
        body = response.get_json()
        if not isinstance(body.get("result"), dict):
            return response
        data = {"id": body.get("id", (request.view_args or {}).get("pk")), "result": body["result"]}
        self.pre_get(data)
        return self.response(response.status_code, **{**body, "result": data["result"]})

    def get_list_headless(self, **kwargs):
        """FAB's list; a count that is PostgreSQL's estimate (HUKOU_EXACT_COUNT_LIMIT) is flagged in a header."""
        response = super().get_list_headless(**kwargs)
        if g.get("hk_count_estimated"):
            response.headers["X-Count-Estimated"] = "1"
        return response

    def pre_get_list(self, data: dict) -> None:
        """Mask numbers in a list (lists are never unmasked)."""
        for row in data.get("result", []):
            self._mask(row)
