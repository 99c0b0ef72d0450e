"""Malformed input found by the penetration test (issue 6): each is a 400/404/422 in Chinese, never a 500,
and nothing is stored."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Application, Department, Resident

HUGE = 9999999999999999999999  # ≥ 2^63: SQLite raises OverflowError, PostgreSQL a numeric-range error
CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese(message) -> bool:
    """The error message (text or {field: [texts]}) is written in Chinese."""
    text = json.dumps(message, ensure_ascii=False)
    return bool(CJK.search(text))


def send_json(client, method: str, url: str, body, headers: dict):
    """Send a raw JSON text (json.dumps keeps lone surrogates as \\ud800 escapes, as an attacker would)."""
    data = body if isinstance(body, str) else json.dumps(body)
    return client.open(url, method=method, data=data, headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("url", [
    "/api/v1/residents/?q=(((((",
    "/api/v1/residents/?q=" + "!(" * 3000 + "x",
    "/api/v1/departments/{dept}?q=5",
    "/api/v1/departments/{dept}?q=5e",
    "/api/v1/materials/_info?q=5",
    "/api/v1/materials/_info?q=1e",
    "/api/v1/residents/?q=(filters:!((col:department_id,opr:eq,value:{huge})))",
    "/api/v1/residents/?q=(filters:!((col:department_id,opr:eq,value:1.5)))",
    "/api/v1/residents/?q=(filters:!((col:department_id,opr:eq,value:abc)))",
    "/api/v1/residents/?q=(filters:!((col:status,opr:eq,value:1.5)))",
    "/api/v1/residents/?q=(filters:!((col:name,opr:sw,value:5)))",
    "/api/v1/residents/?q=(filters:!((col:name,opr:eq,value:'a%00b')))",
    '/api/v1/residents/?q={{"filters":[{{"col":"name","opr":"eq","value":"\\ud800"}}]}}',
    "/api/v1/residents/?q=(page:-1,page_size:5)",
    "/api/v1/residents/?q=(page:0,page_size:-1)",
    "/api/v1/residents/?q=(page:{huge},page_size:5)",
    "/api/v1/residents/?unmask=%00",
], ids=lambda url: url[:60])
def test_api_query_arguments_are_400(api, world, url):
    c, h = api("t_officer")
    r = c.get(url.format(dept=world["dept_a"], huge=HUGE), headers=h)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert chinese(r.get_json()["message"])


@pytest.mark.parametrize("method,url,body", [
    ("GET", "/api/v1/residents/{huge}", None),
    ("GET", "/api/v1/materials/{huge}/file", None),
    ("POST", "/api/v1/materials/{huge}/verify", {}),
    ("POST", "/api/v1/materials/{huge}/stamp", {}),
    ("POST", "/api/v1/materials/{huge}/return", {"reason": "缺页"}),
    ("DELETE", "/api/v1/materials/{huge}", None),
    ("POST", "/api/v1/loans/{huge}/return", None),
    ("POST", "/api/v1/applications/{huge}/transition", {"action": "submit"}),
    ("PUT", "/api/v1/residents/{huge}", {"name": "张三"}),
    ("DELETE", "/api/v1/applications/{huge}", None),
])
def test_api_ids_beyond_the_integer_range_are_404(api, method, url, body):
    c, h = api("t_officer")
    r = send_json(c, method, url.format(huge=HUGE), body, h) if body is not None else c.open(
        url.format(huge=HUGE), method=method, headers=h)
    assert r.status_code == 404, r.get_data(as_text=True)
    assert chinese(r.get_json()["message"])


@pytest.mark.parametrize("url", [
    "/residentview/show/{huge}", "/residentview/edit/{huge}", "/materialview/download/{huge}",
    "/residentview/list/?_flt_0_department={huge}", "/residentview/list/?_flt_0_department=abc",
    "/applicationview/list/?_flt_0_department={huge}", "/residentview/list/?_flt_0_name=a%00b",
    "/residentview/list/?_flt_5_department=1", "/residentlookup/?q=%00",
])
def test_web_ids_and_filters_are_4xx(login, url):
    r = login("t_officer").get(url.format(huge=HUGE))
    assert r.status_code in (400, 404), r.status_code
    assert CJK.search(r.get_data(as_text=True))


def test_deeply_nested_json_is_400(api):
    c, h = api("t_admin")
    deep = "[" * 100000 + "]" * 100000
    for url in ("/api/v1/departments/", "/api/v1/security/login"):
        r = send_json(c, "POST", url, deep, h)
        assert r.status_code == 400 and chinese(r.get_json()["message"])
    nested = {"code": "N1", "name": "x", "active": True}
    value: object = "x"
    for _ in range(50):
        value = [value]
    nested["name"] = value
    r = send_json(c, "POST", "/api/v1/departments/", nested, h)
    assert r.status_code == 400 and chinese(r.get_json()["message"])


@pytest.mark.parametrize("name,char", [("甲\x00部", "U+0000"), ("甲\u202e部", "U+202E"), ("甲\ud800部", "U+D800"),
                                       ("甲\u200b部", "U+200B"), ("甲\n部", "U+000A")])
def test_control_and_bidi_characters_in_names_are_422_naming_the_field(app, api, name, char):
    c, h = api("t_admin")
    code = f"C{uuid.uuid4().hex[:6]}"
    r = send_json(c, "POST", "/api/v1/departments/", {"code": code, "name": name}, h)
    assert r.status_code == 422, r.get_data(as_text=True)
    (message,) = r.get_json()["message"]["name"]
    assert message.startswith("部门名称") and char in message and chinese(message)
    with app.app_context():
        assert db.session.scalar(select(Department).where(Department.code == code)) is None


def test_control_characters_in_resident_update_are_refused(app, api, world):
    c, h = api("t_hr")
    r = send_json(c, "PUT", f"/api/v1/residents/{world['res_a2']}", {"name": "王\u202e五"}, h)
    assert r.status_code == 422 and "姓名" in r.get_json()["message"]["name"][0]
    with app.app_context():
        assert db.session.get(Resident, world["res_a2"]).name == "王五"


def test_multiline_text_keeps_line_breaks_but_not_nul(api, world):
    c, h = api("t_officer")
    ok = send_json(c, "POST", "/api/v1/applications/", {"type": "certificate", "resident_id": world["res_a"],
                                                         "reason": "第一行\n第二行"}, h)
    assert ok.status_code == 201, ok.get_data(as_text=True)
    bad = send_json(c, "PUT", f"/api/v1/applications/{ok.get_json()['id']}", {"reason": "第一行\x00"}, h)
    assert bad.status_code == 422 and "U+0000" in bad.get_json()["message"]["reason"][0]


@pytest.mark.parametrize("value", [73.9, 1.0, True, "1", HUGE, 2**31, 0, -1])
def test_resident_id_must_be_a_whole_number_in_range(app, api, world, value):
    c, h = api("t_officer")
    reason = f"fraction {uuid.uuid4().hex[:6]}"
    r = send_json(c, "POST", "/api/v1/applications/", {"type": "certificate", "resident_id": value,
                                                       "reason": reason}, h)
    assert r.status_code == 422, r.get_data(as_text=True)
    (message,) = r.get_json()["message"]["resident_id"]
    assert message.startswith("申请人") and chinese(message)
    with app.app_context():
        assert db.session.scalar(select(Application).where(Application.reason == reason)) is None


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_department_id_beyond_range_is_422(app, api, world, method):
    c, h = api("t_hr")
    url = "/api/v1/residents/" if method == "POST" else f"/api/v1/residents/{world['res_a2']}"
    body = {"department_id": HUGE}
    if method == "POST":
        body.update(name="赵七", id_number="11010519491231002X")
    r = send_json(c, method, url, body, h)
    assert r.status_code == 422, r.get_data(as_text=True)
    assert r.get_json()["message"]["department_id"][0].startswith("服务处所")


def test_non_finite_numbers_are_422(api, world):
    c, h = api("t_officer")
    r = send_json(c, "POST", "/api/v1/loans/", '{"resident_id": %d, "deposit": Infinity}' % world["res_a"], h)
    assert r.status_code == 422 and "deposit" in r.get_json()["message"]


def test_web_add_form_with_huge_resident_is_a_form_error(app, login):
    c = login("t_officer")
    reason = f"huge {uuid.uuid4().hex[:6]}"
    r = c.post("/applicationview/add", data={"resident": str(HUGE), "type": "certificate", "reason": reason,
                                             "csrf_token": c.csrf})
    assert r.status_code in (200, 400, 422), r.status_code
    with app.app_context():
        assert db.session.scalar(select(Application).where(Application.reason == reason)) is None


@pytest.mark.parametrize("name", ["甲\x00部", "甲\u202e部"])
def test_web_form_shows_the_control_character_next_to_the_field(app, login, name):
    c = login("t_hr")
    code = f"W{uuid.uuid4().hex[:6]}"
    r = c.post("/departmentview/add", data={"code": code, "name": name, "active": "y", "csrf_token": c.csrf})
    assert r.status_code == 200
    assert "不可见控制字符" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Department).where(Department.code == code)) is None


def test_web_custom_form_field_with_nul_is_422(app, api, login, world):
    """A form that is not a FAB model form (the workflow buttons) is checked by the guard: a 422 page."""
    client, headers = api("t_officer")
    created = send_json(client, "POST", "/api/v1/applications/", {"type": "certificate", "resident_id": world["res_a"],
                                                                   "reason": "控制字符"}, headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    aid = created.get_json()["id"]
    c = login("t_officer")
    r = c.post(f"/applicationview/transition/{aid}", data={"action": "submit", "comment": "a\x00b",
                                                           "csrf_token": c.csrf})
    assert r.status_code == 422 and "不可见控制字符" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, aid).status == "draft"
