"""Screen registration: each domain module has a register(appbuilder) that adds its views to the menu."""
from __future__ import annotations

from . import applications, audit_log, exports, lookup, materials, org, records, residents, settings
from ..imports import views as imports  # issue 7: roster / HR imports
from ..exports import views as list_exports  # issue 7: 「导出」 of every list
from ..jobs import views as jobs  # issue 7: 「我的任务」
from ..notifications import views as notifications  # issue 8: 「消息」 and 「催办记录」
from ..desk import remind_views as reminders  # issue 8: 「催办」 buttons
from ..reports import views as reports  # issue 8: 「统计」 dashboard, monthly report, annual summary
from ..calendar import views as work_calendar  # issue 8: Settings → 「工作日历」
from ..printing import views as printing  # issue 9: print forms, Settings → 「单位信息」
from ..handbook import views as handbook  # issue 9: Applications → 「办事指南」 (SOP)

MODULES = (residents, lookup, exports, imports, org, applications, materials, records, settings, audit_log,
           list_exports, jobs, reports, reminders, notifications,
           work_calendar, printing, handbook)


def register(appbuilder) -> None:
    """Add every module's views, in menu order."""
    for module in MODULES:
        module.register(appbuilder)
