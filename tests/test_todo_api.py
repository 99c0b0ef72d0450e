"""GET /api/v1/todo/ (JWT and session), and the home page that shows the same list."""
import re

import pytest

from tests.test_todo_queues import scene  # noqa: F401  (the module-scoped fixture of applications)

ITEM_KEYS = {"kind", "id", "status", "actions", "since", "due", "overdue"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_shape(body: dict) -> None:
    """The issue's JSON: count and items with the agreed keys and types."""
    assert isinstance(body["count"], int) and isinstance(body["items"], list)
    assert body["count"] >= len(body["items"]) and DATE.match(body["today"])
    for item in body["items"]:
        assert ITEM_KEYS <= set(item)
        assert item["kind"] in {"application", "loan", "leaver", "material", "fee"}
        assert isinstance(item["id"], int) and isinstance(item["actions"], list)
        assert DATE.match(item["since"]) and (item["due"] is None or DATE.match(item["due"]))
        assert isinstance(item["overdue"], bool)
        assert item["overdue"] == (item["due"] is not None and item["due"] < body["today"])


def _application_ids(body: dict) -> set[int]:
    """Ids of the application items."""
    return {i["id"] for i in body["items"] if i["kind"] == "application"}


@pytest.mark.parametrize("username, mine, not_mine", [
    ("t_approver_a", [("dept_a", "dept_review")], [("dept_b", "dept_review"), "approver_own"]),
    ("t_approver_b", [("dept_b", "dept_review")], [("dept_a", "dept_review")]),
    ("t_leader", [("dept_a", "leader_review"), ("dept_b", "leader_review")], [("dept_a", "dept_review")]),
    ("t_employee_a", ["own_a"], ["own_b", "own_draft"]),
    ("t_officer", [("dept_a", "submitted"), ("dept_b", "completed")], [("dept_a", "draft"), "own_a"]),
])
def test_api_with_a_token(api, scene, username, mine, not_mine):  # noqa: F811
    c, headers = api(username)
    r = c.get("/api/v1/todo/?per_queue=500", headers=headers)  # other tests' applications fill the first 20
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    _check_shape(body)
    ids = _application_ids(body)
    assert {scene[k] for k in mine} <= ids
    assert not {scene[k] for k in not_mine} & ids


def test_api_item_of_the_approver(api, scene):  # noqa: F811
    c, headers = api("t_approver_a")
    body = c.get("/api/v1/todo/", headers=headers).get_json()
    item = next(i for i in body["items"] if i["kind"] == "application" and i["id"] == scene[("dept_a", "dept_review")])
    assert item["status"] == "dept_review" and item["since"] == "2026-09-30" and item["due"] == "2026-10-10"
    assert item["overdue"] is True and "dept_approve" in item["actions"]
    assert item["label"] == "待部门审批" and item["link"] == f"/applicationview/show/{item['id']}"


def test_api_with_a_browser_session(login, scene):  # noqa: F811
    r = login("t_employee_a").get("/api/v1/todo/")
    assert r.status_code == 200
    assert _application_ids(r.get_json()) & {scene["own_a"]} == {scene["own_a"]}


def test_api_needs_a_login(client):
    assert client.get("/api/v1/todo/").status_code == 401


def test_api_is_in_the_openapi_document(api):
    c, headers = api("t_officer")
    spec = c.get("/api/v1/_openapi", headers=headers).get_json()
    paths = [p for p in spec["paths"] if p.rstrip("/").endswith("/todo")]
    assert paths and "get" in spec["paths"][paths[0]], sorted(spec["paths"])[:5]


def test_home_page_shows_the_list(login, scene):  # noqa: F811
    body = login("t_officer").get("/").get_data(as_text=True)
    assert "我的待办" in body and "待初审" in body and "待归档" in body
    assert f'/applicationview/show/{scene[("dept_a", "submitted")]}' in body
    assert "list-group-item-danger" in body and "已等" in body
    assert "/applicationview/list/?_flt_0_status=submitted" in body


def test_home_page_of_the_employee(login, scene):  # noqa: F811
    body = login("t_employee_a").get("/").get_data(as_text=True)
    assert "待补正材料" in body and f"/applicationview/show/{scene['own_a']}" in body
    assert f"/applicationview/show/{scene['own_b']}" not in body
    assert "尚无官方节假日安排" not in body  # the calendar warning is for the office


def test_home_page_warns_the_office_about_a_year_without_data(login, app):
    with app.app_context():
        from app.calendar.workdays import years_without_data
        from app.clock import today

        day = today()
        expect = bool(years_without_data([day.year] + ([day.year + 1] if day.month >= 11 else [])))
    body = login("t_officer").get("/").get_data(as_text=True)
    assert ("尚无官方节假日安排" in body) == expect


@pytest.mark.parametrize("value", ["0", "501", "x", "-1", "2.5"])
def test_per_queue_out_of_range_is_400_in_chinese(api, value):
    c, headers = api("t_officer")
    r = c.get(f"/api/v1/todo/?per_queue={value}", headers=headers)
    assert r.status_code == 400 and "per_queue 必须是 1 到 500 的整数" in r.get_data(as_text=True)


def test_per_queue_caps_each_queue(api, scene):  # noqa: F811
    c, headers = api("t_officer")
    body = c.get("/api/v1/todo/?per_queue=1", headers=headers).get_json()
    per = {}
    for item in body["items"]:
        per[(item["kind"], item["status"])] = per.get((item["kind"], item["status"]), 0) + 1
    assert per and max(per.values()) == 1 and body["count"] >= len(body["items"])
