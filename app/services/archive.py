"""Archive numbers (year + sequence, never reused) and the ArchiveRecord of an archived application."""
from __future__ import annotations

import datetime as dt

from .. import clock
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Application, ArchiveRecord, ArchiveSequence
from ..models.base import utcnow


def format_number(year: int, seq: int) -> str:
    """The printed archive number, e.g. 2026-00042."""
    return f"{year}-{seq:05d}"


def _bump(session: Session, year: int) -> int | None:
    """Increment the year's counter under its row lock; the new value, or None when the year has no row."""
    bumped = session.execute(update(ArchiveSequence).where(ArchiveSequence.year == year)
                             .values(last=ArchiveSequence.last + 1)
                             .execution_options(synchronize_session=False))
    if bumped.rowcount != 1:
        return None
    # Our UPDATE holds the row (PostgreSQL) or the database (SQLite) until commit, so this read is ours.
    return session.scalar(select(ArchiveSequence.last).where(ArchiveSequence.year == year)
                          .execution_options(populate_existing=True))


def next_sequence(session: Session, year: int) -> int:
    """Next sequence of `year` in the caller's transaction (a rollback undoes the bump: no gaps, no reuse)."""
    seq = _bump(session, year)
    if seq is not None:
        return seq
    try:
        with session.begin_nested():
            session.execute(insert(ArchiveSequence).values(year=year, last=0))
    except IntegrityError:
        pass  # another transaction created the year's row first; its lock now orders us after it
    seq = _bump(session, year)
    if seq is None:  # pragma: no cover - the row exists by now
        raise RuntimeError(f"archive sequence row for {year} is missing")
    return seq


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
