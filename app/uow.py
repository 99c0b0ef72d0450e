"""The unit of work: one transaction, its actor, its audit rows and its single commit, for every mutation.

    with unit_of_work(actor) as uow:        # SQLite: BEGIN IMMEDIATE before the first read
        command(uow, ...)                     # business rules; audit rows collected in uow.session
                                              # commit: audit rows chained and written, or rollback: nothing
Views, REST endpoints, CLI commands and jobs open it; services receive it and never commit.
Audited reads (downloads, unmask, exports) are units of work too: they write their audit row.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from sqlalchemy.orm import Session

from . import audit
from .db import holds_write_lock, immediate
from .domain.actor import Actor

DEPTH = "hk_uow_depth"
CURRENT = "hk_uow"


@dataclass
class UnitOfWork:
    """What a command works with: the session of the transaction and the actor it acts for."""

    session: Session
    actor: Actor
    _undo: list[Callable[[], None]] = field(default_factory=list)
    _after: list[Callable[[], None]] = field(default_factory=list)

    def on_rollback(self, fn: Callable[[], None]) -> None:
        """Run `fn` if the unit rolls back (e.g. remove a file stored for a row that was never committed)."""
        self._undo.append(fn)

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the unit has committed (e.g. remove the file of a deleted row)."""
        self._after.append(fn)

    def record(self, action: str, **kwargs: Any) -> None:
        """Add an audit event (export, unmask, download, transition …) to this unit's commit."""
        audit.record(self.session, action, actor=self.actor, **kwargs)

    def record_rows(self, rows: list[dict]) -> None:
        """Add prepared audit rows (audit.entry) for Core bulk writes."""
        audit.record_rows(self.session, rows)

    def entry(self, action: str, **kwargs: Any) -> dict:
        """An audit row for this unit's actor, to batch with record_rows()."""
        return audit.entry(action, actor=self.actor, **kwargs)


def _session() -> Session:
    """The application's session (one per request / app context)."""
    from .extensions import db

    return db.session


@contextmanager
def unit_of_work(actor: Actor, write: bool = True, session: Session | None = None) -> Iterator[UnitOfWork]:
    """Open (or join) the unit of work: one transaction that commits once at the outermost exit."""
    session = session or _session()
    if hasattr(session, "registry"):  # a scoped_session: work with this context's real Session
        session = session()
    depth = session.info.get(DEPTH, 0)
    outer_actor = session.info.get(audit.ACTOR)
    if depth == 0 and write and session.in_transaction() and not holds_write_lock(session):
        session.commit()  # a read-only transaction cannot take SQLite's write lock later: start a new one
    session.info[DEPTH] = depth + 1
    session.info[audit.ACTOR] = actor
    uow = session.info.get(CURRENT) if depth else None
    uow = UnitOfWork(session, actor, uow._undo, uow._after) if uow else UnitOfWork(session, actor)
    session.info[CURRENT] = uow
    try:
        with immediate(write):
            yield uow
            if depth == 0:
                session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
            _run(uow._undo)
        raise
    finally:
        session.info[DEPTH] = depth
        session.info[audit.ACTOR] = outer_actor
        if depth == 0:
            session.info.pop(CURRENT, None)
    if depth == 0:
        _run(uow._after)


def _run(callbacks: list[Callable[[], None]]) -> None:
    """Run clean-up callbacks; one failing does not stop the others (they only touch files)."""
    for fn in callbacks:
        try:
            fn()
        except OSError:
            pass
