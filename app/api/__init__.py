"""REST API registration (/api/v1/...): each module has a register(appbuilder)."""
from __future__ import annotations

from . import applications, materials, ocr, openapi, org, records, reports, residents
from ..notifications import api as notifications  # issue 8: /api/v1/notifications/
from . import todo  # issue 8: /api/v1/todo/
from . import checklist  # issue 9: /api/v1/material-types/, /api/v1/applications/<id>/checklist

MODULES = (residents, org, applications, materials, checklist, records, reports, notifications, ocr, todo, openapi)  # openapi: the spec at /api/v1/_openapi


def register(appbuilder) -> None:
    """Add every module's APIs."""
    for module in MODULES:
        module.register(appbuilder)
