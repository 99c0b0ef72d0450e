"""REST API registration (/api/v1/...): each module has a register(appbuilder)."""
from __future__ import annotations

from . import applications, materials, openapi, org, records, residents

MODULES = (residents, org, applications, materials, records, openapi)  # openapi: the spec at /api/v1/_openapi


def register(appbuilder) -> None:
    """Add every module's APIs."""
    for module in MODULES:
        module.register(appbuilder)
