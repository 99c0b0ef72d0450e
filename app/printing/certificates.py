"""户籍证明: numbered per year (证字〔2026〕第0001号), issued when a certificate application completes."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import clock
from ..models import Application
from ..models.base import utcnow
from ..models.unit import Certificate, CertificateSequence
from ..services import sequences

# The number is part of the document (like the archive number), stored as issued: data, not interface text.
NUMBER_FORMAT = "证字〔{year}〕第{seq:04d}号"


def format_number(year: int, seq: int) -> str:
    """The printed certificate number, e.g. 证字〔2026〕第0001号."""
    return NUMBER_FORMAT.format(year=year, seq=seq)


def next_sequence(session: Session, year: int) -> int:
    """Next sequence of `year` in the caller's transaction (see services.sequences)."""
    return sequences.next_sequence(session, CertificateSequence, year)


def certificate_of(session: Session, application_id: int) -> Certificate | None:
    """The certificate issued for an application, if any."""
    return session.scalar(select(Certificate).where(Certificate.application_id == application_id))


def issue(session: Session, application: Application, user_id: int | None,
          today: dt.date | None = None) -> Certificate:
    """Number and store the certificate of a completed certificate application (idempotent per application)."""
    existing = certificate_of(session, application.id)
    if existing is not None:
        return existing
    day = today or clock.today()
    seq = next_sequence(session, day.year)
    cert = Certificate(number=format_number(day.year, seq), year=day.year, seq=seq, application_id=application.id,
                       resident_id=application.resident_id, purpose=(application.reason or "")[:500] or None,
                       issued_on=day, issued_by_id=user_id)
    session.add(cert)
    session.flush()
    return cert


def record_print(uow, cert: Certificate, unmasked: bool) -> None:
    """Count a (re-)print and audit it; a Core UPDATE so the count is not logged as an edit of the record."""
    uow.session.execute(update(Certificate).where(Certificate.id == cert.id)
                        .values(print_count=Certificate.print_count + 1, last_printed_at=utcnow())
                        .execution_options(synchronize_session=False))
    uow.record("print", object_type="Certificate", object_id=cert.id,
               detail={"form": "certificate", "number": cert.number, "application_id": cert.application_id,
                       "unmasked": unmasked})
