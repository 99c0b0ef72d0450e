"""Error pages and JSON errors in Chinese: 400/403/404/413/422/500 never leak a traceback."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .domain.errors import DomainError, NotVisible
from .i18n import render_error

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request", 403: "Access denied", 404: "Not found", 405: "Method not allowed",
    409: "Conflict", 413: "The upload is too large", 422: "Invalid input", 429: "Too many requests",
    500: "Internal error",
}


def _wants_json() -> bool:
    """API callers and JSON clients get JSON errors."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _respond(code: int, message: str):
    """A JSON or HTML error response with a translated title."""
    title = gettext(TITLES.get(code, "Error"))
    if _wants_json():
        return jsonify(message=message or title), code
    appbuilder = current_app.appbuilder
    if not hasattr(g, "user"):
        # CSRFProtect (and other early before_request hooks) can fail before FAB sets g.user for the layout
        g.user = current_user
    # FAB's layout needs `appbuilder` in the context; FAB's own views pass it, plain render_template does not.
    return render_template("error.html", code=code, title=title, message=message,
                           base_template=appbuilder.base_template, appbuilder=appbuilder), code


def error_response(code: int, message: str):
    """The error answer (JSON for API callers, the error page otherwise) for code and a translated message."""
    return _respond(code, message)


def install_error_handlers(app: Flask) -> None:
    """Register handlers for HTTP errors, domain errors and unexpected exceptions."""
    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        desc = err.description if err.description and err.code not in (404, 500) else ""
        desc = desc if _is_ours(desc) else ""
        if err.code == 413:
            mb = app.config.get("HUKOU_UPLOAD_MAX_MB")
            desc = gettext("The upload is larger than %(mb)s MB", mb=mb)
        if isinstance(err, CSRFError):
            desc = gettext("The form has expired or did not come from this site; reload the page and try again")
        if err.code == 429:
            desc = gettext("Too many attempts; please wait and try again")
        return _respond(err.code or 500, desc)

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        if isinstance(err, NotVisible) and err.object_type:
            audit_refusal(err.object_type, err.object_id)
        return _respond(err.http_status, render_error(err))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error")
        # The failed transaction (PostgreSQL: "current transaction is aborted") must not break the error page.
        from .extensions import db

        db.session.rollback()
        return _respond(500, "")


def audit_refusal(object_type: str, object_id) -> None:
    """Record a refused access (an object outside the user's scope, answered as 404) in its own unit."""
    from .extensions import db
    from .security.actor import request_unit

    db.session.rollback()
    with request_unit() as uow:
        uow.record("access_denied", object_type=object_type, object_id=object_id, success=False,
                   detail={"path": request.path[:200], "method": request.method})


def _is_ours(desc: str) -> bool:
    """Werkzeug's default English descriptions are dropped; our (translated) ones are kept."""
    return bool(desc) and not desc.startswith(("The ", "You ", "This ", "Request", "The browser"))
