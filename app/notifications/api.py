"""/api/v1/notifications/: the caller's own notifications and unread count (every signed-in user, own only)."""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name

from ..extensions import db
from ..security.actor import current_actor
from ..views.formatters import fmt_date
from . import centre
from .channels import KIND_LABELS


def _item(note) -> dict:
    """One notification as JSON."""
    return {"id": note.id, "kind": note.kind, "kind_label": KIND_LABELS.get(note.kind, note.kind),
            "subject": note.subject, "body": note.body, "link": note.link, "object_type": note.object_type,
            "object_id": note.object_id, "day": note.day.isoformat(), "created_at": fmt_date(note.created_at),
            "read": note.read_at is not None}


class MyNotificationsApi(BaseApi):
    """Read-only: marking read is done in the centre's pages (POST with CSRF)."""

    resource_name = "notifications"
    openapi_spec_tag = "Notifications"

    @expose("/unread", methods=["GET"])
    @protect(allow_browser_login=True)
    @permission_name("get")
    @safe
    def unread(self):
        """How many of my notifications are unread.
        ---
        get:
          description: The unread count of the calling user (the menu badge).
          responses:
            200:
              description: The count
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      unread:
                        type: integer
            401:
              $ref: '#/components/responses/401'
        """
        return self.response(200, unread=centre.unread_count(db.session, current_actor()))

    @expose("/", methods=["GET"])
    @protect(allow_browser_login=True)
    @permission_name("get")
    @safe
    def mine(self):
        """My notifications, newest first.
        ---
        get:
          description: The calling user's notifications, 30 a page, newest first; only their own.
          parameters:
          - in: query
            name: page
            schema:
              type: integer
              minimum: 1
          - in: query
            name: unread
            description: 1 for unread ones only
            schema:
              type: string
              enum: ["0", "1"]
          responses:
            200:
              description: One page of notifications
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count:
                        type: integer
                      page:
                        type: integer
                      items:
                        type: array
                        items:
                          type: object
            401:
              $ref: '#/components/responses/401'
        """
        page = centre.my_notifications(db.session, current_actor(), centre.page_number(request.args.get("page")),
                                       request.args.get("unread") == "1")
        return self.response(200, count=page.total, page=page.page, items=[_item(n) for n in page.rows])


def register(appbuilder) -> None:
    """Add the API."""
    appbuilder.add_api(MyNotificationsApi)
