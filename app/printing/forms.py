"""What the print forms show: applicant data masked as policy says, the steps with names, the missing items."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..domain import codes
from ..domain.actor import Actor
from ..domain.masking import mask_birth_date, mask_id, mask_phone, mask_text
from ..models import Application, ApplicationHistory, Material, PageLoan, User
from ..security import labels

# Application types whose page-loan form prints from the application page.
LOAN_TYPES = frozenset({"borrow_page"})
# Statuses in which the applicant still has to bring something: the 补正告知书 is for them.
NOTICE_STATUSES = frozenset({"draft", "submitted", "needs_materials"})
CERTIFICATE_STATUSES = frozenset({"completed", "archived"})


def may_unmask(actor: Actor) -> bool:
    """Whether the forms may show full ID and phone numbers to this actor (the unmask permission)."""
    return actor.can("unmask", "Resident")


def person_name(user: User | None, fallback: str | None = None) -> str:
    """How a form names a member of staff (their one 姓名), or `fallback` when the user is gone."""
    return labels.person_name(user) if user is not None else (fallback or "")


@dataclass(frozen=True)
class Person:
    """The applicant's registration data as one form prints it (numbers already masked or not)."""

    name: str
    gender: str
    ethnicity: str
    birth_date: str
    id_number: str
    phone: str
    department: str
    page_number: str
    move_in_date: str
    native_place: str


def _date(value) -> str:
    """A date as YYYY-MM-DD, or empty."""
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else ""


def person_of(resident, unmasked: bool) -> Person:
    """The applicant's data for a form; ID, phone and birth date masked unless the viewer may unmask."""
    birth = _date(resident.birth_date) if unmasked else mask_birth_date(resident.birth_date)
    return Person(name=resident.name, gender=codes.GENDER.get(resident.gender, ""),
                  ethnicity=codes.ETHNICITY.get(resident.ethnicity or "", ""), birth_date=birth,
                  id_number=resident.id_number if unmasked else mask_id(resident.id_number),
                  phone=(resident.phone or "") if unmasked else mask_phone(resident.phone),
                  department=resident.department.name if resident.department else "",
                  page_number=resident.page_number or "", move_in_date=_date(resident.move_in_date),
                  native_place=resident.native_place or "")


@dataclass(frozen=True)
class Step:
    """One workflow step done: action, statuses, who, when, comment."""

    action: str
    from_status: str
    to_status: str
    person: str
    at: dt.datetime
    comment: str


def steps_of(session: Session, application: Application, unmasked: bool) -> list[Step]:
    """The application's transitions, oldest first, with people's names; comments masked unless permitted."""
    rows = session.execute(select(ApplicationHistory, User).outerjoin(User, User.id == ApplicationHistory.user_id)
                           .where(ApplicationHistory.application_id == application.id)
                           .order_by(ApplicationHistory.id)).all()
    return [Step(h.action, h.from_status, h.to_status, person_name(u, h.username), clock.local(h.at),
                 (h.comment or "") if unmasked else mask_text(h.comment or "")) for h, u in rows]


def signer_of(steps: list[Step], actions: tuple[str, ...]) -> Step | None:
    """The last step taken by one of `actions` (who signs that box of the form), or None."""
    return next((s for s in reversed(steps) if s.action in actions), None)


@dataclass(frozen=True)
class Missing:
    """One line of the 补正告知书: a material to bring, and why (returned with a reason, or not yet checked)."""

    name: str
    reason: str


def missing_items(session: Session, application: Application, missing_names: list[str]) -> list[Missing]:
    """The required items not yet verified, each with the officer's return reason when one was given."""
    reasons: dict[str, str] = {}
    rows = session.scalars(select(Material).where(Material.application_id == application.id,
                                                  Material.verified.is_(False)).order_by(Material.id))
    for material in rows:
        if material.returned_reason:
            reasons[material.material_type.name] = material.returned_reason
    return [Missing(name, reasons.get(name, "")) for name in missing_names]


def loan_of(session: Session, application: Application) -> PageLoan | None:
    """The page loan a completed page-loan application opened, if any."""
    return session.scalar(select(PageLoan).where(PageLoan.application_id == application.id)
                          .order_by(PageLoan.id.desc()).limit(1))


def print_audit(uow, application: Application, form: str, unmasked: bool) -> None:
    """Audit the printing of a form with personal data (which form, of which application, numbers shown)."""
    uow.record("print", object_type="Application", object_id=application.id,
               detail={"form": form, "unmasked": unmasked})
