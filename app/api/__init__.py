"""REST API registration (/api/v1/...): each module has a register(appbuilder)."""
from __future__ import annotations

from . import applications, materials, org, records, residents

MODULES = (residents, org, applications, materials, records)


def register(appbuilder) -> None:
    """Add every module's APIs."""
    from flask_appbuilder.api.manager import OpenApi

    for module in MODULES:
        module.register(appbuilder)
    appbuilder.add_api(OpenApi)  # the spec at /api/v1/_openapi (FAB only adds it with its CDN-based Swagger UI)
