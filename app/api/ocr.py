"""POST /api/v1/ocr/id-card: read an ID card scan (front or back) and return its checked fields; nothing is stored.

Allowed to users who may add residents or upload materials (two resources, so the check is app.ocr.service's, not
a FAB permission); an employee passes application_id and must own that application. Every call is audited.
"""
from __future__ import annotations

import functools

from flask import request
from flask_appbuilder.api import BaseApi, expose
from flask_jwt_extended import verify_jwt_in_request

from ..ocr.web import recognise_upload

FIELDS = frozenset({"file", "application_id"})


def signed_in(fn):
    """A valid access token (the permission check is the command's: it spans two resources)."""
    @functools.wraps(fn)
    def wraps(self, *args, **kwargs):
        verify_jwt_in_request()
        return fn(self, *args, **kwargs)
    return wraps


class OcrApi(BaseApi):
    """ID-card OCR over REST."""

    resource_name = "ocr"
    allow_browser_login = False

    @expose("/id-card", methods=["POST"])
    @signed_in
    def id_card(self):
        """Read an ID card: multipart `file` (JPEG, PNG or a PDF's first page), optional application_id.
        ---
        post:
          description: >-
            Returns the side (front/back), the fields it carries (the others null), the ID number checked
            (id_valid) and cross-checked with birth date and sex, a confidence 0..1 and Chinese warnings.
            The number is masked for users who may not unmask residents. 503 when the engine stays busy.
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  additionalProperties: false
                  required: [file]
                  properties:
                    file: {type: string, format: binary}
                    application_id: {type: integer, minimum: 1, maximum: 2147483647}
          responses:
            200:
              description: The fields read from the card
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {type: object}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
            503:
              description: The recognition is busy
              content:
                application/json:
                  schema: {type: object, properties: {message: {type: string}}}
        """
        extra = sorted((set(request.form) | set(request.files)) - FIELDS)
        if extra:
            from flask_babel import gettext

            return self.response(422, message={k: [gettext("This field cannot be set")] for k in extra})
        status, body = recognise_upload(request.files.get("file"), request.form.get("application_id"), "api")
        return self.response(status, **body)


def register(appbuilder) -> None:
    """/api/v1/ocr/."""
    appbuilder.add_api(OcrApi)
