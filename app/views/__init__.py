"""Screen registration: each domain module has a register(appbuilder) that adds its views to the menu."""
from __future__ import annotations

from . import applications, audit_log, exports, lookup, materials, org, records, residents, settings
from ..imports import views as imports  # issue 7: roster / HR imports
from ..exports import views as list_exports  # issue 7: 「导出」 of every list
from ..jobs import views as jobs  # issue 7: 「我的任务」

MODULES = (residents, lookup, exports, imports, org, applications, materials, records, settings, audit_log,
           list_exports, jobs)


def register(appbuilder) -> None:
    """Add every module's views, in menu order."""
    for module in MODULES:
        module.register(appbuilder)
