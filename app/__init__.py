"""Hukou Desk (集体户口管理系统): the Flask application factory."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask

from . import db as _db  # noqa: F401  (installs the SQLite pragmas and BEGIN IMMEDIATE)

log = logging.getLogger(__name__)


def _blank_none(value: Any) -> Any:
    """Templates print None as an empty cell and booleans as 是/否, never the words None/True/False."""
    if value is None:
        return ""
    if isinstance(value, bool):
        from .views.formatters import fmt_bool

        return fmt_bool(value)
    return value


def _wire_write_path(app: Flask) -> None:
    """One clock in the office's zone; audit rows name the request's actor and carry its request id."""
    from flask import g, has_request_context

    from . import audit, clock
    from .security.actor import current_actor, request_id

    clock.configure(app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    audit.actor_provider = lambda: current_actor() if has_request_context() else None

    @app.before_request
    def _request_id() -> None:
        """Give the request its id before anything is audited."""
        request_id()

    @app.after_request
    def _request_id_header(response):
        """Send the request id so a user's report can be matched with the audit trail."""
        if g.get("hk_request_id"):
            response.headers["X-Request-Id"] = g.hk_request_id
        return response


def _register_job_kinds(app: Flask, huey) -> None:
    """The background job kinds and the daily reminders' periodic task (the queue knows none of them)."""
    from .desk.schedule import register as register_reminders
    from .exports import job as _export_job  # noqa: F401  (registers the export kind)
    from .imports import job as _import_job  # noqa: F401  (registers the import kind)
    from .ocr import job as _ocr_job  # noqa: F401  (registers the ID-card check kind)

    register_reminders(app, huey)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, database, FAB with our security manager, CSRF, views, API, CLI."""
    from flask_appbuilder import AppBuilder

    from .extensions import csrf, db
    from .index import HukouIndexView

    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.from_object("config")
    if overrides:
        app.config.update(overrides)
    app.config["FAB_CREATE_DB"] = False  # Alembic owns the schema
    proxies = int(app.config.get("HUKOU_TRUSTED_PROXIES", 0))
    if proxies:  # behind the unit's reverse proxy: per-IP login limits and audit IPs need the client address
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.json.ensure_ascii = False
    _wire_write_path(app)
    app.jinja_env.finalize = _blank_none
    db.init_app(app)
    csrf.init_app(app)
    appbuilder = AppBuilder(indexview=HukouIndexView, update_perms=False)
    from .jobs import init_app as init_jobs

    init_jobs(app, setup=_register_job_kinds)  # the job queue (Huey) before the views that enqueue
    with app.app_context():
        appbuilder.init_app(app, db.session)
        from . import api, views
        from .security import hooks

        views.register(appbuilder)
        api.register(appbuilder)
        hooks.install(app, appbuilder)
        appbuilder.post_init()
    from .web import fast_i18n

    fast_i18n.install(app)  # one catalogue lookup per request instead of one per translated string
    from .errors import install_error_handlers
    from .cli import hukou_cli

    install_error_handlers(app)
    from . import input_guard

    input_guard.install(app)  # malformed input is refused before any view runs
    app.cli.add_command(hukou_cli)
    return app
