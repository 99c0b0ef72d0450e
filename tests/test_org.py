"""Departments (screens + /api/v1/departments/) and the Admin-only approver / employee link screens."""
from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from sqlalchemy import select

from app.domain.errors import Message
from app.domain.idnumber import make_id
from app.extensions import db
from app.i18n import render
from app.models import Department, Resident, UserDepartment, UserResident

ALL_USERS = ["t_officer", "t_approver_a", "t_leader", "t_hr", "t_finance", "t_auditor", "t_employee_a",
             "t_admin"]
DEPT_READERS = {"t_officer", "t_approver_a", "t_leader", "t_hr", "t_finance", "t_auditor", "t_admin"}
DEPT_WRITERS = {"t_hr", "t_admin"}
_seq = itertools.count(1)


def new_department(app) -> int:
    """A fresh empty department; returns its id."""
    with app.app_context():
        tag = uuid.uuid4().hex[:8]
        dept = Department(code=f"O{tag}", name=f"组织测试{tag}")
        db.session.add(dept)
        db.session.commit()
        return dept.id


def new_resident(app, dept_id: int, name: str = "赵六") -> int:
    """A fresh active resident in a department; returns its id."""
    with app.app_context():
        n = next(_seq)
        birth = dt.date(1980, 1, 1) + dt.timedelta(days=n * 11)
        res = Resident(name=name, gender="F", birth_date=birth, id_number=make_id("310101", birth, 600 + n),
                       department_id=dept_id, status="active")
        db.session.add(res)
        db.session.commit()
        return res.id


def new_user(app, username: str, role: str) -> int:
    """A fresh FAB user with one role."""
    from tests.conftest import PASSWORD

    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(username, username, "测试", f"{username}@example.test", sm.find_role(role),
                           password=PASSWORD)
        return user.id


def expected(user: str, allowed: set[str], ok: int = 200) -> int:
    """The status a role gets: `ok` when allowed, FAB's 403 for a signed-in user without permission."""
    return ok if user in allowed else 403


@pytest.mark.parametrize("user", ALL_USERS)
@pytest.mark.parametrize("path,allowed", [
    ("/departmentview/list/", DEPT_READERS),
    ("/departmentview/show/{dept}", DEPT_READERS),
    ("/departmentview/add", DEPT_WRITERS),
    ("/departmentview/edit/{dept}", DEPT_WRITERS),
])
def test_department_screens_by_role(login, world, user, path, allowed):
    """Every reader lists/shows departments; only HR and Admin open the add and edit forms."""
    r = login(user).get(path.format(dept=world["dept_a"]))
    assert r.status_code == expected(user, allowed)


@pytest.mark.parametrize("user", ALL_USERS)
def test_department_delete_by_role(app, login, user):
    """Only Admin deletes (an empty) department; everyone else gets 403 and the row stays."""
    dept_id = new_department(app)
    c = login(user)
    r = c.post(f"/departmentview/delete/{dept_id}", data={"csrf_token": c.csrf})
    assert r.status_code == (302 if user == "t_admin" else 403)
    with app.app_context():
        assert (db.session.get(Department, dept_id) is None) == (user == "t_admin")


def test_hr_adds_and_edits_department(app, login):
    """HR creates a department through the form and renames it."""
    c = login("t_hr")
    tag = uuid.uuid4().hex[:8]
    r = c.post("/departmentview/add", data={"code": f"H{tag}", "name": f"人事新建{tag}", "active": "y",
                                            "csrf_token": c.csrf})
    assert r.status_code == 302
    with app.app_context():
        dept = db.session.scalar(select(Department).where(Department.code == f"H{tag}"))
        assert dept is not None and dept.active
        dept_id = dept.id
    r = c.post(f"/departmentview/edit/{dept_id}", data={"code": f"H{tag}", "name": f"改名{tag}",
                                                         "csrf_token": c.csrf})
    assert r.status_code == 302
    with app.app_context():
        dept = db.session.get(Department, dept_id)
        assert dept.name == f"改名{tag}" and not dept.active


def test_department_show_counts_residents_and_names_approvers(app, login):
    """The show page gives the number of residents and the approvers' usernames."""
    dept_id = new_department(app)
    new_resident(app, dept_id)
    new_resident(app, dept_id)
    uid = new_user(app, f"appr_{uuid.uuid4().hex[:6]}", "DeptApprover")
    with app.app_context():
        db.session.add(UserDepartment(user_id=uid, department_id=dept_id))
        db.session.commit()
        username = app.appbuilder.sm.get_user_by_id(uid).username
    body = login("t_officer").get(f"/departmentview/show/{dept_id}").get_data(as_text=True)
    assert '<span id="hk-resident-count">2</span>' in body
    assert username in body


def test_department_count_is_scoped_for_approver(login, world):
    """An approver of department A sees A's residents counted but none of department B's."""
    c = login("t_approver_a")
    own = c.get(f"/departmentview/show/{world['dept_a']}").get_data(as_text=True)
    other = c.get(f"/departmentview/show/{world['dept_b']}").get_data(as_text=True)
    assert '<span id="hk-resident-count">0</span>' not in own
    assert '<span id="hk-resident-count">0</span>' in other


def test_delete_department_with_residents_is_refused(app, login, world):
    """Admin deleting a department with residents gets the message naming it; nothing is deleted."""
    dept_id = new_department(app)
    new_resident(app, dept_id)
    c = login("t_admin")
    r = c.post(f"/departmentview/delete/{dept_id}", data={"csrf_token": c.csrf}, follow_redirects=True)
    with app.app_context():
        dept = db.session.get(Department, dept_id)
        assert dept is not None
        with app.test_request_context():
            msg = render(Message("department_has_residents", (
                "Department %(name)s still has %(count)s residents; move them to another department before "
                "deleting it"), {"name": dept.name, "count": 1}))
    assert msg in r.get_data(as_text=True)


@pytest.mark.parametrize("user", ALL_USERS)
def test_department_api_read_by_role(api, world, user):
    """GET /api/v1/departments/ for every Department reader; Employee is refused."""
    c, headers = api(user)
    r = c.get("/api/v1/departments/", headers=headers)
    assert r.status_code == expected(user, DEPT_READERS)
    if r.status_code == 200:
        assert world["dept_a"] in {row["id"] for row in r.get_json()["result"]} or r.get_json()["count"] > 25


@pytest.mark.parametrize("user", ALL_USERS)
def test_department_api_write_by_role(app, api, user):
    """POST and PUT are for HR and Admin; others get 403 and nothing is created."""
    c, headers = api(user)
    tag = uuid.uuid4().hex[:8]
    r = c.post("/api/v1/departments/", json={"code": f"A{tag}", "name": f"接口部门{tag}"}, headers=headers)
    assert r.status_code == expected(user, DEPT_WRITERS, 201)
    with app.app_context():
        created = db.session.scalar(select(Department).where(Department.code == f"A{tag}"))
        assert (created is not None) == (user in DEPT_WRITERS)
    dept_id = new_department(app)
    r = c.put(f"/api/v1/departments/{dept_id}", json={"name": f"改{tag}"}, headers=headers)
    assert r.status_code == expected(user, DEPT_WRITERS)


def test_department_api_rejects_extra_fields_and_duplicates(api, world):
    """Unknown fields → 422 naming them; a duplicate code → 422, not 500."""
    c, headers = api("t_hr")
    r = c.post("/api/v1/departments/", json={"code": "X1", "name": "甲", "id": 5}, headers=headers)
    assert r.status_code == 422 and "id" in r.get_json()["message"]
    r = c.post("/api/v1/departments/", json={"code": "TA", "name": f"重复{uuid.uuid4().hex[:6]}"},
               headers=headers)
    assert r.status_code == 422 and "TA" in r.get_json()["message"]


@pytest.mark.parametrize("user,has_residents,status", [
    ("t_admin", True, 422), ("t_admin", False, 200), ("t_hr", False, 403), ("t_officer", False, 403),
])
def test_department_api_delete(app, api, user, has_residents, status):
    """DELETE is Admin only; a department with residents gives 422 with the message and stays."""
    dept_id = new_department(app)
    if has_residents:
        new_resident(app, dept_id)
    c, headers = api(user)
    r = c.delete(f"/api/v1/departments/{dept_id}", headers=headers)
    assert r.status_code == status
    with app.app_context():
        assert (db.session.get(Department, dept_id) is None) == (status == 200)
    if status == 422:
        assert "department" in r.get_json()["message"].lower() or "部门" in r.get_json()["message"]


LINK_SCREENS = ["/userdepartmentview/list/", "/userdepartmentview/add", "/userresidentview/list/",
                "/userresidentview/add"]


@pytest.mark.parametrize("user", ALL_USERS)
@pytest.mark.parametrize("path", LINK_SCREENS)
def test_link_screens_are_admin_only(login, user, path):
    """Approver scope and employee links are managed by Admin alone."""
    assert login(user).get(path).status_code == expected(user, {"t_admin"})


def test_admin_assigns_approver_and_scope_follows(app, login, client):
    """A new approver assigned to a department through the screen then sees its residents (and only those)."""
    dept_id = new_department(app)
    rid = new_resident(app, dept_id, name="钱七")
    username = f"appr_{uuid.uuid4().hex[:6]}"
    uid = new_user(app, username, "DeptApprover")
    admin = login("t_admin")
    r = admin.post("/userdepartmentview/add", data={"user": uid, "department": dept_id, "csrf_token": admin.csrf})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(UserDepartment, (uid, dept_id)) is not None
    approver = login(username)
    assert approver.get(f"/residentview/show/{rid}").status_code == 200
    r = admin.post("/userdepartmentview/add", data={"user": uid, "department": dept_id, "csrf_token": admin.csrf},
                   follow_redirects=True)
    assert r.status_code == 200 and username in r.get_data(as_text=True)
    pk = f'[{uid}, {dept_id}]'
    assert admin.get(f"/userdepartmentview/edit/{pk}").status_code == 404
    r = admin.post(f"/userdepartmentview/delete/{pk}", data={"csrf_token": admin.csrf})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(UserDepartment, (uid, dept_id)) is None
    assert approver.get(f"/residentview/show/{rid}").status_code == 404


def test_admin_links_employee_to_resident(app, login, world):
    """Admin links an employee user to a resident; a resident already linked to another user is refused."""
    dept_id = new_department(app)
    rid = new_resident(app, dept_id, name="孙八")
    username = f"emp_{uuid.uuid4().hex[:6]}"
    uid = new_user(app, username, "Employee")
    admin = login("t_admin")
    r = admin.post("/userresidentview/add", data={"user": uid, "resident": world["res_a"], "csrf_token": admin.csrf},
                   follow_redirects=True)
    assert "张三" in r.get_data(as_text=True)  # res_a already belongs to t_employee_a
    with app.app_context():
        assert db.session.get(UserResident, uid) is None
    r = admin.post("/userresidentview/add", data={"user": uid, "resident": rid, "csrf_token": admin.csrf})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(UserResident, uid).resident_id == rid
    employee = login(username)
    assert employee.get(f"/residentview/show/{rid}").status_code == 200
    assert employee.get(f"/residentview/show/{world['res_a']}").status_code == 404
