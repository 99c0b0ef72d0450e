"""Screen registration: each domain module has a register(appbuilder) that adds its views to the menu."""
from __future__ import annotations

from . import applications, audit_log, exports, lookup, materials, org, records, residents, settings

MODULES = (residents, lookup, exports, org, applications, materials, records, settings, audit_log)


def register(appbuilder) -> None:
    """Add every module's views, in menu order."""
    for module in MODULES:
        module.register(appbuilder)
