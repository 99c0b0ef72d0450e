"""Yearly document numbers (archive numbers, certificate numbers): a counter row per year, never reused."""
from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def _bump(session: Session, counter, year: int) -> int | None:
    """Increment the year's counter under its row lock; the new value, or None when the year has no row."""
    bumped = session.execute(update(counter).where(counter.year == year).values(last=counter.last + 1)
                             .execution_options(synchronize_session=False))
    if bumped.rowcount != 1:
        return None
    # Our UPDATE holds the row (PostgreSQL) or the database (SQLite) until commit, so this read is ours.
    return session.scalar(select(counter.last).where(counter.year == year)
                          .execution_options(populate_existing=True))


def next_sequence(session: Session, counter, year: int) -> int:
    """Next number of `year` from the `counter` model (columns year, last) in the caller's transaction.

    A rollback undoes the bump: no gaps, no reuse. Two transactions creating the year's row at once meet on its
    primary key; the loser then waits on the winner's row lock, so numbers stay in commit order.
    """
    seq = _bump(session, counter, year)
    if seq is not None:
        return seq
    try:
        with session.begin_nested():
            session.execute(insert(counter).values(year=year, last=0))
    except IntegrityError:
        pass  # another transaction created the year's row first; its lock now orders us after it
    seq = _bump(session, counter, year)
    if seq is None:  # pragma: no cover - the row exists by now
        raise RuntimeError(f"{counter.__tablename__} row for {year} is missing")
    return seq
