"""/api/v1/todo/: the calling user's to-do list (待办), the same as the home page, row scope applied."""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext

from ..clock import today
from ..desk.todo import OTHER_ACTIONS, PER_QUEUE, QUEUE_LABELS, Item, todo_summary
from ..domain.workflow import ACTIONS, TYPES
from ..extensions import db
from ..security.actor import current_actor

MAX_PER_QUEUE = 500  # an API client may read a whole queue of a normal office; the home page shows PER_QUEUE


def item_json(item: Item, day) -> dict:
    """One item as the issue defines it, plus labels in the user's language and the link."""
    return {"kind": item.kind, "id": item.id, "status": item.status, "actions": list(item.actions),
            "since": item.since.isoformat(), "due": item.due.isoformat() if item.due else None,
            "overdue": item.overdue, "title": item.title, "link": item.link, "type": item.type,
            "department": item.department, "waited_days": item.waited(day),
            "label": gettext(QUEUE_LABELS[item.queue]),
            "action_labels": [gettext(ACTIONS.get(a) or OTHER_ACTIONS.get(a, a)) for a in item.actions],
            "type_label": gettext(TYPES[item.type]) if item.type in TYPES else item.type}


class TodoApi(BaseApi):
    """Read-only; every signed-in user has a to-do list (possibly empty)."""

    resource_name = "todo"
    openapi_spec_tag = "To-do"

    @expose("/", methods=["GET"])
    @protect(allow_browser_login=True)
    @permission_name("get")
    @safe
    def todo(self):
        """What the calling user must do now, oldest first.
        ---
        get:
          description: >-
            The calling user's to-do list: per queue the full count, and the oldest items of each queue
            (row scope applied). `count` is everything waiting; `items` lists at most `per_queue` (default 20)
            per queue.
          parameters:
          - in: query
            name: per_queue
            required: false
            schema:
              type: integer
              minimum: 1
              maximum: 500
          responses:
            200:
              description: The to-do list
              content:
                application/json:
                  schema:
                    type: object
                    required: [count, items]
                    properties:
                      count:
                        type: integer
                      today:
                        type: string
                        format: date
                      queues:
                        type: array
                        items:
                          type: object
                          properties:
                            kind:
                              type: string
                            status:
                              type: string
                            count:
                              type: integer
                      items:
                        type: array
                        items:
                          type: object
                          required: [kind, id, status, actions, since, due, overdue]
                          properties:
                            kind:
                              type: string
                              enum: [application, loan, leaver, material, fee]
                            id:
                              type: integer
                            status:
                              type: string
                            actions:
                              type: array
                              items:
                                type: string
                            since:
                              type: string
                              format: date
                            due:
                              type: string
                              format: date
                              nullable: true
                            overdue:
                              type: boolean
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        raw = request.args.get("per_queue", str(PER_QUEUE))
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PER_QUEUE:
            return self.response_400(message=gettext("per_queue must be a whole number from 1 to %(max)d",
                                                     max=MAX_PER_QUEUE))
        day = today()
        todo = todo_summary(current_actor(), day, db.session, int(raw))
        return self.response(200, count=todo.count, today=day.isoformat(),
                             queues=[{"kind": q.kind, "status": q.status, "count": q.count,
                                      "label": gettext(QUEUE_LABELS[(q.kind, q.status)])} for q in todo.queues],
                             items=[item_json(i, day) for i in todo.items])


def register(appbuilder) -> None:
    """Add the API."""
    appbuilder.add_api(TodoApi)
