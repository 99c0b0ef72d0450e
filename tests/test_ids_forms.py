"""The one ID-number rule in the resident add/edit form and the API: errors, warnings, derivation, duplicates."""
from __future__ import annotations

import datetime as dt
import html

import pytest
from sqlalchemy import delete, func, select

from app.domain.idnumber import check, make_id
from app.extensions import db
from app.models import Resident
from tests.test_permissions import new_id, new_resident, resident_row

BAD_CHECK = "110105194912310021"
LOWER_X = "11010519491231002x"
FUTURE = make_id("110105", dt.date.today() + dt.timedelta(days=400), 11)


def rendered(app, code: str) -> str:
    """The zh text the app shows for the first message of a rejected/flagged number, found by code."""
    from app.i18n import render

    with app.test_request_context():
        return render(_message(code))


def _message(code: str):
    """A domain message by code for the fixed numbers used here."""
    cases = {"id_checksum": check(BAD_CHECK).errors, "id_birth_future": check(FUTURE).errors,
             "id_region_unknown": check(make_id("330113", dt.date(1985, 5, 5), 11)).warnings}
    return next(m for m in cases[code] if m.code == code)


def count_with(app, number: str) -> int:
    """Residents stored with this ID number."""
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Resident.id_number == number))


def stored(app, number: str) -> Resident | None:
    """The resident with this ID number (detached)."""
    with app.app_context():
        row = db.session.scalar(select(Resident).where(Resident.id_number == number))
        if row is not None:
            db.session.expunge(row)
        return row


def drop(app, number: str) -> None:
    """Remove a row this module created with a fixed number (keeps the shared DB reusable)."""
    with app.app_context():
        db.session.execute(delete(Resident).where(Resident.id_number == number))
        db.session.commit()


@pytest.fixture
def officer(login):
    """An officer's web client."""
    return login("t_officer")


def add_form(client, world, number: str, **extra) -> str:
    """POST the add form; return the page text (a validation error re-renders the form with 200)."""
    data = {"name": "表单新增", "id_number": number, "department": str(world["dept_a"]),
            "csrf_token": client.csrf, **extra}
    r = client.post("/residentview/add", data=data, follow_redirects=True)
    assert r.status_code == 200
    return html.unescape(r.get_data(as_text=True))


def api_add(api, world, number: str, **extra):
    """POST /api/v1/residents/ as the officer."""
    c, h = api("t_officer")
    return c.post("/api/v1/residents/", headers=h,
                  json={"name": "接口新增", "id_number": number, "department_id": world["dept_a"], **extra})


# ---- bad check character ----

def test_form_rejects_bad_check_character(app, officer, world):
    page = add_form(officer, world, BAD_CHECK)
    assert "校验码" in rendered(app, "id_checksum")
    assert rendered(app, "id_checksum") in page
    assert count_with(app, BAD_CHECK) == 0


def test_api_rejects_bad_check_character(app, api, world):
    r = api_add(api, world, BAD_CHECK)
    assert r.status_code == 422
    assert any(rendered(app, "id_checksum") in m for m in r.get_json()["message"]["id_number"])
    assert count_with(app, BAD_CHECK) == 0


# ---- lowercase x is normalised ----

@pytest.mark.parametrize("via", ["form", "api"])
def test_lowercase_x_is_accepted_and_normalised(app, officer, api, world, via):
    upper = LOWER_X.upper()
    drop(app, upper)
    try:
        if via == "form":
            add_form(officer, world, LOWER_X)
        else:
            assert api_add(api, world, LOWER_X).status_code == 201
        row = stored(app, upper)
        assert row is not None and row.id_number == "11010519491231002X"
        assert (row.birth_date, row.gender) == (dt.date(1949, 12, 31), "F")
        assert count_with(app, LOWER_X) == 0
    finally:
        drop(app, upper)


# ---- unknown (new) region code: a warning, not an error ----

def test_form_accepts_330113_with_a_warning(app, officer, world):
    number = new_id(region="330113")
    page = add_form(officer, world, number)
    assert count_with(app, number) == 1
    assert rendered(app, "id_region_unknown") in page


def test_api_accepts_330113_with_a_warning(app, api, world):
    number = new_id(region="330113")
    r = api_add(api, world, number)
    assert r.status_code == 201
    assert r.get_json()["warnings"] == [rendered(app, "id_region_unknown")]
    assert count_with(app, number) == 1


# ---- future birth date, mismatched gender / birth date ----

@pytest.mark.parametrize("via", ["form", "api"])
def test_future_birth_date_is_rejected(app, officer, api, world, via):
    expected = rendered(app, "id_birth_future")
    assert "晚于今天" in expected
    if via == "form":
        assert expected in add_form(officer, world, FUTURE)
    else:
        r = api_add(api, world, FUTURE)
        assert r.status_code == 422 and expected in str(r.get_json()["message"])
    assert count_with(app, FUTURE) == 0


@pytest.mark.parametrize("via", ["form", "api"])
def test_mismatched_gender_is_rejected(app, officer, api, world, via):
    number = new_id(gender="M")
    text = "性别填写为女，但身份证号码属于男性（顺序码为奇数）"
    if via == "form":
        assert text in add_form(officer, world, number, gender="F")
    else:
        r = api_add(api, world, number, gender="F")
        assert r.status_code == 422 and text in str(r.get_json()["message"])
    assert count_with(app, number) == 0


@pytest.mark.parametrize("via", ["form", "api"])
def test_mismatched_birth_date_is_rejected(app, officer, api, world, via):
    number = new_id()
    wrong = (check(number).birth_date + dt.timedelta(days=1)).isoformat()
    if via == "form":
        page = add_form(officer, world, number, birth_date=wrong)
    else:
        r = api_add(api, world, number, birth_date=wrong)
        assert r.status_code == 422
        page = str(r.get_json()["message"])
    assert "与身份证号码不符" in page and wrong in page
    assert count_with(app, number) == 0


@pytest.mark.parametrize("via", ["form", "api"])
def test_birth_date_and_gender_are_derived_when_omitted(app, officer, api, world, via):
    number = new_id(gender="F")
    if via == "form":
        add_form(officer, world, number)
    else:
        assert api_add(api, world, number).status_code == 201
    row = stored(app, number)
    assert row is not None
    assert (row.birth_date, row.gender) == (check(number).birth_date, "F")


# ---- duplicates: a clear message, never a raw database error ----

def _dup_text(app, number: str) -> str:
    from app.domain.errors import Message
    from app.i18n import render

    with app.test_request_context():
        return render(Message("id_duplicate", "The ID number %(number)s is already registered for another "
                                              "resident", {"number": number}))


def test_form_rejects_duplicate_id_number(app, officer, world):
    number = resident_row(app, world["res_b"]).id_number
    page = add_form(officer, world, number.lower())
    assert _dup_text(app, number) in page
    assert "IntegrityError" not in page and "UNIQUE" not in page.upper().replace("UNIQUE_", "")
    assert count_with(app, number) == 1


def test_api_rejects_duplicate_id_number(app, api, world):
    number = resident_row(app, world["res_b"]).id_number
    r = api_add(api, world, number)
    assert r.status_code == 422
    assert r.get_json()["message"]["id_number"] == [f"公民身份号码：{_dup_text(app, number)}"] or \
        _dup_text(app, number) in str(r.get_json()["message"])
    assert count_with(app, number) == 1


def test_editing_keeps_its_own_number_but_not_anothers(app, officer, api, world):
    pk = new_resident(app, world["dept_a"])
    row = resident_row(app, pk)
    other = resident_row(app, world["res_b"]).id_number
    base = {"name": row.name, "gender": "M", "department": str(world["dept_a"]), "csrf_token": officer.csrf}
    r = officer.post(f"/residentview/edit/{pk}", data={**base, "id_number": row.id_number, "name": "仍是本人"})
    assert r.status_code == 302 and resident_row(app, pk).name == "仍是本人"
    r = officer.post(f"/residentview/edit/{pk}", data={**base, "id_number": other})
    assert r.status_code == 200 and _dup_text(app, other) in html.unescape(r.get_data(as_text=True))
    c, h = api("t_officer")
    assert c.put(f"/api/v1/residents/{pk}", headers=h, json={"id_number": row.id_number}).status_code == 200
    r = c.put(f"/api/v1/residents/{pk}", headers=h, json={"id_number": other})
    assert r.status_code == 422 and _dup_text(app, other) in str(r.get_json()["message"])
    assert resident_row(app, pk).id_number == row.id_number
