"""The audit trail in Chinese (issue 6 §3): names of actions, objects, fields and codes, the detail as a
字段 / 原值 / 新值 table, personal numbers masked for viewers without unmask, filters and times in local time,
and the 历史记录 tab of the resident, application and material pages."""
from __future__ import annotations

import datetime as dt
import html
import json
import re
import uuid

import pytest
from sqlalchemy import select

from app import audit
from app.domain.idnumber import check_char, make_id
from app.domain.masking import mask_id
from app.extensions import db
from app.models import AuditLog
from tests.test_materials import PDF, api_upload, new_application, type_id

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def write(app, monkeypatch, action: str, object_type: str | None, object_id, detail: dict | None = None,
          at: dt.datetime | None = None, username: str = "tester") -> int:
    """Write one audit row through the app's own audit.record (at a given naive-UTC time); returns its id."""
    if at is not None:
        monkeypatch.setattr(audit, "utcnow", lambda: at)
    with app.app_context():
        audit.record(db.session, action, object_type=object_type, object_id=object_id, detail=detail,
                     username=username)
        db.session.commit()
        row_id = db.session.scalar(select(AuditLog.id).where(
            AuditLog.object_type == object_type, AuditLog.object_id == str(object_id),
            AuditLog.action == action, AuditLog.username == username).order_by(AuditLog.id.desc()).limit(1))
    monkeypatch.undo()
    return row_id


def page(client, url: str) -> str:
    """The page's HTML (asserting 200)."""
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


def history_tab(html: str) -> str:
    """The HTML of the 历史记录 tab pane of a show page."""
    m = re.search(r'<div id="AuditHistory" class="tab-pane">(.*?)<div id="Home"', html, re.S)
    assert m, "no history tab"
    return m.group(1)


def tag() -> str:
    """A unique object id / name for one test's rows."""
    return "t" + uuid.uuid4().hex[:10]


# --- names of actions, objects, fields and codes ---------------------------------------------------------

def test_workflow_step_is_chinese_in_list_and_detail(app, login, monkeypatch):
    """A transition row shows 办理步骤 / 申请 in the list and 状态 草稿 → 待初审, 提交 in the detail."""
    oid = tag()
    detail = {"action": "submit", "from": "draft", "to": "submitted", "comment": "请审核", "effects": [],
              "override_reason": None, "archive_no": None}
    row = write(app, monkeypatch, "transition", "Application", oid, detail)
    c = login("t_auditor")
    listing = page(c, f"/auditlogview/list/?_flt_3_object_id={oid}")
    assert "办理步骤" in listing and "申请" in listing and ">transition<" not in listing
    body = page(c, f"/auditlogview/show/{row}")
    assert "<th>状态</th><td>草稿</td><td>待初审</td>" in body
    assert "<th>办理步骤</th><td colspan=\"2\">提交</td>" in body and "请审核" in body
    assert "<th>字段</th><th>原值</th><th>新值</th>" in body
    for raw in ("draft", "submitted", '"from"', "override_reason", "archive_no", "effects"):
        assert raw not in body


@pytest.mark.parametrize("object_type,detail,shown,hidden", [
    ("Resident", {"status": ["active", "leaving"], "department_id": [1, 2], "marital_status": ["10", "20"],
                  "ethnicity": [None, "01"], "gender": [None, "F"]},
     ["<th>户口状态</th><td>在户</td><td>迁出中</td>", "<th>服务处所（部门）</th>",
      "<td>未婚</td><td>已婚</td>", "<td>—</td><td>汉族</td>", "<td>—</td><td>女</td>"],
     ["Department Id", "leaving", ">10<", ">F<"]),
    ("Application", {"resident_id": [None, 5], "type": [None, "borrow_page"], "police_returned": [None, False],
                     "planned_date": [None, "2026-12-01"], "submitted_at": [None, "2026-11-29T20:30:00"]},
     ["<th>申请人</th><td>—</td><td>5</td>", "<td>—</td><td>借用户口页</td>", "<th>派出所退回</th><td>—</td><td>否</td>",
      "<td>2026-12-01</td>", "<th>提交时间</th><td>—</td><td>2026-11-30 04:30:00</td>"],
     ["Resident Id", "borrow_page", "false", "T20:30"]),
    ("Material", {"verified": [False, True], "material_type_id": [1, 2]},
     ["<th>已核验</th><td>否</td><td>是</td>", "<th>材料类型</th><td>1</td><td>2</td>"],
     ["Material Type Id", "true"]),
    ("Fee", {"status": ["unpaid", "paid"], "paid_on": [None, "2026-11-30"]},
     ["<th>缴费状态</th><td>未缴</td><td>已缴</td>"], ["unpaid"]),
])
def test_fields_and_codes_are_named(app, login, monkeypatch, object_type, detail, shown, hidden):
    """Field names come from the model's screen labels (per model: 户口状态 vs 缴费状态), codes from its tables."""
    row = write(app, monkeypatch, "update", object_type, tag(), detail)
    body = page(login("t_auditor"), f"/auditlogview/show/{row}")
    for text in shown:
        assert text in body
    for text in hidden:
        assert text not in body


@pytest.mark.parametrize("action,object_type,detail,shown", [
    ("login_failed", "User", {"reason": "now_locked"}, ["登录失败", "用户", "密码错误，账户已被锁定"]),
    ("unmask", "Resident", {"via": "edit"}, ["查看完整号码", "编辑表单"]),
    ("export", "Resident", {"rows": 12, "unmasked": False, "filters": {"status": "leaving"}},
     ["导出", "<th>完整号码</th><td colspan=\"2\">否</td>", "户口状态：迁出中"]),
    ("transition", "Application", {"action": "complete", "from": "at_police", "to": "completed",
                                   "effects": ["open_loan"]}, ["已登记借用户口页"]),
])
def test_event_details_are_named(app, login, monkeypatch, action, object_type, detail, shown):
    """Event rows (failed login, unmask, export, effects of a step) are worded too."""
    row = write(app, monkeypatch, action, object_type, tag(), detail)
    body = page(login("t_admin"), f"/auditlogview/show/{row}")
    for text in shown:
        assert text in body


def test_times_are_local_with_the_zone(app, login, monkeypatch):
    """A row stored at 20:15 UTC is shown at 04:15 the next day (UTC+08:00) in the list and the detail."""
    oid = tag()
    row = write(app, monkeypatch, "update", "Resident", oid, {"occupation": ["a", "b"]},
                at=dt.datetime(2026, 11, 28, 20, 15, 7))
    c = login("t_auditor")
    assert "2026-11-29 04:15:07 (UTC+08:00)" in page(c, f"/auditlogview/show/{row}")
    assert "2026-11-29 04:15:07 (UTC+08:00)" in page(c, f"/auditlogview/list/?_flt_3_object_id={oid}")


def test_role_and_request_id_are_shown(app, world, login):
    """A row written by a request names the role (户籍管理员) and the request id."""
    if not hasattr(AuditLog, "role"):
        pytest.skip("audit_log has no role column yet (migration 0003)")
    officer = login("t_officer")
    assert officer.post(f"/residentview/unmask/{world['res_a']}", data={"csrf_token": officer.csrf}).status_code == 200
    with app.app_context():
        row = db.session.scalars(select(AuditLog).where(AuditLog.action == "unmask", AuditLog.username == "t_officer")
                                 .order_by(AuditLog.id.desc()).limit(1)).one()
    body = page(login("t_auditor"), f"/auditlogview/show/{row.id}")
    assert "角色" in body and "户籍管理员" in body and "HukouOfficer" not in body
    assert row.request_id and row.request_id in body


# --- masking at display time -----------------------------------------------------------------------------

NEW_PHONE, NEW_ID = "13912345678", make_id("110105", dt.date(1988, 5, 17), 123)
CHANGE = {"change_json": ['{"phone": "13800138000"}', json.dumps({"phone": NEW_PHONE, "name": "赵六"},
                                                                  ensure_ascii=False)],
          "reason": [None, f"证件号 {NEW_ID}，电话 +86 {NEW_PHONE}"]}


@pytest.mark.parametrize("user,full", [("t_auditor", False), ("t_admin", True)])
def test_numbers_in_details_are_masked_without_unmask(app, login, monkeypatch, user, full):
    """An information change's new phone and an ID number typed into a text are masked for the Auditor
    (no unmask), shown to Admin (unmask)."""
    row = write(app, monkeypatch, "update", "Application", tag(), CHANGE)
    body = page(login(user), f"/auditlogview/show/{row}")
    assert "新联系电话" not in body and "联系电话：" in body and "赵六" in body
    for number in (NEW_PHONE, NEW_ID, "13800138000"):
        assert (number in body) is full
    if not full:
        assert mask_id(NEW_ID) in body and "139****5678" in body and "138****8000" in body


def candidates(masked: str, year: int, limit: int = 10) -> int:
    """How many valid ID numbers (up to `limit`) fit a masked number whose birth year is known: every day of
    the year and every order code the visible characters allow, checked against the check character."""
    orders = [f"{n:03d}" for n in range(1000) if all(m in ("*", d) for m, d in zip(masked[14:17], f"{n:03d}"))]
    found = 0
    day = dt.date(year, 1, 1)
    while day.year == year and found < limit:
        stem = masked[:6] + day.strftime("%Y%m%d")
        if all(m in ("*", d) for m, d in zip(masked[:14], stem)) and "*" not in masked[:6]:
            found += sum(1 for o in orders if masked[17] in ("*", check_char(stem + o)))
        day += dt.timedelta(days=1)
    return found


@pytest.mark.parametrize("user,full", [("t_auditor", False), ("t_admin", True)])
def test_birth_date_beside_a_masked_id_gives_nothing_back(app, login, monkeypatch, user, full):
    """A resident's create row holds the masked ID and the birth date: without unmask only the year is shown,
    and the number cannot be rebuilt (≥ 10 candidates); with unmask the date is shown."""
    number = make_id("110105", dt.date(1990, 3, 7), 41)
    detail = {"name": [None, "孙七"], "id_number": [None, mask_id(number)], "birth_date": [None, "1990-03-07"],
              "gender": [None, "M"]}
    row = write(app, monkeypatch, "create", "Resident", tag(), detail)
    body = page(login(user), f"/auditlogview/show/{row}")
    assert ("1990-03-07" in body) is full
    if not full:
        assert "1990-**-**" in body
        masked = re.search(r"<th>公民身份号码</th><td>—</td><td>([0-9*X]{18})</td>", body).group(1)
        assert candidates(masked, 1990) >= 10


# --- filters --------------------------------------------------------------------------------------------

def listed(client, query: str) -> str:
    """The audit list for a query string."""
    return page(client, f"/auditlogview/list/?{query}")


def test_date_filters_use_local_time(app, login, monkeypatch):
    """Day D 23:00 local (15:00 UTC) and day D+1 04:00 local (20:00 UTC the day before) fall on their local
    days: from / to / on-the-day compare in Asia/Shanghai, not UTC."""
    oid = tag()
    day = dt.date(2026, 11, 20)
    write(app, monkeypatch, "update", "Resident", oid, {"occupation": ["a", "b"]},
          at=dt.datetime(2026, 11, 20, 15, 0), username=f"{oid}late")  # local 11-20 23:00
    write(app, monkeypatch, "update", "Resident", oid, {"occupation": ["b", "c"]},
          at=dt.datetime(2026, 11, 20, 20, 0), username=f"{oid}next")  # local 11-21 04:00
    c = login("t_auditor")
    base = f"_flt_3_object_id={oid}"
    nxt = (day + dt.timedelta(days=1)).isoformat()
    cases = {f"_flt_1_at={nxt}": "next", f"_flt_2_at={day}": "late", f"_flt_0_at={day}": "late",
             f"_flt_0_at={nxt}": "next", f"_flt_2_at={day} 23:30:00": "late", f"_flt_1_at={day} 23:30:00": "next"}
    for query, expected in cases.items():
        body = listed(c, f"{base}&{query}")
        other = "late" if expected == "next" else "next"
        assert f"{oid}{expected}" in body and f"{oid}{other}" not in body, query
    both = listed(c, f"{base}&_flt_1_at={day} 22:30:00&_flt_2_at={nxt} 05:00:00")
    assert f"{oid}late" in both and f"{oid}next" in both


def test_filter_by_object_type_and_id_user_and_action(app, login, monkeypatch):
    """Object (type + id), user and action filters select exactly the matching rows."""
    oid = tag()
    write(app, monkeypatch, "update", "Application", oid, {"reason": ["a", "b"]}, username=f"{oid}app")
    write(app, monkeypatch, "update", "Material", oid, {"verify_note": ["a", "b"]}, username=f"{oid}mat")
    write(app, monkeypatch, "download", "Material", oid, {"name": "x.pdf"}, username=f"{oid}dl")
    c = login("t_auditor")
    body = listed(c, f"_flt_0_object_type=Material&_flt_3_object_id={oid}")
    assert f"{oid}mat" in body and f"{oid}dl" in body and f"{oid}app" not in body
    body = listed(c, f"_flt_0_action=download&_flt_3_object_id={oid}")
    assert f"{oid}dl" in body and f"{oid}mat" not in body
    body = listed(c, f"_flt_3_username={oid}app")
    assert f"{oid}app" in body and f"{oid}mat" not in body


@pytest.mark.parametrize("query", ["_flt_1_at=yesterday", "_flt_2_at=2026-02-30", "_flt_0_at=99999-01-01",
                                   "_flt_1_at=0001-01-01", "_flt_2_at=2026-11-30T10:00:00%2B08:00",
                                   "_flt_7_action=create", "_flt_5_at=2026-11-30"])
def test_bad_filter_values_are_400_in_chinese(login, query):
    """An unreadable date or a filter number the screen does not offer is a 400 with a Chinese message."""
    r = login("t_auditor").get(f"/auditlogview/list/?{query}")
    assert r.status_code == 400
    assert re.search(r"[\u4e00-\u9fff]", r.get_data(as_text=True))


def test_action_and_object_filters_offer_chinese_choices(login):
    """The search form offers the actions and object types by their Chinese names."""
    # The form's fields travel as JSON inside the page (escaped differently by FAB and the CSP data block).
    body = html.unescape(page(login("t_auditor"), "/auditlogview/list/"))
    body = body.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\", "").replace('"', "")
    assert "<option value=unmask>查看完整号码</option>" in body
    assert "<option value=Resident>人员档案</option>" in body


# --- the history tab ------------------------------------------------------------------------------------

def unmask_as_officer(login, resident_id: int) -> str:
    """The officer unmasks a resident (an audited act); returns the officer client's IP."""
    officer = login("t_officer")
    r = officer.post(f"/residentview/unmask/{resident_id}", data={"csrf_token": officer.csrf})
    assert r.status_code == 200
    return officer.environ_base["REMOTE_ADDR"]


@pytest.mark.parametrize("user,sees_ip", [("t_auditor", True), ("t_admin", True), ("t_officer", False),
                                          ("t_approver_a", False), ("t_leader", False)])
def test_resident_history_tab(app, world, login, user, sees_ip):
    """Everyone who may see the resident sees its history, newest first; the IP only who reads the audit trail."""
    ip = unmask_as_officer(login, world["res_a2"])
    body = page(login(user), f"/residentview/show/{world['res_a2']}")
    assert 'href="#AuditHistory"' in body and "历史记录" in body
    tab = history_tab(body)
    assert "查看完整号码" in tab and "t_officer" in tab
    assert (ip in tab) is sees_ip
    trail = re.search(r'class="hk-history-trail" href="([^"]+)"', body)
    assert (trail is not None) is sees_ip  # the link to the audit trail, filtered to this resident
    if trail:
        listing = page(login(user), html.unescape(trail.group(1)))
        assert "查看完整号码" in listing and f"/residentview/show/{world['res_a2']}" not in listing
        assert "记录数" in listing
    stamps = re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(UTC\+08:00\)", tab)
    assert stamps and stamps == sorted(stamps, reverse=True)


def test_employee_sees_own_history_and_no_one_elses(app, world, login):
    """The employee's own record has the tab; another resident's page stays a 404."""
    unmask_as_officer(login, world["res_a"])
    c = login("t_employee_a")
    assert "查看完整号码" in history_tab(page(c, f"/residentview/show/{world['res_a']}"))
    assert c.get(f"/residentview/show/{world['res_b']}").status_code == 404


@pytest.mark.parametrize("user,full", [("t_approver_a", False), ("t_leader", False), ("t_officer", True)])
def test_application_history_masks_for_roles_without_unmask(app, world, login, monkeypatch, user, full):
    """The new phone of an information change is masked in the history unless the viewer has unmask."""
    app_id = new_application(app, world, app_type="info_change")
    write(app, monkeypatch, "update", "Application", app_id, CHANGE)
    tab = history_tab(page(login(user), f"/applicationview/show/{app_id}"))
    assert "修改记录" in tab and "赵六" in tab
    assert (NEW_PHONE in tab) is full and (NEW_ID in tab) is full


@pytest.mark.parametrize("user,sees_materials", [("t_officer", True), ("t_auditor", True), ("t_finance", False)])
def test_application_history_includes_its_materials(app, world, login, api, monkeypatch, user, sees_materials):
    """An application's history lists its materials' rows (also of a deleted one) for users who may read
    materials; Finance (no Material permission) sees only the application's own rows."""
    app_id = new_application(app, world)
    client, headers = api("t_officer")
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "身份证.pdf")
    assert r.status_code == 201, r.get_data(as_text=True)
    material_id = r.get_json()["id"]
    gone = 900000 + app_id  # a material deleted earlier: only its delete row knows its application
    write(app, monkeypatch, "delete", "Material", gone, {"application_id": [app_id, None],
                                                         "original_name": ["旧扫描件.pdf", None]})
    write(app, monkeypatch, "update", "Application", app_id, {"reason": [None, "落户"]})
    tab = history_tab(page(login(user), f"/applicationview/show/{app_id}"))
    assert "落户" in tab
    assert (f"材料 #{material_id}" in tab) is sees_materials
    assert ("旧扫描件.pdf" in tab and f"材料 #{gone}" in tab) is sees_materials


def test_material_page_has_history(app, world, login, api):
    """The material page's history shows its upload (新增记录) and a download."""
    app_id = new_application(app, world)
    client, headers = api("t_officer")
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "户口本.pdf")
    material_id = r.get_json()["id"]
    c = login("t_officer")
    assert c.get(f"/materialview/download/{material_id}").status_code == 200
    tab = history_tab(page(c, f"/materialview/show/{material_id}"))
    assert "新增记录" in tab and "下载" in tab and "户口本.pdf" in tab
    assert tab.index("下载") < tab.index("新增记录")  # newest first


def test_history_rows_of_other_objects_stay_out(app, world, login, monkeypatch):
    """Rows of another resident never appear in a resident's history tab."""
    marker = tag()
    write(app, monkeypatch, "update", "Resident", world["res_b"], {"occupation": [None, marker]})
    body = page(login("t_auditor"), f"/residentview/show/{world['res_a']}")
    assert marker not in history_tab(body)
    assert marker in history_tab(page(login("t_auditor"), f"/residentview/show/{world['res_b']}"))


def test_history_of_a_reused_id_starts_at_its_own_creation(app, world, login, monkeypatch):
    """SQLite reuses a deleted row's id: the earlier object's rows stay out of the new object's history."""
    from app.models import Resident

    with app.app_context():
        person = Resident(name="复用", gender="M", birth_date=dt.date(1991, 2, 3), status="active",
                          id_number=make_id("110105", dt.date(1991, 2, 3), 917), department_id=world["dept_a"])
        db.session.add(person)
        db.session.commit()
        pk = person.id
    before, after = tag(), tag()
    write(app, monkeypatch, "update", "Resident", pk, {"occupation": [None, before]})
    write(app, monkeypatch, "create", "Resident", pk, {"name": [None, "新人"]})  # the id's second life
    write(app, monkeypatch, "update", "Resident", pk, {"occupation": [None, after]})
    tab = history_tab(page(login("t_auditor"), f"/residentview/show/{pk}"))
    assert after in tab and before not in tab
