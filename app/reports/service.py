"""What the screen, the REST API and the CLI share: build a report for an actor, write and audit its xlsx."""
from __future__ import annotations

import datetime as dt
from typing import IO

from .. import clock
from ..domain.actor import Actor
from ..extensions import db
from ..uow import UnitOfWork
from . import monthly, periods
from .present import Tr
from .xlsx import write_report


def monthly_report(actor: Actor, month_text: str | None, today: dt.date | None = None) -> dict:
    """The monthly report of YYYY-MM for the actor's rows; DomainError for a bad month."""
    return monthly.build(db.session, actor, periods.month(month_text), today or clock.today())


def annual_report(actor: Actor, year_text: str | None, today: dt.date | None = None) -> dict:
    """The annual summary of YYYY for the actor's rows; DomainError for a bad year."""
    return monthly.annual(db.session, actor, periods.year(year_text), today or clock.today())


def export(uow: UnitOfWork, report: dict, fp: IO[bytes], tr: Tr, via: str) -> int:
    """Write the report's xlsx into `fp` and add its audit row to the unit (like every other export)."""
    sheets = write_report(fp, report, tr)
    kind = "annual" if "year" in report else "monthly"
    uow.record("export", object_type="Report", detail={
        "report": kind, "period": report.get("year") or report.get("month"), "sheets": sheets, "format": "xlsx",
        "via": via, "scope": "unit" if uow.actor.unit_wide else "departments"})
    return sheets
