"""Role × endpoint matrix for residents, UI and API: who sees, reads, writes, deletes and unmasks which rows."""
from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from sqlalchemy import func, select

from app.domain.idnumber import make_id
from app.domain.masking import mask_id
from app.extensions import db
from app.models import AuditLog, Resident
from app.security.roles import ROLES
from tests.world import USERS as ROLE_OF

USERS = ["t_officer", "t_approver_a", "t_approver_b", "t_leader", "t_hr", "t_finance", "t_auditor",
         "t_employee_a", "t_employee_b", "t_admin"]
ALL = {"res_a", "res_b", "res_a2"}
VISIBLE = {
    "t_officer": ALL, "t_leader": ALL, "t_hr": ALL, "t_finance": ALL, "t_auditor": ALL, "t_admin": ALL,
    "t_approver_a": {"res_a", "res_a2"}, "t_approver_b": {"res_b"},
    "t_employee_a": {"res_a"}, "t_employee_b": {"res_b"},
}
NAMES = {"res_a": "张三", "res_b": "李四", "res_a2": "王五"}


def granted(verb: str) -> set[str]:
    """World users whose role grants `verb` on Resident (Admin holds every permission)."""
    return {u for u in USERS if ROLE_OF[u] == "Admin" or verb in ROLES.get(ROLE_OF[u], {}).get("Resident", ())}


WRITERS = granted("write")
DELETERS = granted("delete")
UNMASKERS = granted("unmask")
CASES = [(u, r) for u in USERS for r in sorted(ALL)]
_rng = random.Random()


def new_id(region: str = "110105", gender: str = "M") -> str:
    """A valid, almost certainly unused ID number (random birth date and order code)."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=_rng.randrange(15000))
    seq = _rng.randrange(500) * 2 + (1 if gender == "M" else 0)
    return make_id(region, birth, seq)


def new_resident(app, dept_id: int, name: str = "测试人员", status: str = "active") -> int:
    """Insert a resident of a department directly and return its id."""
    number = new_id()
    with app.app_context():
        from app.domain.idnumber import check

        row = Resident(name=name, id_number=number, gender="M", birth_date=check(number).birth_date,
                       department_id=dept_id, status=status, phone="13900139000")
        db.session.add(row)
        db.session.commit()
        return row.id


def resident_row(app, pk: int) -> Resident | None:
    """A fresh copy of a resident row (None if gone)."""
    with app.app_context():
        row = db.session.get(Resident, pk)
        if row is not None:
            db.session.expunge(row)
        return row


def audit_count(app, **where) -> int:
    """How many audit rows match the given column values."""
    with app.app_context():
        stmt = select(func.count(AuditLog.id))
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditLog, key) == value)
        return db.session.scalar(stmt)


def cells(html: str) -> set[str]:
    """The texts of the table cells of a page (the search form's input values are not cells)."""
    return {t.strip() for t in re.findall(r"<td[^>]*>([^<]*)", html)}


# ---- UI ----

@pytest.mark.parametrize("user", USERS)
def test_ui_list_shows_only_visible_names(login, user):
    c = login(user)
    for key, name in NAMES.items():
        # filtered by name: the shared test DB may hold more residents than one page
        body = c.get(f"/residentview/list/?_flt_0_name={name}&psize_ResidentView=100").get_data(as_text=True)
        assert (name in cells(body)) == (key in VISIBLE[user]), (user, name)


@pytest.mark.parametrize("user,res", CASES)
def test_ui_show_by_id(login, world, user, res):
    r = login(user).get(f"/residentview/show/{world[res]}")
    assert r.status_code == (200 if res in VISIBLE[user] else 404)
    if r.status_code == 200:
        assert NAMES[res] in r.get_data(as_text=True)


@pytest.mark.parametrize("user,res", CASES)
def test_ui_edit_form_by_id(app, login, world, user, res):
    before = audit_count(app, action="unmask", object_id=str(world[res]))
    r = login(user).get(f"/residentview/edit/{world[res]}")
    if user not in WRITERS:
        assert r.status_code == 403
        assert audit_count(app, action="unmask", object_id=str(world[res])) == before
    else:
        assert r.status_code == 200
        # the edit form shows full numbers, so opening it is logged as an unmask
        assert audit_count(app, action="unmask", object_id=str(world[res])) == before + 1


@pytest.mark.parametrize("user", USERS)
def test_ui_delete_by_post(app, login, world, user):
    pk = new_resident(app, world["dept_a"])
    c = login(user)
    r = c.post(f"/residentview/delete/{pk}", data={"csrf_token": c.csrf})
    assert r.status_code == (302 if user in DELETERS else 403)
    assert (resident_row(app, pk) is None) == (user in DELETERS)


@pytest.mark.parametrize("user", sorted(WRITERS))
def test_ui_edit_post_ignores_status_and_keeps_row(app, login, world, user):
    pk = new_resident(app, world["dept_a"])
    row = resident_row(app, pk)
    c = login(user)
    data = {"name": "改名后", "id_number": row.id_number, "gender": "M", "department": str(world["dept_a"]),
            "status": "moved_out", "csrf_token": c.csrf}
    r = c.post(f"/residentview/edit/{pk}", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    after = resident_row(app, pk)
    assert after.name == "改名后" and after.status == "active"


@pytest.mark.parametrize("user", sorted(WRITERS))
def test_ui_department_dropdown_lists_reference_data(login, user):
    body = login(user).get("/residentview/add").get_data(as_text=True)
    assert "测试甲部门" in body and "测试乙部门" in body


@pytest.mark.parametrize("user", USERS)
def test_ui_search_by_hidden_name(login, user):
    body = login(user).get("/residentview/list/?_flt_0_name=李四").get_data(as_text=True)
    assert ("李四" in cells(body)) == ("res_b" in VISIBLE[user])


@pytest.mark.parametrize("user", USERS)
def test_ui_numbers_are_masked(login, world, user):
    res = sorted(VISIBLE[user])[0]
    body = login(user).get(f"/residentview/show/{world[res]}").get_data(as_text=True)
    assert "110105" in body and "********" in body
    assert "1380013" not in body  # the phone is masked too


# ---- unmask on the show page ----

@pytest.mark.parametrize("user", USERS)
def test_ui_unmask_post(app, login, world, user):
    res = sorted(VISIBLE[user])[0]
    pk = world[res]
    with app.app_context():
        number = db.session.get(Resident, pk).id_number
    c = login(user)
    before = audit_count(app, action="unmask", object_id=str(pk), username=user)
    r = c.post(f"/residentview/unmask/{pk}", data={"csrf_token": c.csrf})
    body = r.get_data(as_text=True)
    if user in UNMASKERS:
        assert r.status_code == 200 and number in body
        assert audit_count(app, action="unmask", object_id=str(pk), username=user) == before + 1
    else:
        assert r.status_code == 403 and number not in body
        assert audit_count(app, action="unmask", object_id=str(pk), username=user) == before


def test_ui_unmask_needs_csrf_token(app, login, world):
    pk = world["res_a"]
    before = audit_count(app, action="unmask", object_id=str(pk))
    r = login("t_officer").post(f"/residentview/unmask/{pk}", data={})
    assert r.status_code == 400
    assert audit_count(app, action="unmask", object_id=str(pk)) == before


@pytest.mark.parametrize("user,res", [("t_approver_a", "res_b"), ("t_employee_a", "res_a2")])
def test_ui_unmask_invisible_row_is_404_for_unmasker_scope(app, login, world, user, res):
    """An unmasker is unit-wide, so scope is proven with a scoped user who gets refused before leaking."""
    c = login(user)
    r = c.post(f"/residentview/unmask/{world[res]}", data={"csrf_token": c.csrf})
    assert r.status_code in (403, 404)
    assert NAMES[res] not in r.get_data(as_text=True)


def test_ui_unmask_missing_row_is_404(login):
    c = login("t_officer")
    assert c.post("/residentview/unmask/99999999", data={"csrf_token": c.csrf}).status_code == 404


# ---- API ----

@pytest.mark.parametrize("user", USERS)
def test_api_list_shows_only_visible(api, world, user):
    c, h = api(user)
    for key, name in NAMES.items():
        r = c.get(f"/api/v1/residents/?q=(filters:!((col:name,opr:eq,value:{name})))", headers=h)
        assert r.status_code == 200
        names = {row["name"] for row in r.get_json()["result"]}
        assert (name in names) == (key in VISIBLE[user]), (user, name)
        assert all("*" in row["id_number"] for row in r.get_json()["result"])
    rows = c.get("/api/v1/residents/?q=(page_size:100)", headers=h).get_json()["result"]
    if user.startswith("t_employee"):
        assert [row["name"] for row in rows] == [NAMES[next(iter(VISIBLE[user]))]]
    if user.startswith("t_approver"):
        own = world["dept_a"] if user.endswith("_a") else world["dept_b"]
        assert rows and {row["department_id"] for row in rows} == {own}


@pytest.mark.parametrize("user,res", CASES)
def test_api_get_one(api, world, user, res):
    c, h = api(user)
    r = c.get(f"/api/v1/residents/{world[res]}", headers=h)
    assert r.status_code == (200 if res in VISIBLE[user] else 404)
    if r.status_code == 200:
        assert r.get_json()["result"]["id_number"].startswith("110105********")
    else:
        assert NAMES[res] not in r.get_data(as_text=True)


@pytest.mark.parametrize("user", USERS)
def test_api_search_hidden_name_returns_nothing(api, user):
    c, h = api(user)
    r = c.get("/api/v1/residents/?q=(filters:!((col:name,opr:eq,value:李四)))", headers=h)
    assert r.status_code == 200
    assert (r.get_json()["count"] >= 1) == ("res_b" in VISIBLE[user])


@pytest.mark.parametrize("user", USERS)
def test_api_post(app, api, world, user):
    c, h = api(user)
    number = new_id()
    r = c.post("/api/v1/residents/", headers=h,
               json={"name": "接口新增", "id_number": number, "department_id": world["dept_a"]})
    with app.app_context():
        inserted = db.session.scalar(select(func.count()).where(Resident.id_number == number))
    if user in WRITERS:
        assert r.status_code == 201, r.get_json()
        assert inserted == 1
    else:
        assert r.status_code == 403 and inserted == 0


@pytest.mark.parametrize("user,res", CASES)
def test_api_put(app, api, world, user, res):
    c, h = api(user)
    job = f"岗位-{user}"
    r = c.put(f"/api/v1/residents/{world[res]}", headers=h, json={"occupation": job})
    changed = resident_row(app, world[res]).occupation == job
    if user in WRITERS:
        assert r.status_code == 200 and changed
    else:
        assert r.status_code == 403 and not changed


@pytest.mark.parametrize("user", USERS)
def test_api_delete(app, api, world, user):
    pk = new_resident(app, world["dept_b"])
    c, h = api(user)
    r = c.delete(f"/api/v1/residents/{pk}", headers=h)
    assert r.status_code == (200 if user in DELETERS else 403)
    assert (resident_row(app, pk) is None) == (user in DELETERS)


@pytest.mark.parametrize("user", USERS)
def test_api_unmask_only_with_permission_and_audited(app, api, world, user):
    res = sorted(VISIBLE[user])[0]
    pk = world[res]
    with app.app_context():
        number = db.session.get(Resident, pk).id_number
    c, h = api(user)
    before = audit_count(app, action="unmask", object_id=str(pk), username=user)
    r = c.get(f"/api/v1/residents/{pk}?unmask=1", headers=h)
    assert r.status_code == 200
    shown = r.get_json()["result"]["id_number"]
    after = audit_count(app, action="unmask", object_id=str(pk), username=user)
    if user in UNMASKERS:
        assert shown == number and after == before + 1
    else:
        assert shown == mask_id(number) and after == before
    # lists are never unmasked
    listed = c.get("/api/v1/residents/?unmask=1", headers=h).get_json()["result"]
    assert number not in {row["id_number"] for row in listed}


# ---- a scoped user who DOES hold write/delete: scope still decides (404, nothing touched) ----

@pytest.fixture(scope="module")
def scoped_writer(app):
    """A DeptApprover of dept_a who is also given can_write/can_delete on Resident through an extra DB role."""
    from app.models import UserDepartment

    world = app.config["WORLD"]
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("T_ResidentWriter") or sm.add_role("T_ResidentWriter")
        for perm in ("can_write", "can_delete", "can_read"):
            sm.add_permission_role(role, sm.find_permission_view_menu(perm, "Resident"))
        user = sm.find_user("t_scoped_writer")
        if user is None:
            from tests.conftest import PASSWORD

            user = sm.add_user("t_scoped_writer", "t", "scoped", "t_scoped_writer@example.test",
                               [sm.find_role("DeptApprover"), role], password=PASSWORD)
            db.session.add(UserDepartment(user_id=user.id, department_id=world["dept_a"]))
            db.session.commit()
    return "t_scoped_writer"


def test_scoped_writer_ui_edit_and_delete_invisible_is_404(app, login, world, scoped_writer):
    c = login(scoped_writer)
    pk = world["res_b"]
    assert c.get(f"/residentview/edit/{pk}").status_code == 404
    assert c.post(f"/residentview/delete/{pk}", data={"csrf_token": c.csrf}).status_code == 404
    assert resident_row(app, pk) is not None
    assert c.get(f"/residentview/edit/{world['res_a2']}").status_code == 200  # the role itself works


def test_scoped_writer_api_put_delete_invisible_is_404(app, api, world, scoped_writer):
    c, h = api(scoped_writer)
    pk = world["res_b"]
    before = resident_row(app, pk)
    assert c.put(f"/api/v1/residents/{pk}", headers=h, json={"occupation": "越权"}).status_code == 404
    assert c.delete(f"/api/v1/residents/{pk}", headers=h).status_code == 404
    after = resident_row(app, pk)
    assert after is not None and after.occupation == before.occupation


def test_scoped_writer_cannot_create_or_move_into_other_department(app, api, world, scoped_writer):
    c, h = api(scoped_writer)
    number = new_id()
    r = c.post("/api/v1/residents/", headers=h,
               json={"name": "越权新增", "id_number": number, "department_id": world["dept_b"]})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Resident.id_number == number)) == 0
    pk = new_resident(app, world["dept_a"])
    r = c.put(f"/api/v1/residents/{pk}", headers=h, json={"department_id": world["dept_b"]})
    assert r.status_code == 422
    assert resident_row(app, pk).department_id == world["dept_a"]
    r = c.post("/api/v1/residents/", headers=h,
               json={"name": "本部门新增", "id_number": new_id(), "department_id": world["dept_a"]})
    assert r.status_code == 201, r.get_json()


def test_scoped_writer_ui_cannot_move_row_out_of_scope(app, login, world, scoped_writer):
    pk = new_resident(app, world["dept_a"])
    row = resident_row(app, pk)
    c = login(scoped_writer)
    c.post(f"/residentview/edit/{pk}", data={"name": row.name, "id_number": row.id_number, "gender": "M",
                                             "department": str(world["dept_b"]), "csrf_token": c.csrf})
    assert resident_row(app, pk).department_id == world["dept_a"]


# ---- the auditor changes nothing ----

def test_auditor_changes_nothing(app, login, api, world):
    pk = new_resident(app, world["dept_a"])
    before = resident_row(app, pk)
    c = login("t_auditor")
    number = new_id()
    form = {"name": "审计新增", "id_number": number, "gender": "M", "department": str(world["dept_a"]),
            "csrf_token": c.csrf}
    assert c.post("/residentview/add", data=form).status_code == 403
    assert c.post(f"/residentview/edit/{pk}", data={**form, "name": "审计改名"}).status_code == 403
    assert c.post(f"/residentview/delete/{pk}", data={"csrf_token": c.csrf}).status_code == 403
    r = c.post("/residentview/action_post", data={"action": "mark_leaving", "rowid": [pk], "csrf_token": c.csrf})
    assert r.status_code in (302, 403)
    a, h = api("t_auditor")
    assert a.post("/api/v1/residents/", headers=h, json={"name": "x", "id_number": number}).status_code == 403
    assert a.put(f"/api/v1/residents/{pk}", headers=h, json={"name": "审计改名"}).status_code == 403
    assert a.delete(f"/api/v1/residents/{pk}", headers=h).status_code == 403
    after = resident_row(app, pk)
    assert (after.name, after.status, after.version) == (before.name, before.status, before.version)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Resident.id_number == number)) == 0
