"""The one write path: frozen approved content, audited reads under concurrent writes, the clock, the
fail-closed scope, refused access in the audit trail, role grants audited, and layering."""
from __future__ import annotations

import ast
import datetime as dt
import io
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app import clock
from app.domain.actor import Actor, system_actor
from app.extensions import db
from app.models import ApplicationHistory, AuditLog, Resident, User
from app.security.scope import criteria
from tests.conftest import make_client, web_login
from tests.test_applications import make, post_transition, row

ROOT = Path(__file__).resolve().parent.parent


def audit_rows(app, action: str, object_type: str, object_id) -> list[AuditLog]:
    """Audit rows of one action on one object."""
    with app.app_context():
        rows = list(db.session.scalars(select(AuditLog).where(
            AuditLog.action == action, AuditLog.object_type == object_type,
            AuditLog.object_id == str(object_id))))
        for r in rows:
            db.session.expunge(r)
        return rows


# --- approved content is frozen ---------------------------------------------------------------------------

def police_returned_info_change(app, world) -> int:
    """An info change approved by department and leader, then returned by the police station."""
    return make(app, "info_change", world=world, resident_id=world["res_a"], status="needs_materials",
                police_returned=True, change_json='{"marital_status": "20"}')


def test_applicant_cannot_rewrite_approved_content_after_a_police_return(app, world, api):
    aid = police_returned_info_change(app, world)
    c, h = api("t_employee_a")
    r = c.put(f"/api/v1/applications/{aid}", json={"change_json": '{"name": "黑客", "phone": "13900000000"}'},
              headers=h)
    assert r.status_code == 409, r.get_json()
    assert "重新" in r.get_json()["message"]
    assert row(app, aid).change_json == '{"marital_status": "20"}'


def test_officer_web_edit_of_approved_content_is_refused(app, world, login):
    aid = police_returned_info_change(app, world)
    c = login("t_officer")
    c.post(f"/applicationview/edit/{aid}", data={"csrf_token": c.csrf, "reason": "改了"})
    assert row(app, aid).reason is None


def test_reopen_sends_the_application_back_through_review_and_the_timeline_says_so(app, world, api):
    aid = police_returned_info_change(app, world)
    c, h = api("t_employee_a")
    assert post_transition(c, h, aid, {"action": "reopen"}).status_code == 422  # a comment is required
    r = post_transition(c, h, aid, {"action": "reopen", "comment": "姓名写错，需要修改"})
    assert r.status_code == 200 and r.get_json()["status"] == "draft"
    stored = row(app, aid)
    assert (stored.status, stored.police_returned) == ("draft", False)
    r = c.put(f"/api/v1/applications/{aid}", json={"change_json": '{"marital_status": "10"}'}, headers=h)
    assert r.status_code == 200, r.get_json()
    with app.app_context():
        last = db.session.scalars(select(ApplicationHistory).where(ApplicationHistory.application_id == aid)
                                  .order_by(ApplicationHistory.id.desc())).first()
    assert (last.action, last.from_status, last.to_status, last.comment) == (
        "reopen", "needs_materials", "draft", "姓名写错，需要修改")


# --- audited reads under concurrent writes (SQLite WAL: "database is locked" before) ----------------------

def test_audited_reads_survive_concurrent_writes(app, world):
    """10 threads for 4 s: edits through the API beside unmask reads, exports and logouts: no 5xx."""
    from tests.conftest import api_token

    statuses: list[tuple[str, int]] = []
    ready = threading.Barrier(10)  # the 4 s of mixed work start once every client has logged in
    stop = [0.0]

    def begin() -> None:
        """Wait for all clients, then fix the common end time."""
        if ready.wait() == 0:
            stop[0] = time.monotonic() + 4
        while not stop[0]:
            time.sleep(0.01)

    def writer(n):
        c, h = make_client(app), api_token(app, "t_officer")
        begin()
        while time.monotonic() < stop[0]:
            r = c.put(f"/api/v1/residents/{world['res_a2']}", json={"occupation": f"职员{n}{time.time()}"},
                      headers=h)
            statuses.append(("put", r.status_code))

    def reader(kind):
        c = web_login(app, "t_officer")
        h = api_token(app, "t_hr")
        begin()
        while time.monotonic() < stop[0]:
            if kind == "unmask":
                r = c.post(f"/residentview/unmask/{world['res_a']}", data={"csrf_token": c.csrf})
            elif kind == "api_unmask":
                r = c.get(f"/api/v1/residents/{world['res_b']}?unmask=1", headers=h)
            else:
                r = c.get("/export/residents/xlsx?_flt_0_department=%d" % world["dept_a"])
            statuses.append((kind, r.status_code))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=reader, args=(k,)) for k in ("unmask", "api_unmask", "export") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    failed = [s for s in statuses if s[1] >= 500]
    assert not failed, failed[:5]
    assert {k for k, s in statuses if s == 200} >= {"put", "unmask", "api_unmask", "export"}


# --- one clock ---------------------------------------------------------------------------------------------

def test_today_is_the_office_day_not_the_server_day(monkeypatch):
    """07:00 in Beijing is 23:00 UTC the day before: "today" is the Beijing day."""
    utc = dt.datetime(2026, 12, 1, 23, 0, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: utc.astimezone(clock.zone()))
    assert clock.today() == dt.date(2026, 12, 2)
    start, end = clock.local_day_bounds(dt.date(2026, 12, 2))
    assert (start, end) == (dt.datetime(2026, 12, 1, 16), dt.datetime(2026, 12, 2, 16))


def test_a_loan_made_early_in_the_morning_is_dated_that_day(app, world, monkeypatch):
    """A borrow_page completed at 07:00 Beijing time is lent that day, due 15 days later."""
    from app.models import PageLoan
    from app.security.actor import actor_of
    from app.services import workflow as wf
    from app.uow import unit_of_work
    from tests.test_workflow_service import fresh_resident, new_application

    morning = dt.datetime(2026, 12, 1, 23, 0, tzinfo=dt.timezone.utc)  # 2026-12-02 07:00 in Beijing
    monkeypatch.setattr(clock, "now", lambda: morning.astimezone(clock.zone()))
    with app.app_context():
        rid = fresh_resident(world["dept_a"])
        aid = new_application("borrow_page", rid, status="dept_review")
        approver = db.session.scalar(select(User).where(User.username == "t_approver_a"))
        with unit_of_work(actor_of(approver)) as uow:
            wf.transition(uow, aid, "dept_approve")
        loan = db.session.scalar(select(PageLoan).where(PageLoan.application_id == aid))
        assert (loan.lent_on, loan.due_on) == (dt.date(2026, 12, 2), dt.date(2026, 12, 17))


# --- the scope fails closed; refusals are audited ----------------------------------------------------------

def test_a_model_the_scope_does_not_know_is_invisible():
    class Unknown:  # a model added later and forgotten in scope.py
        pass

    approver = Actor(user_id=5, username="a", roles=frozenset({"DeptApprover"}), department_ids=frozenset({1}))
    assert str(criteria(Unknown, approver)) == "false"
    assert str(criteria(Unknown, system_actor("任务"))) in ("None", "false")
    assert criteria(Resident, Actor(user_id=None)) is not None  # anonymous sees nothing


def test_refused_access_to_another_department_is_audited(app, world, login, api):
    c = login("t_approver_a")
    assert c.get(f"/residentview/show/{world['res_b']}").status_code == 404
    rows = audit_rows(app, "access_denied", "Resident", world["res_b"])
    assert rows and rows[-1].username == "t_approver_a" and rows[-1].success is False


def test_granting_a_role_is_audited(app, login):
    """Admin gives a user a role on FAB's user screen: the change is in the trail with the role names."""
    sm = app.appbuilder.sm
    with app.app_context():
        user = sm.add_user("t_grant_probe", "授权", "测试", "grant@example.test", sm.find_role("Employee"),
                           password="Grant-probe-2026")
        uid = user.id
        sm.find_role("Leader")
        user.roles.append(sm.find_role("Leader"))
        db.session.commit()
    rows = audit_rows(app, "update", "User", uid)
    assert any("Leader" in (r.detail or "") for r in rows), [r.detail for r in rows]


# --- layering ----------------------------------------------------------------------------------------------

def _imports(path: Path) -> set[str]:
    """Modules a file imports (relative imports resolved against the app package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = pkg.rsplit(".", node.level - 1)[0] if node.level else ""
            out.add(f"{base}.{node.module}" if node.level and node.module else (node.module or base))
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("folder,forbidden", [("app/api", "app.views"), ("app/services", "app.views"),
                                              ("app/services", "app.api"), ("app/domain", "flask")])
def test_layers_do_not_climb_back(folder, forbidden):
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if m.startswith(forbidden))
                 for p in (ROOT / folder).glob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_services_read_no_request_globals():
    """Services get the actor and the unit of work; they never read flask.request or g."""
    for path in (ROOT / "app/services").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "flask"
                 for a in n.names}
        assert not names & {"request", "g", "session"}, path.name


def test_refused_api_read_is_audited(app, world, api):
    c, h = api("t_approver_a")
    assert c.get(f"/api/v1/residents/{world['res_b']}", headers=h).status_code == 404
    rows = audit_rows(app, "access_denied", "Resident", world["res_b"])
    assert any(r.username == "t_approver_a" and r.detail and "/api/v1/residents/" in r.detail for r in rows)
