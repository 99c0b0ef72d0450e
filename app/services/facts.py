"""What the workflow engine needs, loaded from the database: the snapshot, the actor and the guard facts."""
from __future__ import annotations

from sqlalchemy import exists, select

from ..domain.workflow import AppSnapshot, Facts, transition_for
from ..extensions import db
from ..models import Application, Fee, PageLoan, User

# Roles that type in applications on a resident's behalf; doing so does not make the application theirs.
OFFICE_ROLES = frozenset({"HukouOfficer", "Admin"})


def _filed_by_office(application: Application) -> bool:
    """True when the creator is an office user, who entered the paper form for the resident."""
    if application.created_by_id is None:
        return False
    creator = db.session.get(User, application.created_by_id)
    return creator is not None and bool(frozenset(r.name for r in creator.roles) & OFFICE_ROLES)


def snapshot(application: Application) -> AppSnapshot:
    """The engine's view of an application; an office-entered application belongs to its resident."""
    created_by = None if _filed_by_office(application) else application.created_by_id
    return AppSnapshot(id=application.id, type=application.type, status=application.status,
                       department_id=application.department_id, resident_id=application.resident_id,
                       created_by_id=created_by, version=application.version,
                       filed_by_id=application.created_by_id)


def fees_settled(resident_id: int) -> bool:
    """No fee of the resident is still unpaid."""
    return not db.session.scalar(select(exists().where(Fee.resident_id == resident_id, Fee.status == "unpaid")))


def page_out(resident_id: int) -> bool:
    """The resident's page is lent and not yet returned."""
    return bool(db.session.scalar(select(exists().where(PageLoan.resident_id == resident_id,
                                                        PageLoan.returned_on.is_(None)))))


def eligibility_failures(application: Application) -> tuple[str, ...]:
    """Evaluate the eligibility rules (stored on the application, not committed); names of the failed ones."""
    from . import eligibility

    _passed, results = eligibility.evaluate_application(application)
    return tuple(r.get("name") or r.get("message") or str(r.get("rule_id")) for r in results if not r["passed"])


def missing_materials(application: Application) -> tuple[str, ...]:
    """Names of required materials that are not present and verified."""
    from . import materials

    return tuple(materials.missing_materials(application))


def facts_for(application: Application, action: str, override_reason: str | None = None,
              archive_location: str | None = None) -> Facts:
    """Load only what the guards of the matching table row need (eligibility is evaluated for pass_review)."""
    return facts_for_actions(application, (action,), override_reason, archive_location)


def facts_for_actions(application: Application, actions, override_reason: str | None = None,
                      archive_location: str | None = None) -> Facts:
    """Load what the guards of these actions' rows need (the show page asks for every action it may offer)."""
    guards: set[str] = set()
    for action in actions:
        row = transition_for(application.type, application.status, action)
        guards |= set(row.guards) if row is not None else set()
    resident = application.resident
    return Facts(
        missing_materials=missing_materials(application) if "materials_complete" in guards else (),
        fees_settled=fees_settled(application.resident_id) if "fees_settled" in guards else True,
        resident_status=resident.status if resident is not None else None,
        page_out=page_out(application.resident_id) if "borrow_page_allowed" in guards else False,
        eligibility_failed=eligibility_failures(application) if "eligibility" in guards else (),
        override_reason=override_reason,
        police_returned=bool(application.police_returned),
        archive_location=archive_location,
    )
