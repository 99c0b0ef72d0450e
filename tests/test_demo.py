"""`hukou demo`: valid and consistent people, every workflow state with a true history, users and their scope."""
from __future__ import annotations

import datetime as dt

from app import clock
import hashlib
import os
import random
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from app.domain import idnumber
from app.domain.workflow_table import TABLE, TYPES, applies_to
from app.extensions import db
from app.models import (Application, ApplicationHistory, ArchiveRecord, ArchiveSequence, Department, Fee, Material,
                        PageLoan, Resident, User, UserDepartment, UserResident)
from tests.conftest import PASSWORD

DEMO_CODES = [f"D{i:02d}" for i in range(1, 13)]
DEMO_USERS = {"admin": "Admin", "officer": "HukouOfficer", "leader": "Leader", "hr": "HR", "finance": "Finance",
              "auditor": "Auditor", "approver1": "DeptApprover", "approver2": "DeptApprover",
              "employee1": "Employee", "employee2": "Employee"}
# Which role's user must appear in the history for each action.
ACTION_ROLE = {"submit": {"HukouOfficer", "Employee"}, "withdraw": {"HukouOfficer", "Employee"},
               "dept_approve": {"DeptApprover"}, "dept_reject": {"DeptApprover"},
               "leader_approve": {"Leader"}, "leader_reject": {"Leader"}}


@pytest.fixture(scope="module")
def demo(app):
    """Load the demo once (300 residents) into the session's test database; its summary.

    Afterwards the demo's residents and everything hanging off them are deleted again, so later test modules
    still find the small world on the first page of each list (departments and users stay).
    """
    from app.demo import load_demo

    with app.app_context():
        summary = load_demo(PASSWORD, residents=300, seed=7)
    yield summary
    with app.app_context():
        _remove_demo_rows()


def _remove_demo_rows() -> None:
    """Delete the demo residents with their applications, history, materials, archive records, loans and fees."""
    people = select(Resident.id).where(Resident.department_id.in_(_dept_ids()))
    apps = select(Application.id).where(Application.resident_id.in_(people))
    session = db.session
    for model in (Fee, PageLoan):
        session.execute(delete(model).where(model.resident_id.in_(people) | model.application_id.in_(apps)))
    for model in (ArchiveRecord, Material, ApplicationHistory):
        session.execute(delete(model).where(model.application_id.in_(apps)))
    session.execute(delete(Application).where(Application.id.in_(apps)))
    session.execute(delete(UserResident).where(UserResident.resident_id.in_(people)))
    session.execute(delete(Resident).where(Resident.id.in_(people)))
    session.commit()


def _dept_ids() -> list[int]:
    """Ids of the demo departments."""
    return list(db.session.scalars(select(Department.id).where(Department.code.in_(DEMO_CODES))))


def _demo_apps() -> list[Application]:
    """Applications of demo departments."""
    return list(db.session.scalars(select(Application).where(Application.department_id.in_(_dept_ids()))))


def _reachable() -> set[tuple[str, str]]:
    """(type, status) pairs reachable from draft through the table (guards ignored)."""
    pairs = set()
    for app_type in TYPES:
        seen, todo = {"draft"}, ["draft"]
        while todo:
            status = todo.pop()
            for row in TABLE:
                if status in row.sources and applies_to(row, app_type) and row.target not in seen:
                    seen.add(row.target)
                    todo.append(row.target)
        pairs |= {(app_type, status) for status in seen}
    return pairs


def _retired_codes() -> set[str]:
    """Region codes whose latest name in python-stdnum's cn/loc data has an end year (retired)."""
    from stdnum import numdb

    out = set()
    for _l, prov, _h, _p, children in numdb.get("cn/loc").prefixes:
        for _cl, suffix, _ch, props, _g in children:
            last = props.get("county", "").split(",")[-1]
            if last.startswith("[") and not last.split("]")[0].endswith("-"):
                out.add(prov + suffix)
    return out


def test_summary_counts_match_database(app, demo):
    with app.app_context():
        assert demo["departments"] == 12 == len(_dept_ids())
        assert demo["residents"] == 300
        assert demo["applications"] >= len(_reachable())
        assert demo["materials"] > 0 and demo["archive_records"] > 0 and demo["page_loans"] > 0


def test_every_resident_has_a_valid_consistent_id_number(app, demo):
    with app.app_context():
        people = list(db.session.scalars(select(Resident).where(Resident.department_id.in_(_dept_ids()))))
        assert len(people) >= 300
        for person in people:
            result = idnumber.check(person.id_number)
            assert result.ok and result.number == person.id_number, person.id_number
            assert result.region_name, person.id_number  # no unknown-region warning
            assert idnumber.consistency(result, person.birth_date, person.gender) == (), person.id_number
        provinces = {p.id_number[:2] for p in people}
        assert len(provinces) >= 15


def test_some_residents_carry_retired_region_codes(app, demo):
    with app.app_context():
        codes = set(db.session.scalars(select(func.substr(Resident.id_number, 1, 6))
                                       .where(Resident.department_id.in_(_dept_ids()))))
    used_retired = codes & _retired_codes()
    assert used_retired, sorted(codes)
    assert all(idnumber.region_name(code) for code in used_retired)


def test_resident_states_include_leavers_frozen_and_moved_out(app, demo):
    with app.app_context():
        rows = db.session.execute(select(Resident.status, Resident.leave_date, Resident.move_out_date)
                                  .where(Resident.department_id.in_(_dept_ids()))).all()
    statuses = {status for status, _l, _m in rows}
    assert {"active", "leaving", "moved_out"} <= statuses
    assert any(status == "active" and leave for status, leave, _m in rows)  # leavers still to chase
    assert all(moved for status, _l, moved in rows if status == "moved_out")


def test_every_reachable_type_status_pair_exists_and_no_other(app, demo):
    with app.app_context():
        found = {(a.type, a.status) for a in _demo_apps()}
    reachable = _reachable()
    assert reachable - found == set()
    assert found - reachable == set()
    assert ("certificate", "at_police") not in found


def test_history_follows_the_table_and_the_right_roles(app, demo):
    with app.app_context():
        apps = _demo_apps()
        history = defaultdict(list)
        for h in db.session.scalars(select(ApplicationHistory).where(
                ApplicationHistory.application_id.in_([a.id for a in apps])).order_by(ApplicationHistory.id)):
            history[h.application_id].append(h)
        roles = {u.id: {r.name for r in u.roles} for u in db.session.scalars(select(User))}
        scopes = defaultdict(set)
        for link in db.session.scalars(select(UserDepartment)):
            scopes[link.user_id].add(link.department_id)
        for app_row in apps:
            status = "draft"
            for step in history[app_row.id]:
                row = next((r for r in TABLE if r.action == step.action and status in r.sources
                            and r.target == step.to_status and applies_to(r, app_row.type)), None)
                assert row is not None and step.from_status == status, (app_row.type, status, step.action)
                assert roles[step.user_id] & ACTION_ROLE.get(step.action, {"HukouOfficer"}), step.action
                if step.action.startswith("dept_"):
                    assert app_row.department_id in scopes[step.user_id]
                status = step.to_status
            assert status == app_row.status
            assert app_row.version == 1 + len(history[app_row.id])


def test_archived_have_numbers_in_step_with_the_sequence(app, demo):
    with app.app_context():
        archived = [a.id for a in _demo_apps() if a.status == "archived"]
        records = list(db.session.scalars(select(ArchiveRecord).where(ArchiveRecord.application_id.in_(archived))))
        assert len(records) == len(archived) > 0
        for record in records:
            assert record.archive_no == f"{record.year}-{record.seq:05d}" and record.location
            assert db.session.get(ArchiveSequence, record.year).last >= record.seq


def test_completed_page_loans_exist_and_archived_ones_are_returned(app, demo):
    with app.app_context():
        apps = [a for a in _demo_apps() if a.type == "borrow_page" and a.status in ("completed", "archived")]
        loans = {loan.application_id: loan for loan in db.session.scalars(select(PageLoan).where(
            PageLoan.application_id.in_([a.id for a in apps])))}
        assert set(loans) == {a.id for a in apps}
        assert all(loans[a.id].returned_on for a in apps if a.status == "archived")
        assert any(loan.returned_on is None and loan.due_on < clock.today() for loan in loans.values())


def test_material_files_exist_with_their_hash(app, demo):
    with app.app_context():
        apps = [a.id for a in _demo_apps()]
        materials = list(db.session.scalars(select(Material).where(Material.application_id.in_(apps))))
    assert materials
    for m in materials[:50]:
        with open(os.path.join(app.config["UPLOAD_FOLDER"], m.storage_name), "rb") as fh:
            data = fh.read()
        assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == m.sha256 and len(data) == m.size


def test_users_roles_and_links(app, demo):
    with app.app_context():
        sm = app.appbuilder.sm
        users = {name: sm.find_user(username=name) for name in DEMO_USERS}
        for name, role in DEMO_USERS.items():
            assert users[name] is not None and role in {r.name for r in users[name].roles}, name
        links = select(UserDepartment.department_id)
        depts = [set(db.session.scalars(links.where(UserDepartment.user_id == users[n].id)))
                 for n in ("approver1", "approver2")]
        assert depts[0] and depts[1] and not depts[0] & depts[1]
        own = [db.session.get(UserResident, users[n].id) for n in ("employee1", "employee2")]
        assert all(own) and own[0].resident_id != own[1].resident_id
        for name in ("employee1", "employee2"):
            assert db.session.scalar(select(func.count()).select_from(Application)
                                     .where(Application.created_by_id == users[name].id)) > 0


def _name_only_in(exclusive_dept: int, dept_ids: list[int]) -> str:
    """A resident name that occurs in one department and in none of the others."""
    rows = db.session.execute(select(Resident.name, Resident.department_id)
                              .where(Resident.department_id.in_(dept_ids))).all()
    where = defaultdict(set)
    for name, dept in rows:
        where[name].add(dept)
    return next(name for name, depts in sorted(where.items()) if depts == {exclusive_dept})


def test_approver1_lists_only_their_department(app, demo, login):
    with app.app_context():
        dept_ids = _dept_ids() + [app.config["WORLD"]["dept_a"], app.config["WORLD"]["dept_b"]]
        approver = app.appbuilder.sm.find_user(username="approver1")
        own_dept = db.session.scalar(select(UserDepartment.department_id).where(UserDepartment.user_id == approver.id))
        other_dept = next(d for d in _dept_ids() if d != own_dept)
        own_name = _name_only_in(own_dept, dept_ids)
        other_name = _name_only_in(other_dept, dept_ids)
        own_dept_name = db.session.get(Department, own_dept).name
    approver_client, officer_client = login("approver1"), login("t_officer")
    for name, approver_sees in ((own_name, True), (other_name, False)):
        url = f"/residentview/list/?_flt_3_name={name}"
        assert _listed(approver_client.get(url).get_data(as_text=True), name) is approver_sees, name
        assert _listed(officer_client.get(url).get_data(as_text=True), name), name
    first_page = approver_client.get("/residentview/list/").get_data(as_text=True)
    assert _listed(first_page, own_dept_name) and not _listed(first_page, "测试甲部门")


def _listed(body: str, text: str) -> bool:
    """True when a list page has a table cell with exactly this text (the filter box echoes searched names)."""
    return re.search(rf"<td[^>]*>\s*{re.escape(text)}\s*</td>", body) is not None


def test_second_run_adds_residents_but_no_duplicate_users(app, demo):
    from app.demo import load_demo

    with app.app_context():
        users_before = db.session.scalar(select(func.count()).select_from(User))
        residents_before = db.session.scalar(select(func.count()).select_from(Resident))
        links_before = set(db.session.execute(select(UserResident.user_id, UserResident.resident_id)).tuples())
        again = load_demo(PASSWORD, residents=40, seed=7)
        assert again["residents"] == 40
        assert db.session.scalar(select(func.count()).select_from(User)) == users_before
        for name in DEMO_USERS:
            assert db.session.scalar(select(func.count()).select_from(User).where(User.username == name)) == 1
        assert db.session.scalar(select(func.count()).select_from(Resident)) == residents_before + 40
        numbers = db.session.scalar(select(func.count(func.distinct(Resident.id_number))))
        assert numbers == residents_before + 40
        assert set(db.session.execute(select(UserResident.user_id, UserResident.resident_id)).tuples()) == links_before
        assert db.session.scalar(select(func.count()).select_from(Department)
                                 .where(Department.code.in_(DEMO_CODES))) == 12


def test_ordinary_inserts_still_get_fresh_ids_after_the_bulk_load(app, demo):
    """The demo reserves primary keys itself; the database's own numbering must still be ahead of them."""
    with app.app_context():
        top = db.session.scalar(select(func.max(Resident.id)))
        probe = Resident(name="编号探针", gender="F", birth_date=dt.date(1990, 5, 6), status="active",
                         id_number=idnumber.make_id("110105", dt.date(1990, 5, 6), 998))
        db.session.add(probe)
        db.session.flush()
        assert probe.id > top
        db.session.rollback()


def test_a_shared_resident_never_has_two_open_loans():
    """Small demos share residents between applications; the page can still be out only once."""
    from app.demo import Ctx, Plan, loan_rows, shortest_paths, timeline

    now = dt.datetime(2026, 6, 1, 9, 0)
    ctx = Ctx(rng=random.Random(3), now=now, today=now.date(), depts={}, users={}, approvers={},
              material_types={}, loan_days=15, deposit=Decimal("300"))
    plans = [Plan("borrow_page", shortest_paths("borrow_page")[("completed", False)], person=0, overdue=True)
             for _ in range(3)]
    for plan in plans:
        timeline(ctx.rng, now, plan, ctx.loan_days)
    loans, deposits = loan_rows(ctx, plans, [11, 12, 13], [42])
    assert len(loans) == 3 and sum(loan["returned_on"] is None for loan in loans) == 1
    assert [d["status"] for d in deposits].count("paid") == 1  # the others were refunded on return


def test_demo_fills_a_blank_unit_profile_for_the_print_forms(app, demo):
    """The print forms' letterhead comes from the unit profile: the demo fills a blank one."""
    from app.models.unit import UnitProfile

    with app.app_context():
        profile = db.session.scalar(select(UnitProfile).order_by(UnitProfile.id).limit(1))
        assert profile is not None and profile.unit_name and profile.household_no
        assert profile.registered_address == profile.office_address  # no address warning in the demo
