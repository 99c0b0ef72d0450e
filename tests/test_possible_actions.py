"""Nothing offered that is then refused: every action the page offers, on every reachable state, for every role of
the test world, is accepted by the transition service (and every action shown blocked is refused).

Each case runs in one transaction that is rolled back, so the world's residents are never changed."""
from __future__ import annotations

from collections import deque

import pytest
from sqlalchemy import select

from app import audit
from app.dao import get_visible
from app.domain.errors import DomainError
from app.domain.workflow import TABLE, TYPES, transition_for
from app.extensions import db
from app.models import Application, ChecklistItem, Material, User
from app.security.actor import actor_of
from app.services import workflow as wf
from app.uow import UnitOfWork
from tests.world import USERS

FORM = {"comment": "测试理由", "override_reason": "特批", "archive_location": "3号柜"}


def reachable_states(app_type: str) -> list[tuple[str, bool]]:
    """(status, returned by the police) pairs reachable from a draft through the table's rows for this type."""
    start = ("draft", False)
    seen, queue = {start}, deque([start])
    while queue:
        status, returned = queue.popleft()
        for row in TABLE:
            if status not in row.sources or (row.types is not None and app_type not in row.types):
                continue
            if ("police_returned" in row.guards and not returned) or ("not_police_returned" in row.guards
                                                                       and returned):
                continue
            flag = True if row.action == "police_reject" else (
                False if row.action in ("submit_police", "reopen") else returned)
            state = (row.target, flag)
            if state not in seen:
                seen.add(state)
                queue.append(state)
    return sorted(seen)


CASES = [(t, s, r) for t in sorted(TYPES) for s, r in reachable_states(t)]


def _application(world, app_type: str, status: str, returned: bool, filer: str) -> Application:
    """The employee's application in that state with every required material verified (flushed, not committed)."""
    app = Application(type=app_type, status=status, resident_id=world["res_a"], department_id=world["dept_a"],
                      police_returned=returned, created_by_id=world["users"][filer], version=1,
                      change_json='{"occupation": "教师"}' if app_type == "info_change" else None)
    db.session.add(app)
    db.session.flush()
    for type_id in db.session.scalars(select(ChecklistItem.material_type_id).where(
            ChecklistItem.app_type == app_type, ChecklistItem.required.is_(True))):
        db.session.add(Material(application_id=app.id, material_type_id=type_id, original_name="扫描件.pdf",
                                storage_name=f"pa{app.id}-{type_id}", size=10, sha256="0" * 64, kind="pdf",
                                verified=True))
    db.session.flush()
    return app


def _attempt(uow: UnitOfWork, app: Application, action: str) -> DomainError | None:
    """Perform the action inside a savepoint that is rolled back; the refusal or None."""
    mark = audit.pending_mark(db.session)
    extra = {name: f"{name[:2].upper()}{app.id}" for name in wf.step_inputs(app.type, action)}
    savepoint = db.session.begin_nested()
    try:
        wf.transition(uow, app.id, action, require_inputs=True, **FORM, **extra)
        return None
    except DomainError as err:
        return err
    finally:
        savepoint.rollback()
        audit.drop_since(db.session, mark)


@pytest.mark.parametrize(("app_type", "status", "returned"), CASES)
@pytest.mark.parametrize("filer", ["t_employee_a", "t_officer"])
def test_offered_actions_succeed_and_blocked_ones_are_refused(app, world, app_type, status, returned, filer):
    """Roles × reachable states: offered ⇒ accepted, shown blocked ⇒ refused; someone sees a step if it is open."""
    with app.app_context():
        try:
            application = _application(world, app_type, status, returned, filer)
            shown = 0
            for username in USERS:
                user = db.session.scalar(select(User).where(User.username == username))
                actor = actor_of(user)
                if get_visible(Application, application.id, actor, db.session) is None:
                    continue  # the page is a 404 for this user
                uow = UnitOfWork(session=db.session, actor=actor)
                for option in wf.possible_actions(application, actor):
                    shown += 1
                    refusal = _attempt(uow, application, option.action)
                    if option.blocked is None:
                        assert refusal is None, (username, option.action, refusal and refusal.code)
                    else:
                        assert refusal is not None, (username, option.action)
                    db.session.refresh(application)
            has_exit = any(transition_for(app_type, status, row.action) for row in TABLE)
            assert shown > 0 or not has_exit, "an open application where nobody is shown any step"
        finally:
            db.session.rollback()


def test_the_matrix_covers_police_returns():
    """The reachable states include the police return, where 提交 used to be offered and refused."""
    assert ("needs_materials", True) in reachable_states("move_in")
    assert ("needs_materials", True) not in reachable_states("certificate")
