"""The day's reminders (no Flask): who must be chased about what, as notification Messages.

    messages = find_reminders(session, today, render=…)   # one Message per recipient and object

Kinds, their objects and recipients:
  loan_overdue        open page loan past its due date          borrower's user + officers
  leaver_overdue      resident 'leaving' past the move-out limit  own user + officers + department approvers
                      (not once their move-out application is past pre-review: then the office is chased)
  materials_missing   application in needs_materials            applicant's user (else who created it)
  approval_overdue    application past its stage's limit         the stage's people (officers / approvers /
                      (desk limits, Chinese working days)         leaders; officers if a department has none)
  id_expiring         Resident.id_valid_to N, 7 or 1 day(s) ahead  own user + officers
  certificate_lapsing 准迁证 / 户口迁移证 / 准予迁入证明 of an open  applicant's user + officers
                      move, valid until ≤ N days ahead (or lapsed ≤ N days ago); the date is read from the
                      material's valid_to (verify form), else its check note (「有效期至2026-12-20」)
Texts are msgids rendered by the caller's `render` (the CLI and the scheduled job render them in Chinese).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.clock import local
from app.desk import limits
from app.desk import remind_text as rt
from app.desk.remind_people import People, merge
from app.domain.errors import Message as DomainMessage
from app.models import Application, ApplicationHistory, Material, MaterialType, PageLoan, Resident
from app.notifications.service import Message

# Stages chased when past their limit, and whose people act in them.
STAGES = {"submitted": "officers", "dept_review": "approvers", "leader_review": "leaders", "entry": "officers",
          "at_police": "officers"}
CERTIFICATES = ("destination_permit", "migration_cert", "admission_cert")  # material codes (app/seed.py)
MOVES = ("move_in", "move_out")
OPEN = ("submitted", "needs_materials", "dept_review", "leader_review", "entry", "at_police")
OFFICE_HAS_IT = ("dept_review", "leader_review", "entry", "at_police", "completed")  # a move-out past pre-review
_VALID_TO = re.compile(r"(?:有效期至|有效期限至|有效至|valid until)\s*[:：]?\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]"
                       r"\s*(\d{1,2})", re.IGNORECASE)
LINKS = {"PageLoan": "/pageloanview/show/{}", "Resident": "/residentview/show/{}",
         "Application": "/applicationview/show/{}"}


@dataclass(frozen=True)
class RemindSettings:
    """The reminder windows (HUKOU_REMIND_ID_EXPIRY_DAYS, HUKOU_REMIND_CERT_DAYS)."""

    id_expiry_days: int = 30
    cert_days: int = 7


@dataclass(frozen=True)
class Reminder:
    """One object to chase: its kind, the object, the unrendered text and the users to tell."""

    kind: str
    object_type: str
    object_id: int
    text: rt.Text
    recipients: tuple[int, ...]


def link(object_type: str, object_id: int) -> str:
    """The path of the object's page."""
    return LINKS[object_type].format(object_id)


def render_message(msg: DomainMessage, render: Callable[[DomainMessage], str]) -> str:
    """Render a Message whose params may be Messages themselves (rendered first)."""
    params = {k: (render_message(v, render) if isinstance(v, DomainMessage) else v) for k, v in msg.params.items()}
    return render(DomainMessage(msg.code, msg.msgid, params))


def address(reminders: list[Reminder], render: Callable[[DomainMessage], str], kind: str | None = None) -> list:
    """Notification Messages: one per reminder and recipient, rendered (kind overrides, e.g. "manual")."""
    out = []
    for r in reminders:
        subject = render_message(r.text.subject, render)[:200]
        body = "\n".join(render_message(m, render) for m in r.text.body)
        out += [Message(kind=kind or r.kind, recipient_id=uid, subject=subject, body=body,
                        link=link(r.object_type, r.object_id), object_type=r.object_type, object_id=r.object_id)
                for uid in r.recipients]
    return out


def find_reminders(session: Session, today: dt.date, render: Callable[[DomainMessage], str] = str,
                   settings: RemindSettings = RemindSettings()) -> list:
    """Every reminder due on `today`, addressed and rendered, in kind order then object order."""
    return address(collect(session, today, settings), render)


def collect(session: Session, today: dt.date, settings: RemindSettings = RemindSettings()) -> list[Reminder]:
    """Every reminder due on `today`, before rendering."""
    people = People.load(session)
    found: list[Reminder] = []
    for finder in (overdue_loans, overdue_leavers, waiting_materials, overdue_stages):
        found += finder(session, today, people)
    found += expiring_ids(session, today, people, settings.id_expiry_days)
    found += lapsing_certificates(session, today, people, settings.cert_days)
    return [r for r in found if r.recipients]


# -- one finder per kind ------------------------------------------------------------------------------------

def overdue_loans(session: Session, today: dt.date, people: People) -> list[Reminder]:
    """Open page loans whose due date has passed."""
    loans = list(session.scalars(select(PageLoan).where(PageLoan.returned_on.is_(None), PageLoan.due_on < today)
                                 .order_by(PageLoan.due_on, PageLoan.id)))
    people.know_residents(loan.resident_id for loan in loans)
    return [loan_reminder(loan, today, people) for loan in loans]


def loan_reminder(loan: PageLoan, today: dt.date, people: People) -> Reminder:
    """The reminder about one loan: to the borrower and the officers."""
    return Reminder("loan_overdue", "PageLoan", loan.id, rt.loan_text(loan, today),
                    merge(people.own(loan.resident_id), people.officers))


def leaver_due(resident: Resident) -> dt.date | None:
    """The last day a leaver may still move out (the move-out limit after the leave date)."""
    return limits.due_on("leaver", resident.leave_date) if resident.leave_date else None


def overdue_leavers(session: Session, today: dt.date, people: People) -> list[Reminder]:
    """Residents marked as leaving whose move-out deadline has passed, unless their move-out is past pre-review
    (then it waits for the office, and approval_overdue chases the office)."""
    in_hand = (select(Application.id).where(Application.resident_id == Resident.id, Application.type == "move_out",
                                            Application.status.in_(OFFICE_HAS_IT)).exists())
    rows = session.scalars(select(Resident).where(Resident.status == "leaving", Resident.leave_date < today,
                                                  ~in_hand).order_by(Resident.leave_date, Resident.id))
    late = [r for r in rows if (due := leaver_due(r)) is not None and today > due]
    people.know_residents(r.id for r in late)
    return [leaver_reminder(r, today, people) for r in late]


def leaver_reminder(resident: Resident, today: dt.date, people: People) -> Reminder:
    """The reminder about one leaver: to them, the officers and their department's approvers."""
    due = leaver_due(resident) or today
    return Reminder("leaver_overdue", "Resident", resident.id, rt.leaver_text(resident, due, today),
                    merge(people.own(resident.id), people.officers, people.department(resident.department_id)))


@dataclass(frozen=True)
class Applicant:
    """The applicant as the texts need them."""

    name: str


@dataclass(frozen=True)
class Waiting:
    """An application as the reminders need it: plain columns (ORM objects cost several times more at 40k rows)."""

    id: int
    type: str
    status: str
    resident_id: int
    department_id: int | None
    created_by_id: int | None
    resident: Applicant


def waiting_since(session: Session, statuses, only: int | None = None) -> list[tuple[Waiting, dt.date]]:
    """Applications in `statuses` (or the one application `only`) with the local day they entered their status."""
    chosen = [Application.status.in_(statuses)] + ([Application.id == only] if only is not None else [])
    entered = (select(ApplicationHistory.application_id.label("aid"), func.max(ApplicationHistory.at).label("at"))
               .join(Application, Application.id == ApplicationHistory.application_id)
               .where(*chosen, ApplicationHistory.to_status == Application.status)
               .group_by(ApplicationHistory.application_id).subquery())
    stmt = (select(Application.id, Application.type, Application.status, Application.resident_id,
                   Application.department_id, Application.created_by_id, Resident.name, entered.c.at,
                   Application.submitted_at, Application.created_on)
            .join(Resident, Resident.id == Application.resident_id)
            .outerjoin(entered, entered.c.aid == Application.id).where(*chosen).order_by(Application.id))
    return [(Waiting(aid, type_, status, rid, dept, creator, Applicant(name)),
             local(at or submitted or created).date())
            for aid, type_, status, rid, dept, creator, name, at, submitted, created in session.execute(stmt)]


def applicant(application: "Application | Waiting", people: People) -> tuple[int, ...]:
    """The applicant's own user, else whoever created the application."""
    own = people.own(application.resident_id)
    return own or ((application.created_by_id,) if application.created_by_id else ())


def waiting_materials(session: Session, today: dt.date, people: People) -> list[Reminder]:
    """Applications sent back for supplementary materials (each day until they are uploaded)."""
    rows = waiting_since(session, ("needs_materials",))
    people.know_residents(a.resident_id for a, _ in rows)
    return [Reminder("materials_missing", "Application", a.id, rt.materials_text(a, since), applicant(a, people))
            for a, since in rows]


def stage_people(application: "Application | Waiting", people: People) -> tuple[int, ...]:
    """Who acts in the application's current stage (officers when a department has no approver)."""
    who = STAGES.get(application.status)
    if who == "approvers":
        return people.department(application.department_id) or people.officers
    if who == "leaders":
        return people.leaders
    if who == "officers":
        return people.officers
    return applicant(application, people)  # drafts and applications waiting for materials wait for the applicant


def lateness(status: str, since: dt.date, today: dt.date) -> tuple[dt.date | None, int]:
    """The stage's due day and how many (working or calendar) days `today` is past it (0: on time)."""
    due = limits.due_on(status, since)
    if due is None or today <= due:
        return due, 0
    limit = limits.stage_limit(status)
    if limit and limit[1] == limits.WORK:
        from app.calendar.workdays import workdays_between

        return due, max(1, workdays_between(due, today))
    return due, (today - due).days


def overdue_stages(session: Session, today: dt.date, people: People) -> list[Reminder]:
    """Applications waiting in an approval stage longer than its limit."""
    out, known = [], {}
    for application, since in waiting_since(session, tuple(STAGES)):
        key = (application.status, since)
        if key not in known:  # many applications share a stage and a day: count working days once
            known[key] = lateness(application.status, since, today)
        due, over = known[key]
        if over:
            out.append(Reminder("approval_overdue", "Application", application.id,
                                rt.stage_text(application, since, due, over), stage_people(application, people)))
    return out


def id_notice_days(window: int) -> set[int]:
    """Days before expiry on which an ID card reminder goes out: the window's first day, 7 and 1."""
    return {d for d in (window, 7, 1) if 0 < d <= window}


def expiring_ids(session: Session, today: dt.date, people: People, window: int) -> list[Reminder]:
    """Residents in the household whose ID card expires in exactly one of the notice days."""
    days = sorted(id_notice_days(window))
    if not days:
        return []
    targets = [today + dt.timedelta(days=d) for d in days]
    rows = list(session.scalars(select(Resident).where(Resident.status.in_(("active", "leaving")),
                                                       Resident.id_valid_to.in_(targets))
                                .order_by(Resident.id_valid_to, Resident.id)))
    people.know_residents(r.id for r in rows)
    return [Reminder("id_expiring", "Resident", r.id, rt.id_text(r, r.id_valid_to, today),
                     merge(people.own(r.id), people.officers)) for r in rows]


def valid_to(note: str | None) -> dt.date | None:
    """The 「有效期至 YYYY-MM-DD」 date an officer wrote in a certificate's check note, if any."""
    match = _VALID_TO.search(note or "")
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def lapsing_certificates(session: Session, today: dt.date, people: People, window: int) -> list[Reminder]:
    """Migration certificates of open moves valid until at most `window` days ahead (or lapsed as recently)."""
    stmt = (select(Material, MaterialType.name, Application)
            .join(MaterialType, MaterialType.id == Material.material_type_id)
            .join(Application, Application.id == Material.application_id)
            .where(MaterialType.code.in_(CERTIFICATES), Application.type.in_(MOVES),
                   Application.status.in_(OPEN),
                   or_(Material.valid_to.is_not(None), Material.verify_note.is_not(None)))
            .order_by(Application.id, Material.id))
    out, seen = [], set()
    for material, name, application in session.execute(stmt).tuples():
        until = material.valid_to or valid_to(material.verify_note)  # the column (issue 9), else the note
        if until is None or abs((until - today).days) > window or application.id in seen:
            continue
        seen.add(application.id)  # one reminder per application a day (the first certificate that lapses)
        out.append((application, name, until))
    people.know_residents(a.resident_id for a, _, _ in out)
    return [Reminder("certificate_lapsing", "Application", a.id, rt.certificate_text(a, name, until, today),
                     merge(applicant(a, people), people.officers)) for a, name, until in out]
