"""Resident picker: server-side search, scoped, and forms accept only visible residents."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, Resident


def _ids(resp) -> set[int]:
    return {row["id"] for row in resp.get_json()}


def test_officer_finds_by_name_prefix(login, world):
    r = login("t_officer").get("/residentlookup/?q=李")
    assert r.status_code == 200
    assert world["res_b"] in _ids(r)
    assert all("*" in row["text"] for row in r.get_json())  # numbers are masked in the picker


def test_officer_finds_by_id_number(app, login, world):
    with app.app_context():
        number = db.session.get(Resident, world["res_a"]).id_number
    r = login("t_officer").get(f"/residentlookup/?q={number.lower()}")
    assert _ids(r) == {world["res_a"]}


@pytest.mark.parametrize("user,visible,hidden", [
    ("t_approver_a", "res_a", "res_b"), ("t_approver_b", "res_b", "res_a"), ("t_employee_a", "res_a", "res_a2"),
])
def test_lookup_is_scoped(login, world, user, visible, hidden):
    c = login(user)
    names = {"res_a": "张", "res_b": "李", "res_a2": "王"}
    assert world[visible] in _ids(c.get(f"/residentlookup/?q={names[visible]}"))
    assert world[hidden] not in _ids(c.get(f"/residentlookup/?q={names[hidden]}"))


def test_empty_query_returns_nothing(login):
    assert login("t_officer").get("/residentlookup/?q=").get_json() == []


def test_anonymous_is_refused(client):
    assert client.get("/residentlookup/?q=张").status_code in (302, 401, 403)


def test_employee_cannot_apply_for_someone_else(app, login, world):
    c = login("t_employee_a")
    with app.app_context():
        before = db.session.scalar(select(func.count(Application.id)))
    r = c.post("/applicationview/add", data={"resident": str(world["res_b"]), "type": "certificate",
                                             "reason": "x", "csrf_token": c.csrf})
    with app.app_context():
        after = db.session.scalar(select(func.count(Application.id)))
    assert after == before
    assert "记录不存在" in r.get_data(as_text=True)


def test_officer_applies_through_picker(app, login, world):
    c = login("t_officer")
    r = c.post("/applicationview/add", data={"resident": str(world["res_b"]), "type": "certificate",
                                             "reason": "开证明", "csrf_token": c.csrf})
    assert r.status_code == 302
    with app.app_context():
        a = db.session.scalars(select(Application).where(Application.reason == "开证明")).first()
        assert a.resident_id == world["res_b"] and a.department_id == world["dept_b"] and a.status == "draft"
        db.session.delete(a)
        db.session.commit()


def test_add_form_renders_picker_not_full_dropdown(login, world):
    body = login("t_officer").get("/applicationview/add").get_data(as_text=True)
    assert "hk-resident-picker" in body and "李四" not in body
