"""The top bar's one search box (issue 9): a name, a full ID number, or its last 4–6 characters for those who may
unmask; scoped like the lists; one hit opens the person; searches by number are in the audit trail."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Application, AuditLog, Resident
from app.services.register import search_kind
from tests.test_permissions import new_resident


def _number(app, pk: int) -> str:
    """The stored ID number of a resident."""
    with app.app_context():
        return db.session.get(Resident, pk).id_number


def _search_audits(app, username: str) -> list[AuditLog]:
    """The audit rows of this user's searches by number, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(AuditLog).where(
            AuditLog.action == "search_id", AuditLog.username == username).order_by(AuditLog.id)))


@pytest.mark.parametrize("term,may,kind", [
    ("张三", False, "name"), ("11010519491231002X", False, "id"), ("11010519491231002x", True, "id"),
    ("002X", True, "tail"), ("231002", True, "tail"), ("002X", False, None), ("1234567", True, None),
    ("12", True, None), ("张3", True, None), ("", True, None),
    ("11010519491231002Y", True, None),  # 18 characters with a wrong check character is no full number
])
def test_terms_are_classified(term, may, kind):
    found = search_kind(term, may)
    assert (found[0] if found else None) == kind


def test_box_is_in_the_top_bar_for_register_readers_only(login, client):
    assert 'class="navbar-form navbar-left hk-topsearch"' in login("t_officer").get("/").get_data(as_text=True)
    assert "hk-topsearch" not in client.get("/login/").get_data(as_text=True)


def test_one_name_hit_opens_the_person(app, login, world):
    pk = new_resident(app, world["dept_a"], name="独一无二甲")
    r = login("t_officer").get("/search/?q=独一无二甲")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/residentview/show/{pk}")
    assert _search_audits(app, "t_officer") == [] or all(
        json.loads(a.detail)["term"] != "独一无二甲" for a in _search_audits(app, "t_officer"))


def test_several_hits_are_listed_with_their_applications(app, login, world):
    a = new_resident(app, world["dept_a"], name="同名测试")
    b = new_resident(app, world["dept_a"], name="同名测试")
    with app.app_context():
        application = Application(type="certificate", status="draft", resident_id=a, department_id=world["dept_a"])
        db.session.add(application)
        db.session.commit()
        app_id = application.id
    page = login("t_officer").get("/search/?q=同名测试").get_data(as_text=True)
    assert f"/residentview/show/{a}" in page and f"/residentview/show/{b}" in page
    assert f"/applicationview/show/{app_id}" in page
    assert _number(app, a) not in page  # numbers stay masked in the results


def test_full_number_finds_and_is_audited_masked(app, login, world):
    number = _number(app, world["res_b"])
    r = login("t_finance").get(f"/search/?q={number.lower()}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/residentview/show/{world['res_b']}")
    entry = _search_audits(app, "t_finance")[-1]
    detail = json.loads(entry.detail)
    assert detail["search_by"] == "id" and detail["hits"] == 1
    assert number not in entry.detail and detail["term"].endswith(number[-1])  # kept masked, like the screens


def test_last_digits_for_those_who_may_unmask(app, login, world):
    number = _number(app, world["res_a2"])
    r = login("t_officer").get(f"/search/?q={number[-6:]}")
    assert r.status_code in (200, 302)
    body = r.get_data(as_text=True)
    assert (r.status_code == 302 and r.headers["Location"].endswith(f"/show/{world['res_a2']}")) or \
        f"/residentview/show/{world['res_a2']}" in body
    assert json.loads(_search_audits(app, "t_officer")[-1].detail)["search_by"] == "tail"


def test_last_digits_refused_without_unmask(app, login, world):
    number = _number(app, world["res_a"])
    before = len(_search_audits(app, "t_leader"))
    r = login("t_leader").get(f"/search/?q={number[-4:]}")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "hk-search-refused" in body and "查看完整号码" in body
    assert f"/residentview/show/{world['res_a']}" not in body
    assert len(_search_audits(app, "t_leader")) == before  # nothing was searched


@pytest.mark.parametrize("user,seen,unseen", [("t_approver_a", "res_a", "res_b"), ("t_employee_a", "res_a", "res_a2")])
def test_search_is_scoped(app, login, world, user, seen, unseen):
    c = login(user)
    assert c.get(f"/search/?q={_number(app, world[seen])}").status_code == 302
    r = c.get(f"/search/?q={_number(app, world[unseen])}")
    assert r.status_code == 200 and "hk-search-empty" in r.get_data(as_text=True)
    names = {"res_a": "张三", "res_b": "李四", "res_a2": "王五"}
    assert f"/residentview/show/{world[unseen]}" not in c.get(f"/search/?q={names[unseen]}").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    r = client.get("/search/?q=张三")
    assert r.status_code in (302, 401, 403) and "/residentview/show" not in r.headers.get("Location", "")
