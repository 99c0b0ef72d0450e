"""What a completed or archived application does to the register, in the transition's transaction."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..domain import codes
from ..domain.errors import DomainError, Message, N_
from ..domain.workflow import GuardFailed
from ..models import Application, PageLoan, Resident
from .. import clock
from . import archive

# Resident fields an information-change application may set: (label, max length, code table or None).
CHANGEABLE: dict[str, tuple[Any, int, dict | None]] = {
    "name": (_l("Name"), 50, None),
    "former_name": (_l("Former name"), 50, None),
    "marital_status": (_l("Marital status"), 2, codes.MARITAL),
    "education": (_l("Education"), 2, codes.EDUCATION),
    "ethnicity": (_l("Ethnicity"), 2, codes.ETHNICITY),
    "occupation": (_l("Occupation"), 100, None),
    "phone": (_l("Phone"), 20, None),
}
REQUIRED_FIELDS = frozenset({"name"})


def _bad(code: str, msgid: str, **params: Any) -> DomainError:
    """A 422 about the requested changes."""
    return DomainError(Message(code, msgid, params))


def _clean_value(field: str, value: Any) -> str | None:
    """One requested value, normalised (codes from a code or a Chinese name), or a DomainError."""
    label, limit, table = CHANGEABLE[field]
    if value is not None and not isinstance(value, (str, int)):
        raise _bad("info_change_value", N_("%(field)s: the new value must be text."), field=label)
    text = str(value).strip() if value is not None else ""
    if not text:
        if field in REQUIRED_FIELDS:
            raise _bad("info_change_required", N_("%(field)s cannot be empty."), field=label)
        return None
    if table is not None:
        code = codes.lookup(table, text)
        if code is None:
            raise _bad("info_change_code", N_("%(field)s: %(value)s is not a valid code."), field=label, value=text)
        return code
    if len(text) > limit:
        raise _bad("info_change_too_long", N_("%(field)s: at most %(max)s characters."), field=label, max=limit)
    return text


def parse_changes(raw: str | dict | None) -> dict[str, str | None]:
    """The requested resident changes of an information-change application, validated and normalised."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else None
        except ValueError:
            raw = False
    if not isinstance(raw, dict):
        raise _bad("info_change_invalid", N_("The requested changes must be a JSON object of resident fields, "
                                             "e.g. {\"marital_status\": \"20\"}."))
    unknown = sorted(set(raw) - set(CHANGEABLE))
    if unknown:
        raise _bad("info_change_field", N_("Field %(fields)s cannot be changed by an information-change "
                                           "application; allowed: %(allowed)s."),
                   fields=", ".join(map(str, unknown)), allowed=", ".join(CHANGEABLE))
    if not raw:
        raise _bad("info_change_empty", N_("List at least one resident field to change."))
    return {field: _clean_value(field, value) for field, value in raw.items()}


def activate_resident(session: Session, application: Application, page_number: str | None = None,
                      **_: Any) -> None:
    """move_in completed: the resident is in the household from today unless a date was recorded."""
    resident = application.resident
    resident.status = "active"
    resident.move_in_date = resident.move_in_date or clock.today()
    if page_number:  # the 户口页编号 the officer typed at completion; unique among residents
        taken = session.scalar(select(Resident.id).where(Resident.page_number == page_number,
                                                         Resident.id != resident.id))
        if taken is not None:
            raise GuardFailed(Message("page_number_taken", N_(
                "Hukou page number %(number)s is already used by another resident."), {"number": page_number}))
        resident.page_number = page_number


def close_resident(session: Session, application: Application, **_: Any) -> None:
    """move_out completed: the resident has left, today, for the application's destination."""
    resident = application.resident
    resident.status = "moved_out"
    resident.move_out_date = clock.today()
    resident.move_out_to = application.destination


def apply_info_change(session: Session, application: Application, **_: Any) -> None:
    """info_change completed: write the requested fields to the resident."""
    for field, value in parse_changes(application.change_json).items():
        setattr(application.resident, field, value)


def _deposit() -> Decimal | None:
    """HUKOU_LOAN_DEPOSIT when it is a positive amount."""
    try:
        amount = Decimal(str(current_app.config.get("HUKOU_LOAN_DEPOSIT") or "0"))
    except InvalidOperation:
        return None
    return amount if amount > 0 else None


def open_loan(session: Session, application: Application, **_: Any) -> None:
    """borrow_page completed: lend the page, due in HUKOU_LOAN_DAYS days; re-checked under the resident's lock."""
    session.execute(select(Resident.id).where(Resident.id == application.resident_id).with_for_update())
    if session.scalar(select(exists().where(PageLoan.resident_id == application.resident_id,
                                            PageLoan.returned_on.is_(None)))):
        raise GuardFailed(Message("page_already_lent", N_(
            "The resident's page is already lent out; it must be returned before it is lent again.")))
    today = clock.today()
    session.add(PageLoan(resident_id=application.resident_id, application_id=application.id,
                         purpose=(application.reason or "")[:200] or None, lent_on=today,
                         due_on=today + dt.timedelta(days=int(current_app.config.get("HUKOU_LOAN_DAYS", 15))),
                         deposit=_deposit()))


def issue_certificate(session: Session, application: Application, user_id: int | None = None, **_: Any) -> None:
    """certificate completed: the numbered 户籍证明 of the year, kept with the application (app/printing)."""
    from ..printing.certificates import issue

    issue(session, application, user_id)


def create_archive(session: Session, application: Application, location: str = "",
                   user_id: int | None = None, **_: Any) -> str:
    """archived: an ArchiveRecord with the next number of the year; returns the number."""
    return archive.create_record(session, application, location, user_id).archive_no


EFFECTS = {
    "activate_resident": activate_resident,
    "close_resident": close_resident,
    "apply_info_change": apply_info_change,
    "open_loan": open_loan,
    "issue_certificate": issue_certificate,
    "create_archive": create_archive,
}


def perform(uow, application: Application, effects: tuple[str, ...], location: str,
            page_number: str | None = None) -> str | None:
    """Carry out the effects of an accepted transition in the unit of work; the archive number if one was issued."""
    archive_no = None
    for name in effects:
        result = EFFECTS[name](uow.session, application, location=location, user_id=uow.actor.user_id,
                               page_number=page_number)
        if isinstance(result, str):
            archive_no = result
    return archive_no
