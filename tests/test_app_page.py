"""The application page (issue 9): summary card, step bar, per-type fields, one comment box, only possible actions,
names on the timeline, landing on the new application, 受理号 and 户口页编号, bulk summaries, fee and list fixes."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Application, Fee, Material, Resident, User
from tests.conftest import PASSWORD
from tests.test_applications import make, row, web_transition
from tests.test_workflow_service import fresh_resident, history_count, verify_all


def page(client, aid: int) -> str:
    """The application page's HTML."""
    r = client.get(f"/applicationview/show/{aid}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def buttons(html: str) -> tuple[set[str], set[str]]:
    """(enabled, disabled) action codes of the page's buttons."""
    enabled = set(re.findall(r'type="submit" name="action" value="(\w+)" data-action', html))
    disabled = set(re.findall(r'value="(\w+)" data-action="\w+" disabled', html))
    return enabled, disabled


@pytest.fixture(scope="module")
def named_officer(app):
    """An officer whose 姓名 (刘 + 芳) differs from the login name."""
    with app.app_context():
        sm = current_app.appbuilder.sm
        user = sm.find_user(username="apage_officer") or sm.add_user(
            "apage_officer", "芳", "刘", "apage_officer@example.test", sm.find_role("HukouOfficer"),
            password=PASSWORD)
        return user.id


def test_summary_card_step_bar_and_names(app, world, login, named_officer):
    aid = make(app, "move_in", world=world, verified=True, created_by=world["users"]["t_employee_a"])
    c = login("apage_officer")
    assert web_transition(c, aid, "submit", comment="代为提交").status_code == 302
    html = page(c, aid)
    card = html[html.index("hk-summary"):html.index("hk-steps")]
    assert "迁入" in card and "测试甲部门" in card and "待初审" in card and "户籍管理员" in card
    with app.app_context():
        number = db.session.get(Application, aid).resident.id_number
    assert number not in html and number[:6] in card  # masked ID: region shown, the rest starred
    steps = re.findall(r'hk-step hk-step-(\w+)"', html)
    assert steps[:2] == ["done", "current"] and len(steps) == 8
    timeline = html[html.index("hk-timeline"):]
    assert "刘芳" in timeline and "apage_officer" not in timeline  # people's names, not login names
    assert 'id="hk-comment"' in html and html.count('name="comment"') == 1  # one comment box for every button


def test_steps_of_a_page_loan_skip_leader_and_police(app, world, login):
    aid = make(app, "borrow_page", world=world, status="dept_review")
    html = page(login("t_officer"), aid)
    bar = html[html.index("hk-steps"):html.index("hk-details")]
    assert len(re.findall(r'hk-step hk-step-(\w+)"', bar)) == 5 and "派出所" not in bar and "分管领导" not in bar


def test_only_the_types_fields(app, world, login):
    move_in = make(app, "move_in", world=world, pathway="人才引进", destination="旧值")
    loan = make(app, "borrow_page", world=world)
    c = login("t_officer")
    edit_in = c.get(f"/applicationview/edit/{move_in}").get_data(as_text=True)
    edit_loan = c.get(f"/applicationview/edit/{loan}").get_data(as_text=True)
    assert 'name="pathway"' in edit_in and 'name="destination"' not in edit_in
    assert 'name="pathway"' not in edit_loan and 'name="city"' not in edit_loan and 'name="reason"' in edit_loan
    html = page(c, move_in)
    detail = html[html.index("hk-details"):html.index("hk-timeline")]
    assert "迁往地" not in detail and "旧值" not in detail and "落户途径" in detail and "人才引进" in detail


def test_pathway_and_city_come_from_the_rule_table(app, world, login):
    from app.models import EligibilityRule

    with app.app_context():
        db.session.add(EligibilityRule(name="测试规则", city="测试市", pathway="测试途径", app_types="move_in",
                                       condition="age_max", threshold="60"))
        db.session.commit()
    c = login("t_officer")
    form = c.get("/applicationview/add").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="pathway"', form) and '<option value="测试途径">' in form
    assert '<option value="测试市">' in form
    with app.app_context():
        rid = fresh_resident(world["dept_a"], status="moved_out")
    r = c.post("/applicationview/add", data={"resident": rid, "type": "move_in", "pathway": "随便打的",
                                             "csrf_token": c.csrf})
    assert r.status_code == 200  # a value not in the rule table is refused by the select
    with app.app_context():
        assert db.session.scalar(select(Application.id).where(Application.resident_id == rid)) is None


def test_after_creating_the_user_lands_on_the_application(app, world, login):
    with app.app_context():
        rid = fresh_resident(world["dept_a"], status="moved_out")
    c = login("t_officer")
    form = c.get(f"/applicationview/add?resident={rid}&type=move_in").get_data(as_text=True)
    assert re.search(rf'<option value="{rid}" selected>', form)
    assert re.search(r'<option selected value="move_in">|<option value="move_in" selected', form)
    r = c.post("/applicationview/add", data={"resident": rid, "type": "move_in", "reason": "新进人员",
                                             "destination": "不该保存", "csrf_token": c.csrf})
    with app.app_context():
        item = db.session.scalar(select(Application).where(Application.resident_id == rid))
        assert item is not None and item.destination is None  # a move-in has no 迁往地
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/applicationview/show/{item.id}")


def test_police_number_is_asked_stored_shown_and_searchable(app, world, login):
    aid = make(app, "move_in", world=world, status="entry", verified=True)
    c = login("t_officer")
    assert 'name="police_ref"' in page(c, aid)
    web_transition(c, aid, "enter")
    assert row(app, aid).status == "entry"  # refused: the 受理号 is required here
    number = f"SL2026{aid:06d}"
    web_transition(c, aid, "enter", police_ref=number)
    stored = row(app, aid)
    assert (stored.status, stored.police_ref) == ("at_police", number)
    assert number in page(c, aid)
    found = c.get(f"/applicationview/list/?_flt_0_police_ref={number}").get_data(as_text=True)
    assert f"/applicationview/show/{aid}" in found
    partial = c.get(f"/applicationview/list/?_flt_0_police_ref={number[:-2]}").get_data(as_text=True)
    assert f"/applicationview/show/{aid}" not in partial  # exact match only


def test_completing_a_move_in_stores_the_page_number(app, world, login):
    with app.app_context():
        rid = fresh_resident(world["dept_a"], status="moved_out")
    aid = make(app, "move_in", world=world, resident_id=rid, status="at_police", verified=True)
    c = login("t_officer")
    assert 'name="page_number"' in page(c, aid)
    web_transition(c, aid, "complete")
    assert row(app, aid).status == "at_police"
    web_transition(c, aid, "complete", page_number=f"HP{aid}")
    with app.app_context():
        resident = db.session.get(Resident, rid)
        assert (resident.status, resident.page_number) == ("active", f"HP{aid}")


def test_officer_has_no_withdraw_on_someone_elses_application(app, world, login):
    aid = make(app, "certificate", world=world, status="submitted", created_by=world["users"]["t_employee_a"])
    enabled, _ = buttons(page(login("t_officer"), aid))
    assert "withdraw" not in enabled and "reject" in enabled
    r = web_transition(login("t_officer"), aid, "withdraw")
    assert r.status_code == 302 and row(app, aid).status == "submitted"


def test_blocked_step_is_disabled_with_its_reason(app, world, login):
    aid = make(app, "move_out", world=world, status="submitted")
    html = page(login("t_officer"), aid)
    enabled, disabled = buttons(html)
    assert "pass_review" in disabled and "pass_review" not in enabled
    reason = re.search(r'id="hk-why-pass_review"[^>]*>([^<]+)<', html).group(1)
    assert "离职证明" in reason


def test_police_return_offers_resend_not_submit(app, world, login):
    aid = make(app, "move_in", world=world, status="needs_materials", police_returned=True, verified=True)
    enabled, disabled = buttons(page(login("t_officer"), aid))
    assert "submit_police" in enabled and "submit" not in enabled | disabled


def test_timeline_shows_material_checks(app, world, login, named_officer):
    aid = make(app, "certificate", world=world, status="submitted")
    with app.app_context():
        verify_all(aid)
        material = db.session.scalar(select(Material).where(Material.application_id == aid))
        material.verified_by_id, material.verified_at = named_officer, dt.datetime(2026, 11, 30, 9, 0)
        db.session.commit()
        name = material.material_type.name
    html = page(login("t_officer"), aid)
    assert re.search(rf"刘芳</strong>\s*核验了材料 {name}", html)


def test_no_rule_is_not_passed(app, world, login):
    aid = make(app, "certificate", world=world, status="submitted")
    html = page(login("t_officer"), aid)
    panel = html[html.index("hk-eligibility"):]
    panel = panel[:panel.index("</div>")]
    assert "无适用规则" in panel and "label-success" not in panel


def test_bulk_answers_with_one_summary_and_keeps_the_filters(app, world, login):
    ids = [make(app, "move_out", world=world, status="submitted") for _ in range(3)]
    c = login("t_officer")
    query = "_flt_0_type=move_out&_flt_0_status=submitted&psize_ApplicationView=100"
    c.get(f"/applicationview/list/?{query}")
    r = c.post("/applicationview/action_post", data={"action": "pass_review", "rowid": ids, "csrf_token": c.csrf})
    assert r.status_code == 302 and query in r.headers["Location"]
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "3 件中 0 件完成" in html and "3 件缺材料" in html and "<details" in html
    assert all(row(app, a).status == "submitted" for a in ids)


def test_employee_list_has_no_bulk_steps_and_no_edit_on_closed(app, world, login):
    draft = make(app, "certificate", world=world, resident_id=world["res_a"])
    archived = make(app, "certificate", world=world, resident_id=world["res_a"], status="archived")
    html = login("t_employee_a").get("/applicationview/list/?psize_ApplicationView=100").get_data(as_text=True)
    assert "部门审批通过" not in html and "初审通过" not in html and 'name="rowid"' not in html
    assert f"/applicationview/edit/{draft}" in html and f"/applicationview/edit/{archived}" not in html
    enabled, _ = buttons(page(login("t_employee_a"), archived))
    assert enabled == set() and "hk-edit" not in page(login("t_employee_a"), archived)


def test_paid_fee_offers_only_refund(app, world, login):
    with app.app_context():
        fee = Fee(resident_id=world["res_a2"], kind="other", amount=Decimal("10.00"), status="paid",
                  paid_on=dt.date(2026, 11, 1))
        db.session.add(fee)
        db.session.commit()
        fid = fee.id
    c = login("t_finance")
    html = c.get(f"/feeview/show/{fid}").get_data(as_text=True)
    assert "action-refund" in html and "action-pay" not in html and "action-waive" not in html
    r = c.get(f"/feeview/payment/{fid}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/feeview/show/{fid}")


def test_api_lists_the_same_actions(app, world, api):
    aid = make(app, "move_out", world=world, status="submitted")
    c, h = api("t_officer")
    r = c.get(f"/api/v1/applications/{aid}/actions", headers=h)
    assert r.status_code == 200
    result = {a["action"]: a for a in r.get_json()["result"]}
    assert set(result) == {"request_materials", "pass_review", "reject"}
    assert result["pass_review"]["blocked"] and "离职证明" in result["pass_review"]["reason"]
    assert result["reject"]["needs"] == ["comment"]
    other = api("t_employee_b")
    assert other[0].get(f"/api/v1/applications/{aid}/actions", headers=other[1]).status_code == 404


def test_api_enter_stores_the_police_number(app, world, api):
    aid = make(app, "id_card", world=world, status="entry")
    c, h = api("t_officer")
    r = c.post(f"/api/v1/applications/{aid}/transition", json={"action": "enter", "police_ref": "API-7"}, headers=h)
    assert r.status_code == 200 and row(app, aid).police_ref == "API-7"
    with app.app_context():
        assert history_count(aid) == 1


@pytest.mark.parametrize(("app_type", "status", "username"), [
    ("move_in", "submitted", "t_officer"), ("move_in", "entry", "t_officer"), ("move_in", "at_police", "t_officer"),
    ("borrow_page", "dept_review", "t_approver_a"), ("certificate", "completed", "t_officer"),
    ("certificate", "draft", "t_employee_a")])
def test_the_page_has_no_english(app, world, login, app_type, status, username):
    from tests.test_i18n_pages import english_words

    rid = world["res_a"] if username == "t_employee_a" else None
    aid = make(app, app_type, world=world, status=status, resident_id=rid)
    html = page(login(username), aid)
    # from the page body on: the navbar (its bilingual 语言 / Language switch) belongs to the layout
    body = html[html.index('<div id="Home" class="tab-pane active hk-app-page"'):]
    with app.app_context():  # people's names are data: other test modules add users named in Latin letters
        from app.views.application_page import person_name

        for user in db.session.scalars(select(User)):
            body = body.replace(person_name(user), "")
    assert english_words(body) == set()
