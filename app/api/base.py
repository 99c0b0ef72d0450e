"""The base of every REST API: row scope, whitelisted columns, Chinese 422s instead of 500s, masking."""
from __future__ import annotations

import re
from typing import Any

from flask import g, request
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.exceptions import DatabaseException
from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..dao import get_visible
from ..domain.errors import DomainError, Message, N_
from ..domain.masking import mask_id, mask_phone
from ..extensions import db
from ..i18n import render_error
from ..views.base import SCOPED, HukouInterface

API_PERMISSIONS = {"get": "read", "get_list": "read", "info": "read", "post": "write", "put": "write",
                   "delete": "delete"}
MASKERS = {"id_number": mask_id, "phone": mask_phone}
# FAB's fixed English 400 texts → (msgid, names of the captured parts).
FAB_400 = [
    (re.compile(r"Invalid order by column: (.*)"), "Unknown sort column: %(col)s", ("col",)),
    (re.compile(r"Filter column: (.*) not allowed to filter"), "This column cannot be filtered: %(col)s", ("col",)),
    (re.compile(r"Filter operation: (.*) not allowed on column: (.*)"),
     "Filter %(op)s cannot be used on column %(col)s", ("op", "col")),
]
_CJK = re.compile(r"[\u4e00-\u9fff]")


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
        out[field] = [f"{label}：{gettext(str(m))}" for m in msgs]
    return out


class HukouModelRestApi(ModelRestApi):
    """ModelRestApi with the row scope on every query and explicit add/edit columns (no mass assignment)."""

    base_filters = SCOPED
    method_permission_name = API_PERMISSIONS
    allow_browser_login = False
    masked_columns: tuple[str, ...] = ()
    scoped_refs: dict[str, Any] = {}
    page_size = 25
    max_page_size = 100

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
        """Run a FAB write and turn domain/database/validation failures into a clean 422 with rollback."""
        try:
            return fn(*args)
        except DomainError as err:
            db.session.rollback()
            return self.response(err.http_status, message=render_error(err))
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=translate_validation(err.messages, self.label_columns))
        except (DatabaseException, IntegrityError):
            # FAB 5.3 re-raises a bare SQLAlchemyError from add/edit; an integrity error is the user's conflict
            db.session.rollback()
            return self.response_422(message=gettext("The change conflicts with existing data"))

    def post_headless(self):
        """FAB's create, guarded; unknown or forbidden fields are a 422 naming them."""
        if request.is_json and isinstance(request.json, dict):
            extra = sorted(set(request.json) - set(self.add_columns))
            if extra:
                return self.response_422(message={k: [gettext("This field cannot be set")] for k in extra})
        return self._with_warnings(self._translate_422(self._guarded(super().post_headless)))

    def put_headless(self, pk):
        """FAB's update, guarded; only edit_columns may be sent."""
        if request.is_json and isinstance(request.json, dict):
            extra = sorted(set(request.json) - set(self.edit_columns))
            if extra:
                return self.response_422(message={k: [gettext("This field cannot be set")] for k in extra})
        return self._with_warnings(self._translate_422(self._guarded(super().put_headless, pk)))

    def delete_headless(self, pk):
        """FAB's delete, guarded."""
        return self._guarded(super().delete_headless, pk)

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
            if value is not None and get_visible(model, value) is None:
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
            audit.record_now(db.session, "unmask", object_type=self.class_permission_name,
                             object_id=data.get("id"), detail={"via": "api"})
            return
        self._mask(data.get("result", {}))

    def pre_get_list(self, data: dict) -> None:
        """Mask numbers in a list (lists are never unmasked)."""
        for row in data.get("result", []):
            self._mask(row)
