"""「催办」 by hand (no Flask): the officer sends one `manual` reminder about a loan, a leaver or an application.

    outcomes = chase(uow, "PageLoan", 12, today, render)

Recipients are the people the object waits for, never the sender: the borrower; the leaver and their
department's approvers; the applicant or the people of the application's stage. Audited as `remind`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from app.dao import get_or_refuse
from app.domain.errors import N_, Message, NotAllowed, NotPossible
from app.models import Application, PageLoan, Resident
from app.domain.workflow_table import CLOSED_STATUSES
from app.notifications.service import send

from . import remind_text as rt
from .remind import Reminder, address, applicant, lateness, leaver_due, stage_people, waiting_since
from .remind_people import People, merge

MODELS = {"PageLoan": PageLoan, "Resident": Resident, "Application": Application}
RESOURCE, VERB = "Reminder", "send"


def _refuse(code: str, msgid: str, **params) -> NotPossible:
    """A NotPossible with one message."""
    return NotPossible(Message(code, msgid, params))


def _loan(loan: PageLoan, today: dt.date, people: People) -> Reminder:
    """An open loan: the borrower is chased."""
    if loan.returned_on is not None:
        raise _refuse("rm_returned", N_("The page lent to %(name)s has already been returned."),
                      name=loan.resident.name)
    return Reminder("manual", "PageLoan", loan.id, rt.loan_text(loan, today), people.own(loan.resident_id))


def _leaver(resident: Resident, today: dt.date, people: People) -> Reminder:
    """A resident who left and has not moved out: they and their department's approvers are chased."""
    if resident.status != "leaving" or resident.leave_date is None:
        raise _refuse("rm_not_leaver", N_("%(name)s is not a leaver waiting to move out."), name=resident.name)
    return Reminder("manual", "Resident", resident.id, rt.leaver_text(resident, leaver_due(resident), today),
                    merge(people.own(resident.id), people.department(resident.department_id)))


def _application(application: Application, session, today: dt.date, people: People) -> Reminder:
    """An open application: whoever it waits for now is chased."""
    if application.status in CLOSED_STATUSES or application.status == "draft":
        raise _refuse("rm_app_closed", N_("Application #%(id)s is not waiting for anyone."), id=application.id)
    rows = waiting_since(session, (application.status,), only=application.id)
    since = rows[0][1] if rows else today
    if application.status == "needs_materials":
        text, who = rt.materials_text(application, since), applicant(application, people)
    else:
        due, over = lateness(application.status, since, today)
        text, who = rt.stage_text(application, since, due, over), stage_people(application, people)
    return Reminder("manual", "Application", application.id, text, who)


def nobody(obj, object_type: str) -> NotPossible:
    """Why no reminder can go out: the person has no account (or the application waits for the sender)."""
    if object_type == "Application":
        return _refuse("rm_nobody_app", N_("Nobody to remind about application #%(id)s: the people it waits for "
                                           "have no user account here, or it waits for you."), id=obj.id)
    name = obj.name if object_type == "Resident" else obj.resident.name
    return _refuse("rm_nobody", N_("Nobody to remind: %(name)s has no user account here. Please contact them "
                                   "directly."), name=name)


def chase(uow, object_type: str, object_id, today: dt.date, render: Callable[[Message], str]) -> list:
    """Send one manual reminder about the object to the people it waits for; the outcomes of notifications.send."""
    actor = uow.actor
    if not actor.can(VERB, RESOURCE):
        raise NotAllowed(Message("rm_not_allowed", N_("Only the hukou officer can send reminders.")))
    obj = get_or_refuse(MODELS[object_type], object_id, actor, uow.session)
    people = People.load(uow.session)
    people.know_residents([obj.id if object_type == "Resident" else obj.resident_id])
    if object_type == "PageLoan":
        found = _loan(obj, today, people)
    elif object_type == "Resident":
        found = _leaver(obj, today, people)
    else:
        found = _application(obj, uow.session, today, people)
    recipients = merge(found.recipients, leave_out=[actor.user_id])
    if not recipients:
        raise nobody(obj, object_type)
    manual = Reminder("manual", object_type, obj.id, rt.manual_text(found.text, actor.label), recipients)
    outcomes = send(uow, address([manual], render), today)
    uow.record("remind", object_type=object_type, object_id=obj.id,
               detail={"recipients": len(recipients), "recorded": sum(1 for o in outcomes if o.status == "new")})
    return outcomes
