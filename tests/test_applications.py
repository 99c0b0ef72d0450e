"""Applications on the web and over REST: create, edit, transition, bulk, show page, scope by role."""
from __future__ import annotations

import json
import re

import pytest
from flask_babel import gettext
from sqlalchemy import select

from app.extensions import db
from app.models import Application, ArchiveRecord
from tests.test_workflow_service import PATHS, app_row, fresh_resident, history_count, new_application, verify_all

CHANGES = {"marital_status": "20", "occupation": "教师"}


def make(app, app_type: str = "certificate", dept: str = "dept_a", status: str = "draft", world=None,
         resident_id: int | None = None, verified: bool = False, **kw) -> int:
    """A new application (and, unless given, a new resident) in `dept`."""
    with app.app_context():
        rid = resident_id or fresh_resident(world[dept])
        aid = new_application(app_type, rid, status=status, **kw)
        if verified:
            verify_all(aid)
        return aid


def row(app, aid: int) -> Application:
    """The application as stored now."""
    with app.app_context():
        item = app_row(aid)
        db.session.expunge(item)
        return item


def post_transition(client, headers, aid, body):
    """POST /api/v1/applications/<id>/transition."""
    return client.post(f"/api/v1/applications/{aid}/transition", json=body, headers=headers)


def web_transition(c, aid, action, **form):
    """POST the show page's button for one action."""
    return c.post(f"/applicationview/transition/{aid}", data={"action": action, "csrf_token": c.csrf, **form})


def label(app, msgid: str) -> str:
    """The msgid as the (Chinese) UI renders it."""
    with app.test_request_context():
        return gettext(msgid)


# --- REST: create and edit drafts -------------------------------------------------------------------------

def test_employee_creates_a_draft_for_themself(app, world, api):
    c, h = api("t_employee_a")
    r = c.post("/api/v1/applications/", json={"type": "certificate", "resident_id": world["res_a"],
                                                "reason": "办理签证"}, headers=h)
    assert r.status_code == 201, r.get_json()
    stored = row(app, r.get_json()["id"])
    assert (stored.status, stored.department_id, stored.created_by_id, stored.version) == (
        "draft", world["dept_a"], world["users"]["t_employee_a"], 1)


@pytest.mark.parametrize("field,value", [("status", "completed"), ("department_id", 2), ("version", 9),
                                         ("created_by_id", 1), ("police_returned", True)])
def test_create_refuses_fields_the_client_may_not_set(app, world, api, field, value):
    c, h = api("t_officer")
    body = {"type": "certificate", "resident_id": world["res_a2"], field: value}
    r = c.post("/api/v1/applications/", json=body, headers=h)
    assert r.status_code == 422 and field in r.get_json()["message"]


def test_employee_cannot_create_for_someone_else(app, world, api):
    c, h = api("t_employee_a")
    r = c.post("/api/v1/applications/", json={"type": "certificate", "resident_id": world["res_b"]}, headers=h)
    assert r.status_code == 422
    assert "李四" not in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Application.id).where(Application.resident_id == world["res_b"],
                                                              Application.created_by_id ==
                                                              world["users"]["t_employee_a"])) is None


@pytest.mark.parametrize("username", ["t_approver_a", "t_leader", "t_auditor", "t_hr", "t_finance"])
def test_roles_without_write_cannot_create(app, world, api, username):
    c, h = api(username)
    r = c.post("/api/v1/applications/", json={"type": "certificate", "resident_id": world["res_a"]}, headers=h)
    assert r.status_code == 403


def test_unknown_type_is_422(app, world, api):
    c, h = api("t_officer")
    r = c.post("/api/v1/applications/", json={"type": "visa", "resident_id": world["res_a2"]}, headers=h)
    assert r.status_code == 422 and "type" in r.get_json()["message"]


def test_info_change_json_is_validated_and_normalised(app, world, api):
    c, h = api("t_officer")
    rid = fresh_resident_id(app, world)
    bad = c.post("/api/v1/applications/", json={"type": "info_change", "resident_id": rid,
                                                  "change_json": '{"id_number": "x"}'}, headers=h)
    assert bad.status_code == 422
    ok = c.post("/api/v1/applications/", json={"type": "info_change", "resident_id": rid,
                                                "change_json": '{"marital_status": "已婚"}'}, headers=h)
    assert ok.status_code == 201
    assert json.loads(row(app, ok.get_json()["id"]).change_json) == {"marital_status": "20"}


def fresh_resident_id(app, world, dept: str = "dept_a") -> int:
    """A new resident id."""
    with app.app_context():
        return fresh_resident(world[dept])


@pytest.mark.parametrize("status,code", [("draft", 200), ("needs_materials", 200), ("submitted", 409),
                                         ("dept_review", 409), ("archived", 409)])
def test_put_only_while_editable(app, world, api, status, code):
    aid = make(app, world=world, status=status)
    c, h = api("t_officer")
    r = c.put(f"/api/v1/applications/{aid}", json={"reason": "改了"}, headers=h)
    assert r.status_code == code, r.get_json()
    stored = row(app, aid)
    assert (stored.reason == "改了") == (code == 200)
    assert stored.version == (2 if code == 200 else 1)


@pytest.mark.parametrize("field", ["status", "department_id", "type", "resident_id", "version"])
def test_put_refuses_other_fields(app, world, api, field):
    aid = make(app, world=world)
    c, h = api("t_officer")
    r = c.put(f"/api/v1/applications/{aid}", json={field: "completed"}, headers=h)
    assert r.status_code == 422 and row(app, aid).status == "draft"


# --- REST: the transition endpoint ------------------------------------------------------------------------

def test_employee_submits_and_withdraws_own(app, world, api):
    c, h = api("t_employee_a")
    aid = c.post("/api/v1/applications/", json={"type": "certificate", "resident_id": world["res_a"]},
                 headers=h).get_json()["id"]
    r = post_transition(c, h, aid, {"action": "submit"})
    assert r.status_code == 200 and r.get_json() == {"id": aid, "status": "submitted", "version": 2}
    r = post_transition(c, h, aid, {"action": "withdraw", "comment": "不办了"})
    assert r.get_json()["status"] == "withdrawn"
    listed = c.get("/api/v1/applications/", headers=h).get_json()["result"]
    assert {a["resident_id"] for a in listed} == {world["res_a"]}


@pytest.mark.parametrize("username,put_code", [("t_employee_b", 404), ("t_approver_b", 403)])
def test_out_of_scope_users_get_404_everywhere(app, world, api, login, username, put_code):
    aid = make(app, world=world, status="dept_review")
    c, h = api(username)
    assert c.get(f"/api/v1/applications/{aid}", headers=h).status_code == 404
    for action in ("dept_approve", "withdraw"):
        assert post_transition(c, h, aid, {"action": action}).status_code == 404
    # an approver may not edit any application (403 whatever the id); an employee gets 404 for others'
    assert c.put(f"/api/v1/applications/{aid}", json={"reason": "x"}, headers=h).status_code == put_code
    web = login(username)
    assert web.get(f"/applicationview/show/{aid}").status_code == 404
    assert web_transition(web, aid, "dept_approve").status_code == 404
    assert web.post(f"/applicationview/action/dept_approve/{aid}", data={"csrf_token": web.csrf}).status_code == 404
    assert web.post("/applicationview/action_post", data={"action": "dept_approve", "rowid": [aid],
                                                          "csrf_token": web.csrf}).status_code == 404
    assert (row(app, aid).status, history_count_of(app, aid)) == ("dept_review", 0)


def history_count_of(app, aid: int) -> int:
    """History rows of an application."""
    with app.app_context():
        return history_count(aid)


@pytest.mark.parametrize("body,code", [
    ({"action": "fly"}, 400), ({}, 400), ({"action": 3}, 400), ({"action": "submit", "extra": 1}, 400),
    ({"action": "submit", "comment": ["x"]}, 400), ({"action": "complete"}, 409),
    ({"action": "request_materials"}, 409), ({"action": "archive", "archive_location": "A"}, 409)])
def test_transition_status_codes(app, world, api, body, code):
    aid = make(app, world=world)
    c, h = api("t_officer")
    r = post_transition(c, h, aid, body)
    assert r.status_code == code, r.get_json()
    assert r.get_json()["message"] and row(app, aid).version == 1


def test_transition_body_must_be_json(app, world, api):
    aid = make(app, world=world)
    c, h = api("t_officer")
    r = c.post(f"/api/v1/applications/{aid}/transition", data="action=submit", headers=h)
    assert r.status_code == 400


@pytest.mark.parametrize("username,code", [("t_auditor", 403), ("t_hr", 403), ("t_finance", 403),
                                           ("t_leader", 403), ("t_approver_a", 403)])
def test_roles_that_may_not_pre_review(app, world, api, username, code):
    aid = make(app, world=world, status="submitted", verified=True)
    c, h = api(username)
    assert post_transition(c, h, aid, {"action": "pass_review"}).status_code == code
    assert row(app, aid).status == "submitted"


def test_guard_failure_is_422_with_the_rendered_message(app, world, api):
    aid = make(app, "move_out", world=world, status="submitted")
    c, h = api("t_officer")
    r = post_transition(c, h, aid, {"action": "pass_review"})
    body = r.get_json()
    assert r.status_code == 422 and body["code"] == "materials_missing"
    assert "离职证明" in body["message"] and "迁入地准迁证" in body["message"]
    r = post_transition(c, h, aid, {"action": "reject"})
    assert (r.status_code, r.get_json()["code"]) == (422, "comment_required")
    assert post_transition(c, h, aid, {"action": "reject", "comment": "材料不齐"}).get_json()["status"] == "rejected"


def test_conflict_message_when_status_moved_on(app, world, api):
    aid = make(app, world=world, status="submitted", verified=True)
    c, h = api("t_officer")
    assert post_transition(c, h, aid, {"action": "pass_review"}).status_code == 200
    r = post_transition(c, h, aid, {"action": "pass_review"})
    assert r.status_code == 409 and r.get_json()["code"] == "action_not_possible"


@pytest.mark.parametrize("app_type", sorted(PATHS))
def test_each_type_via_the_api(app, world, api, app_type):
    officer = api("t_officer")
    with app.app_context():
        rid = fresh_resident(world["dept_a"], status="moved_out" if app_type == "move_in" else "active")
    body = {"type": app_type, "resident_id": rid, "destination": "南京"}
    if app_type == "info_change":
        body["change_json"] = json.dumps(CHANGES)
    r = officer[0].post("/api/v1/applications/", json=body, headers=officer[1])
    assert r.status_code == 201, r.get_json()
    aid = r.get_json()["id"]
    with app.app_context():
        verify_all(aid)
    clients = {}
    for action, username in PATHS[app_type]:
        c, h = clients.setdefault(username, api(username))
        extra = {"archive_location": "E柜"} if action == "archive" else {}
        r = post_transition(c, h, aid, {"action": action, **extra})
        assert r.status_code == 200, (action, r.get_json())
    assert r.get_json()["status"] == "archived" and re.match(r"^\d{4}-\d{5}$", r.get_json()["archive_no"])
    shown = officer[0].get(f"/api/v1/applications/{aid}", headers=officer[1]).get_json()["result"]
    assert (shown["status"], shown["version"]) == ("archived", 1 + len(PATHS[app_type]))


# --- web: show page, buttons, timeline, transitions, bulk -------------------------------------------------

@pytest.mark.parametrize("app_type", sorted(PATHS))
def test_each_type_via_the_web(app, world, login, app_type):
    with app.app_context():
        rid = fresh_resident(world["dept_a"], status="moved_out" if app_type == "move_in" else "active")
    aid = make(app, app_type, world=world, resident_id=rid, verified=True, created_by=world["users"]["t_officer"],
               change_json=json.dumps(CHANGES) if app_type == "info_change" else None)
    clients = {}
    for action, username in PATHS[app_type]:
        c = clients.setdefault(username, login(username))
        page = c.get(f"/applicationview/show/{aid}").get_data(as_text=True)
        assert f'name="action" value="{action}"' in page, (action, username)
        # the page asks for the cabinet location, the police acceptance number and a move-in's page number
        extra = {"archive": {"archive_location": "F柜"}, "enter": {"police_ref": f"SL{aid}"},
                 "complete": {"page_number": f"P{aid}"}}.get(action, {})
        assert web_transition(c, aid, action, comment="", **extra).status_code == 302
    assert row(app, aid).status == "archived"
    page = clients["t_officer"].get(f"/applicationview/show/{aid}").get_data(as_text=True)
    assert page.count("hk-history-row") == len(PATHS[app_type])
    with app.app_context():
        number = db.session.scalar(select(ArchiveRecord.archive_no).where(ArchiveRecord.application_id == aid))
    assert number in page


def test_show_page_buttons_follow_role_and_status(app, world, login):
    aid = make(app, "move_out", world=world, status="submitted")
    officer = login("t_officer").get(f"/applicationview/show/{aid}").get_data(as_text=True)
    buttons = set(re.findall(r'name="action" value="(\w+)"', officer))
    # 撤回 is the applicant's (or the filer's); the office rejects. 初审通过 is shown disabled: materials missing.
    assert buttons == {"request_materials", "pass_review", "reject"}
    assert re.search(r'value="pass_review" data-action="pass_review" disabled', officer)
    assert 'id="hk-comment"' in officer and "csrf_token" in officer  # the override is asked once 初审通过 can pass
    assert "离职证明" in officer  # the missing-items list
    approver = login("t_approver_a").get(f"/applicationview/show/{aid}").get_data(as_text=True)
    assert re.findall(r'name="action" value="(\w+)"', approver) == []
    auditor = login("t_auditor").get(f"/applicationview/show/{aid}")
    assert auditor.status_code == 200 and 'name="action"' not in auditor.get_data(as_text=True)


def test_web_refusal_is_flashed_and_changes_nothing(app, world, login):
    aid = make(app, "move_out", world=world, status="submitted")
    c = login("t_officer")
    r = web_transition(c, aid, "pass_review")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/applicationview/show/{aid}")
    page = c.get(f"/applicationview/show/{aid}").get_data(as_text=True)
    assert "离职证明" in page and row(app, aid).status == "submitted"


def test_web_transition_needs_csrf_and_permission(app, world, login):
    aid = make(app, world=world)
    c = login("t_officer")
    assert c.post(f"/applicationview/transition/{aid}", data={"action": "submit"}).status_code == 400
    auditor = login("t_auditor")
    r = web_transition(auditor, aid, "submit")
    assert r.status_code in (302, 403) and row(app, aid).status == "draft"


def test_comment_and_history_on_the_timeline(app, world, login):
    aid = make(app, world=world, status="submitted")
    c = login("t_officer")
    web_transition(c, aid, "request_materials", comment="请补充户口迁移证原件")
    page = c.get(f"/applicationview/show/{aid}").get_data(as_text=True)
    assert "请补充户口迁移证原件" in page and "t_officer" in page
    assert label(app, "Awaiting supplementary materials") in page


def test_bulk_dept_approve_reports_each_row(app, world, login):
    good = [make(app, world=world, status="dept_review") for _ in range(2)]
    wrong = make(app, world=world, status="submitted")
    c = login("t_approver_a")
    r = c.post("/applicationview/action_post", data={"action": "dept_approve", "rowid": good + [wrong],
                                                     "csrf_token": c.csrf}, follow_redirects=True)
    assert r.status_code == 200
    assert [row(app, a).status for a in good] == ["leader_review", "leader_review"]
    assert row(app, wrong).status == "submitted"
    assert f"{wrong}" in r.get_data(as_text=True)


def test_bulk_action_needs_the_transition_permission(app, world, login):
    aid = make(app, world=world, status="dept_review")
    c = login("t_auditor")
    c.post("/applicationview/action_post", data={"action": "dept_approve", "rowid": [aid], "csrf_token": c.csrf})
    assert row(app, aid).status == "dept_review"


def test_list_labels_and_filters(app, world, login):
    aid = make(app, "borrow_page", world=world, status="entry")
    c = login("t_officer")
    page = c.get("/applicationview/list/?_flt_0_type=borrow_page&psize_ApplicationView=100").get_data(as_text=True)
    assert label(app, "Borrow the hukou page") in page and f"/applicationview/show/{aid}" in page
    other = c.get("/applicationview/list/?_flt_0_type=move_in&psize_ApplicationView=100").get_data(as_text=True)
    assert f"/applicationview/show/{aid}\"" not in other
    with app.app_context():
        name = db.session.get(Application, aid).resident.name
    by_name = c.get(f"/applicationview/list/?_flt_0_resident={name}").get_data(as_text=True)
    assert f"/applicationview/show/{aid}\"" in by_name
    assert "/applicationview/show/" not in c.get("/applicationview/list/?_flt_0_resident=无此人").get_data(as_text=True)
    hidden = login("t_approver_b").get(f"/applicationview/list/?_flt_0_resident={name}").get_data(as_text=True)
    assert f"/applicationview/show/{aid}\"" not in hidden


@pytest.mark.parametrize("status,changed", [("draft", True), ("needs_materials", True), ("submitted", False),
                                            ("completed", False)])
def test_web_edit_only_while_editable(app, world, login, status, changed):
    aid = make(app, world=world, status=status)
    c = login("t_officer")
    r = c.post(f"/applicationview/edit/{aid}", data={"reason": "网页修改", "csrf_token": c.csrf},
               follow_redirects=True)
    stored = row(app, aid)
    assert (stored.reason == "网页修改", stored.status, stored.version) == (changed, status, 2 if changed else 1)
    refusal = label(app, "Application %(id)s can be changed only while it is a draft or awaiting supplementary "
                         "materials.") % {"id": aid}
    assert r.status_code == 200 and (refusal in r.get_data(as_text=True)) == (not changed)


# --- web: employee self-service ---------------------------------------------------------------------------

def test_employee_add_form_offers_only_themself(app, world, login):
    c = login("t_employee_a")
    page = c.get("/applicationview/add").get_data(as_text=True)
    assert "张三" in page and "李四" not in page and "王五" not in page
    r = c.post("/applicationview/add", data={"resident": world["res_a"], "type": "certificate",
                                             "reason": "自助申请", "csrf_token": c.csrf})
    assert r.status_code == 302
    with app.app_context():
        mine = db.session.scalar(select(Application).where(Application.reason == "自助申请"))
        assert (mine.resident_id, mine.status, mine.department_id) == (world["res_a"], "draft", world["dept_a"])
        aid = mine.id
    assert web_transition(c, aid, "submit").status_code == 302
    assert web_transition(c, aid, "withdraw").status_code == 302
    assert row(app, aid).status == "withdrawn"


def test_employee_cannot_add_for_another_resident(app, world, login):
    c = login("t_employee_a")
    c.post("/applicationview/add", data={"resident": world["res_b"], "type": "certificate",
                                         "reason": "冒名申请", "csrf_token": c.csrf})
    with app.app_context():
        assert db.session.scalar(select(Application.id).where(Application.reason == "冒名申请")) is None


def test_employee_sees_only_own_applications(app, world, login):
    theirs = make(app, world=world, resident_id=world["res_b"])
    mine = make(app, world=world, resident_id=world["res_a"])
    c = login("t_employee_a")
    page = c.get("/applicationview/list/?psize_ApplicationView=100").get_data(as_text=True)
    assert f"/applicationview/show/{mine}\"" in page and f"/applicationview/show/{theirs}\"" not in page
    assert c.get(f"/applicationview/show/{theirs}").status_code == 404
    assert web_transition(c, theirs, "submit").status_code == 404
    assert c.get(f"/applicationview/edit/{theirs}").status_code == 404
