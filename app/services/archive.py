"""Archive numbers (year + sequence, never reused) and the ArchiveRecord of an archived application."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from .. import clock
from . import sequences

from ..models import Application, ArchiveRecord, ArchiveSequence
from ..models.base import utcnow


def format_number(year: int, seq: int) -> str:
    """The printed archive number, e.g. 2026-00042."""
    return f"{year}-{seq:05d}"


def next_sequence(session: Session, year: int) -> int:
    """Next sequence of `year` in the caller's transaction (see services.sequences)."""
    return sequences.next_sequence(session, ArchiveSequence, year)


def create_record(session: Session, application: Application, location: str, user_id: int | None,
                  today: dt.date | None = None) -> ArchiveRecord:
    """Number and store the archive record of an application (in the caller's transaction)."""
    year = (today or clock.today()).year
    seq = next_sequence(session, year)
    record = ArchiveRecord(archive_no=format_number(year, seq), year=year, seq=seq,
                           application_id=application.id, location=location.strip(),
                           created_by_id=user_id, created_at=utcnow())
    session.add(record)
    session.flush()
    return record
