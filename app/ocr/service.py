"""The OCR commands: who may read a card, reading it, and the audit row of every call. No Flask.

The engine runs outside any transaction (a second of CPU must not hold SQLite's write lock); the caller opens a
unit of work afterwards only to write the audit row (who, which file by SHA-256, the side and the warning count —
never the values read).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.dao import get_or_refuse
from app.domain.actor import Actor
from app.domain.errors import DomainError, Message, N_, NotAllowed
from app.models import Application

from . import checks, engine, parsing

AUDIT_ACTION = "ocr_id_card"


def may_use(actor: Actor) -> bool:
    """Users who may add residents or upload materials may read ID cards (the buttons show for them)."""
    return actor.can("write", "Resident") or actor.can("write", "Material")


def authorize(actor: Actor, session: Session, application_id) -> Application | None:
    """Check the caller may read a card, for an application when given; an employee only for their own one."""
    if not may_use(actor):
        raise NotAllowed(Message("ocr_not_allowed", N_("You may not use the ID card recognition")))
    if application_id in (None, ""):
        if actor.can("write", "Resident"):
            return None
        raise NotAllowed(Message("ocr_application_needed",
                                 N_("Choose the application the ID card belongs to (application_id)")))
    application = get_or_refuse(Application, application_id, actor, session)
    if not actor.unit_wide and not actor.can("write", "Resident") and application.resident_id != actor.resident_id:
        raise NotAllowed(Message("ocr_not_own", N_("You may read ID cards only for your own application")))
    return application


@dataclass
class Reading:
    """One call's outcome: the checked result, or the error that stopped it, and the file's fingerprint."""

    sha256: str
    size: int
    result: checks.CardResult | None = None
    error: DomainError | None = None


def read_card(data: bytes, today: date, wait_seconds: float) -> Reading:
    """Recognise one uploaded image and check what it says; errors are kept (and audited), not lost."""
    reading = Reading(hashlib.sha256(data).hexdigest(), len(data))
    try:
        lines = engine.read_lines(data, wait_seconds)
    except DomainError as err:
        reading.error = err
        return reading
    reading.result = checks.check(parsing.parse(lines), today)
    return reading


def audit(uow, reading: Reading, application: Application | None, via: str, material_id: int | None = None,
          differs: list[str] | None = None) -> None:
    """The audit row of one call: file hash and size, side, confidence, number of warnings (no values)."""
    res = reading.result
    detail = {"sha256": reading.sha256, "size": reading.size, "via": via}
    if res is not None:
        detail.update(side=res.side, confidence=res.confidence, warnings=len(res.warnings))
    if reading.error is not None:
        detail["ocr_error"] = reading.error.code  # named on the audit page (audit_labels.REASONS)
    if material_id is not None:
        detail["material_id"] = material_id
    if differs is not None:
        detail["differs"] = len(differs)  # how many fields differ (the panel names them; the trail keeps no values)
    uow.record(AUDIT_ACTION, object_type="Material" if material_id else "Application" if application else None,
               object_id=material_id or (application.id if application else None),
               success=reading.error is None, detail=detail)
