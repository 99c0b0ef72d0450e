"""What a reminder says (no Flask): msgids with parameters, rendered in Chinese at the edge.

Each text names the person and the object and never carries an ID or phone number: free text typed by users
(a loan's purpose) goes through mask_text first.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.domain.errors import N_, Message
from app.domain.masking import mask_text
from app.domain.workflow_table import STATUSES, TYPES


@dataclass(frozen=True)
class Text:
    """A reminder's subject and body lines, still to be rendered."""

    subject: Message
    body: tuple[Message, ...]


def _m(code: str, msgid: str, **params) -> Message:
    """A Message with its params."""
    return Message(code, msgid, params)


def _iso(day: dt.date | None) -> str:
    """A date as YYYY-MM-DD (empty when unknown)."""
    return day.isoformat() if day else ""


def _dept(resident) -> str:
    """The resident's department name, or a dash."""
    return resident.department.name if getattr(resident, "department", None) else "—"


def loan_text(loan, today: dt.date) -> Text:
    """A lent page: overdue since its due date, or still due."""
    name = loan.resident.name
    late = (today - loan.due_on).days
    if late > 0:
        subject = _m("rm_loan_late", N_("Hukou page overdue: %(name)s, due back %(due)s"), name=name,
                     due=_iso(loan.due_on))
        main = _m("rm_loan_late_body", N_(
            "%(name)s borrowed the hukou page on %(lent)s; it was due back on %(due)s and is %(days)s day(s) "
            "overdue. Please return it to the hukou office."), name=name, lent=_iso(loan.lent_on),
            due=_iso(loan.due_on), days=late)
    else:
        subject = _m("rm_loan_due", N_("Hukou page on loan: %(name)s, due back %(due)s"), name=name,
                     due=_iso(loan.due_on))
        main = _m("rm_loan_due_body", N_(
            "%(name)s borrowed the hukou page on %(lent)s; please return it to the hukou office by %(due)s."),
            name=name, lent=_iso(loan.lent_on), due=_iso(loan.due_on))
    body = (main,)
    if loan.purpose:
        body += (_m("rm_purpose", N_("Purpose: %(purpose)s"), purpose=mask_text(loan.purpose)[:100]),)
    return Text(subject, body)


def leaver_text(resident, due: dt.date, today: dt.date) -> Text:
    """A resident who left: past the move-out deadline, or not yet."""
    name, dept, late = resident.name, _dept(resident), (today - due).days
    if late > 0:
        subject = _m("rm_leaver_late", N_("Hukou not moved out: %(name)s (%(department)s)"), name=name,
                     department=dept)
        main = _m("rm_leaver_late_body", N_(
            "%(name)s (%(department)s) left on %(left)s; the hukou had to be moved out by %(due)s and is "
            "%(days)s day(s) overdue. Please arrange the move-out."), name=name, department=dept,
            left=_iso(resident.leave_date), due=_iso(due), days=late)
    else:
        subject = _m("rm_leaver_due", N_("Hukou to move out: %(name)s (%(department)s)"), name=name,
                     department=dept)
        main = _m("rm_leaver_due_body", N_(
            "%(name)s (%(department)s) left on %(left)s; please move the hukou out by %(due)s."), name=name,
            department=dept, left=_iso(resident.leave_date), due=_iso(due))
    return Text(subject, (main,))


def _app_params(application) -> dict:
    """Number, applicant, type and status of an application (type and status are msgids, rendered later)."""
    return {"id": application.id, "name": application.resident.name,
            "type": TYPES.get(application.type, application.type),
            "status": STATUSES.get(application.status, application.status)}


def materials_text(application, since: dt.date) -> Text:
    """An application sent back for supplementary materials."""
    p = _app_params(application)
    subject = _m("rm_materials", N_("Materials to supplement: %(type)s application #%(id)s of %(name)s"), **p)
    main = _m("rm_materials_body", N_(
        "The %(type)s application #%(id)s of %(name)s has been waiting for supplementary materials since "
        "%(since)s. Please upload them; the application's page lists what is missing."), since=_iso(since), **p)
    return Text(subject, (main,))


def stage_text(application, since: dt.date, due: dt.date | None, over: int) -> Text:
    """An application waiting in a workflow stage: past the stage's limit (`over` > 0) or not."""
    p = _app_params(application)
    if over > 0:
        subject = _m("rm_stage_late", N_("Overdue: %(type)s application #%(id)s of %(name)s (%(status)s)"), **p)
        main = _m("rm_stage_late_body", N_(
            "The %(type)s application #%(id)s of %(name)s has been waiting in “%(status)s” since %(since)s; "
            "it was due by %(due)s and is %(days)s day(s) late. Please deal with it."), since=_iso(since),
            due=_iso(due), days=over, **p)
    else:
        subject = _m("rm_stage", N_("Waiting: %(type)s application #%(id)s of %(name)s (%(status)s)"), **p)
        main = _m("rm_stage_body", N_(
            "The %(type)s application #%(id)s of %(name)s has been waiting in “%(status)s” since %(since)s. "
            "Please deal with it."), since=_iso(since), **p)
    return Text(subject, (main,))


def id_text(resident, until: dt.date, today: dt.date) -> Text:
    """A resident's ID card that expires soon."""
    name, dept, left = resident.name, _dept(resident), (until - today).days
    subject = _m("rm_id", N_("ID card expiring: %(name)s, valid until %(until)s"), name=name, until=_iso(until))
    main = _m("rm_id_body", N_(
        "The ID card of %(name)s (%(department)s) is valid until %(until)s (%(days)s day(s) left). Please renew "
        "it in time; if the police station needs the hukou page, borrow it from the hukou office."), name=name,
        department=dept, until=_iso(until), days=left)
    return Text(subject, (main,))


def certificate_text(application, certificate: str, until: dt.date, today: dt.date) -> Text:
    """A migration certificate of an open application that lapses soon (or has lapsed)."""
    p = _app_params(application)
    left = (until - today).days
    if left >= 0:
        subject = _m("rm_cert", N_("%(certificate)s lapsing: %(type)s application #%(id)s of %(name)s"),
                     certificate=certificate, **p)
        main = _m("rm_cert_body", N_(
            "The %(certificate)s of the %(type)s application #%(id)s of %(name)s is valid until %(until)s "
            "(%(days)s day(s) left). Please finish the move before it lapses."), certificate=certificate,
            until=_iso(until), days=left, **p)
    else:
        subject = _m("rm_cert_lapsed", N_("%(certificate)s lapsed: %(type)s application #%(id)s of %(name)s"),
                     certificate=certificate, **p)
        main = _m("rm_cert_lapsed_body", N_(
            "The %(certificate)s of the %(type)s application #%(id)s of %(name)s lapsed on %(until)s. A new "
            "one has to be obtained before the move can go on."), certificate=certificate, until=_iso(until), **p)
    return Text(subject, (main,))


def manual_text(text: Text, sender: str) -> Text:
    """The same text sent by hand: the subject says who chases, the body asks for action."""
    subject = _m("rm_manual", N_("Reminder from %(sender)s: %(subject)s"), sender=sender, subject=text.subject)
    return Text(subject, text.body + (_m("rm_manual_body", N_(
        "%(sender)s asks you to deal with this as soon as possible."), sender=sender),))
