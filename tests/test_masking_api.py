"""Issue 6 §1 personal-data findings: no partial ID/phone lookups or sorting, masked change requests and write
responses, a no-store export, and related tabs only with their own permission."""
import datetime as dt
import html
import json
import re

import prison
import pytest
from sqlalchemy import func, select

from app.domain.idnumber import make_id
from app.extensions import db
from app.models import Application, ApplicationHistory, AuditLog, PageLoan, Resident

_CJK = re.compile(r"[\u4e00-\u9fff]")
NEW_PHONE = "13712345678"


def _number(app, pk: int) -> str:
    """A resident's full ID number."""
    with app.app_context():
        return db.session.get(Resident, pk).id_number


def _q(**args) -> str:
    """A rison ?q= argument."""
    return "?q=" + prison.dumps(args)


def _audits(app, **where) -> int:
    """Number of audit rows matching the column values."""
    with app.app_context():
        stmt = select(func.count()).select_from(AuditLog)
        for col, value in where.items():
            stmt = stmt.where(getattr(AuditLog, col) == value)
        return db.session.scalar(stmt)


# ---- finding 2: lookups by a part of a number ----

@pytest.mark.parametrize("opr", ["sw", "ew", "ct", "nsw", "new", "nct", "neq", "in", "nin"])
def test_api_partial_id_filters_are_400_in_chinese(app, api, world, opr):
    number = _number(app, world["res_a"])
    value = [number] if opr in ("in", "nin") else number[:8]
    c, h = api("t_approver_a")
    r = c.get("/api/v1/residents/" + _q(filters=[{"col": "id_number", "opr": opr, "value": value}]), headers=h)
    assert r.status_code == 400, r.get_json()
    assert _CJK.search(r.get_json()["message"])


@pytest.mark.parametrize("value", ["110105", "11010519", "11010519900207001", "110105199002070011" + "1", "abc"])
def test_api_id_equals_needs_a_full_valid_number(api, value):
    c, h = api("t_leader")
    r = c.get("/api/v1/residents/" + _q(filters=[{"col": "id_number", "opr": "eq", "value": value}]), headers=h)
    assert r.status_code == 400 and "身份号码" in r.get_json()["message"]


@pytest.mark.parametrize("user", ["t_approver_a", "t_leader", "t_auditor", "t_officer"])
def test_api_exact_full_number_finds_one(app, api, world, user):
    number = _number(app, world["res_a"])
    c, h = api(user)
    r = c.get("/api/v1/residents/" + _q(filters=[{"col": "id_number", "opr": "eq", "value": number.lower()}]),
              headers=h)
    assert r.status_code == 200 and r.get_json()["ids"] == [world["res_a"]]


def test_api_exact_number_outside_scope_finds_nothing(app, api, world):
    number = _number(app, world["res_b"])
    c, h = api("t_approver_a")
    r = c.get("/api/v1/residents/" + _q(filters=[{"col": "id_number", "opr": "eq", "value": number}]), headers=h)
    assert r.status_code == 200 and r.get_json()["count"] == 0


def test_api_phone_filter_is_400(api):
    c, h = api("t_finance")
    r = c.get("/api/v1/residents/" + _q(filters=[{"col": "phone", "opr": "sw", "value": "138"}]), headers=h)
    assert r.status_code == 400 and _CJK.search(r.get_json()["message"])


def test_api_info_offers_only_exact_id_filter(api):
    c, h = api("t_leader")
    r = c.get("/api/v1/residents/_info" + _q(keys=["filters"]), headers=h)
    assert r.status_code == 200
    assert [f["operator"] for f in r.get_json()["filters"]["id_number"]] == ["eq"]


@pytest.mark.parametrize("index", range(10))
def test_web_partial_id_filter_is_400(app, login, world, index):
    number = _number(app, world["res_a"])
    r = login("t_approver_a").get(f"/residentview/list/?_flt_{index}_id_number={number[:10]}")
    assert r.status_code == 400
    assert "身份号码" in r.get_data(as_text=True)


@pytest.mark.parametrize("index", range(1, 10))
def test_web_other_id_filter_kinds_are_400_even_with_full_number(app, login, world, index):
    r = login("t_leader").get(f"/residentview/list/?_flt_{index}_id_number={_number(app, world['res_a'])}")
    assert r.status_code == 400


def test_web_exact_id_filter_finds_one(app, login, world):
    number = _number(app, world["res_a"])
    body = login("t_approver_a").get(f"/residentview/list/?_flt_0_id_number={number.lower()}").get_data(as_text=True)
    assert "张三" in body and "王五" not in body


def test_web_phone_filter_is_400(login):
    assert login("t_finance").get("/residentview/list/?_flt_0_phone=138").status_code == 400


def test_web_search_form_offers_only_equals_for_id(login):
    body = html.unescape(login("t_leader").get("/residentview/list/").get_data(as_text=True))
    offered = re.search(r'"id_number": \[([^\]]*)\]', body)  # FAB's search_filters JSON
    assert offered and offered.group(1).count('"') == 2  # one filter kind: the exact, full number


@pytest.mark.parametrize("user", ["t_approver_a", "t_leader", "t_finance", "t_auditor"])
def test_lookup_matches_only_a_full_number(app, login, world, user):
    number = _number(app, world["res_a"])
    c = login(user)
    for part in (number[:6], number[:14], number[:17], number[4:]):
        assert c.get(f"/residentlookup/?q={part}").get_json() == [], part
    assert [row["id"] for row in c.get(f"/residentlookup/?q={number}").get_json()] == [world["res_a"]]


@pytest.mark.parametrize("column", ["id_number", "phone", "birth_date"])
@pytest.mark.parametrize("user", ["t_approver_a", "t_leader", "t_finance", "t_auditor"])
def test_no_sorting_by_personal_numbers(api, login, user, column):
    c, h = api(user)
    assert c.get("/api/v1/residents/" + _q(order_column=column, order_direction="asc"), headers=h).status_code == 400
    assert login(user).get(f"/residentview/list/?_oc_ResidentView={column}&_od_ResidentView=asc").status_code == 400


def test_unmaskers_may_still_sort_by_birth_date(api, login):
    c, h = api("t_hr")
    assert c.get("/api/v1/residents/" + _q(order_column="birth_date", order_direction="asc"),
                 headers=h).status_code == 200
    assert login("t_officer").get("/residentview/list/?_oc_ResidentView=birth_date&_od_ResidentView=asc"
                                  ).status_code == 200


# ---- finding 3: the new phone of an information change ----

@pytest.fixture
def info_change(app, world):
    """An information change of res_a asking for a new phone, with the number also typed into a comment."""
    with app.app_context():
        a = Application(type="info_change", status="leader_review", resident_id=world["res_a"],
                        department_id=world["dept_a"], reason="换号", change_json=json.dumps({"phone": NEW_PHONE,
                                                                                                "occupation": "工程师"}))
        db.session.add(a)
        db.session.flush()
        db.session.add(ApplicationHistory(application_id=a.id, action="submit", from_status="draft",
                                          to_status="submitted", comment=f"请改为 {NEW_PHONE}"))
        db.session.commit()
        pk = a.id
    yield pk  # outside the app context, so that the requests of the test get their own `g`
    with app.app_context():
        db.session.execute(ApplicationHistory.__table__.delete().where(ApplicationHistory.application_id == pk))
        db.session.delete(db.session.get(Application, pk))
        db.session.commit()


@pytest.mark.parametrize("user", ["t_approver_a", "t_leader", "t_finance", "t_auditor"])
def test_requested_phone_is_masked(api, login, user, info_change):
    c, h = api(user)
    change = json.loads(c.get(f"/api/v1/applications/{info_change}", headers=h).get_json()["result"]["change_json"])
    assert change == {"phone": "137****5678", "occupation": "工程师"}
    page = login(user).get(f"/applicationview/show/{info_change}").get_data(as_text=True)
    assert "137****5678" in page and NEW_PHONE not in page  # the field and the timeline comment


def test_requested_phone_unmasked_only_on_request_and_audited(app, api, info_change):
    c, h = api("t_officer")
    assert NEW_PHONE not in c.get(f"/api/v1/applications/{info_change}", headers=h).get_data(as_text=True)
    before = _audits(app, action="unmask", object_id=str(info_change), username="t_officer")
    r = c.get(f"/api/v1/applications/{info_change}?unmask=1", headers=h)
    assert json.loads(r.get_json()["result"]["change_json"])["phone"] == NEW_PHONE
    assert _audits(app, action="unmask", object_id=str(info_change), username="t_officer") == before + 1
    c, h = api("t_leader")
    r = c.get(f"/api/v1/applications/{info_change}?unmask=1", headers=h)
    assert NEW_PHONE not in r.get_data(as_text=True)


# ---- finding 4: responses of writes ----

@pytest.mark.parametrize("user", ["t_officer", "t_hr"])
def test_put_response_is_masked(app, api, world, user):
    number = _number(app, world["res_b"])
    c, h = api(user)
    r = c.put(f"/api/v1/residents/{world['res_b']}", headers=h, json={})
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert number not in body and "13800130002" not in body
    assert r.get_json()["result"]["id_number"].endswith("*" + number[-1])


def test_put_unmask_is_audited(app, api, world):
    number = _number(app, world["res_b"])
    c, h = api("t_officer")
    before = _audits(app, action="unmask", object_id=str(world["res_b"]), username="t_officer")
    r = c.put(f"/api/v1/residents/{world['res_b']}?unmask=1", headers=h, json={})
    assert r.status_code == 200 and r.get_json()["result"]["id_number"] == number
    assert _audits(app, action="unmask", object_id=str(world["res_b"]), username="t_officer") == before + 1


def test_post_response_is_masked(app, api, world):
    number = make_id("110105", dt.date(1983, 3, 3), 777)
    c, h = api("t_hr")
    r = c.post("/api/v1/residents/", headers=h, json={"name": "写后掩码", "id_number": number,
                                                       "department_id": world["dept_a"], "phone": "13611119999"})
    try:
        assert r.status_code == 201, r.get_json()
        body = r.get_data(as_text=True)
        assert number not in body and "13611119999" not in body
    finally:
        with app.app_context():
            row = db.session.scalar(select(Resident).where(Resident.id_number == number))
            if row is not None:
                db.session.delete(row)
                db.session.commit()


# ---- finding 5: the export is not stored ----

def test_export_is_no_store(login):
    r = login("t_officer").get("/export/residents/xlsx")
    assert r.status_code == 200
    cache = {p.strip() for p in r.headers["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache and "no-cache" not in cache


# ---- finding 6 (Low): related tabs need their own permission ----

@pytest.fixture
def loan(app, world):
    """A (returned, so it never clashes with another test's open loan) page loan of res_a with a recognisable
    purpose."""
    with app.app_context():
        row = PageLoan(resident_id=world["res_a"], purpose="借页标记用途", lent_on=dt.date(2026, 1, 5),
                       due_on=dt.date(2026, 1, 20), returned_on=dt.date(2026, 1, 10))
        db.session.add(row)
        db.session.commit()
        pk = row.id
    yield pk
    with app.app_context():
        db.session.delete(db.session.get(PageLoan, pk))
        db.session.commit()


@pytest.mark.parametrize("user,sees", [("t_approver_a", False), ("t_hr", False), ("t_officer", True),
                                       ("t_leader", True)])
def test_loan_tab_needs_page_loan_permission(login, world, loan, user, sees):
    body = login(user).get(f"/residentview/show/{world['res_a']}").get_data(as_text=True)
    assert ("借页标记用途" in body) == sees
    assert ('href="#PageLoanView"' in body) == sees
    assert 'href="#ApplicationView"' in body  # every role here may read applications


def test_hr_edit_page_has_no_loan_tab(login, world, loan):
    body = login("t_hr").get(f"/residentview/edit/{world['res_a']}").get_data(as_text=True)
    assert "借页标记用途" not in body and 'href="#PageLoanView"' not in body
