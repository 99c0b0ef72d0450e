"""Eligibility at pre-review: rules from the database, the applicant's facts, the stored and rendered result;
the rule screen's validation; the example rules."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Application, AuditLog, EligibilityRule, Material, MaterialType, Resident
from app.services.eligibility import evaluate_application, seed_example_rules, stored_results

ON = dt.date(2025, 6, 1)


@pytest.fixture
def pathway() -> str:
    """A pathway name of this test only, so rules of other tests never apply."""
    return f"测试通道{uuid.uuid4().hex[:6]}"


def add_rule(pathway: str, condition: str, threshold: str, **kw) -> int:
    """Insert a rule row (inside an app context) and return its id."""
    row = EligibilityRule(name=kw.pop("name", f"{condition} {threshold}"), city=kw.pop("city", "北京"),
                          pathway=pathway, app_types=kw.pop("app_types", "move_in"), condition=condition,
                          threshold=threshold, source="test", **kw)
    db.session.add(row)
    db.session.commit()
    return row.id


def application(world, pathway: str, city: str | None = "北京", app_type: str = "move_in") -> Application:
    """A draft application of res_a on the given pathway."""
    row = Application(type=app_type, status="submitted", resident_id=world["res_a"], department_id=world["dept_a"],
                      pathway=pathway, city=city)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def ctx(app):
    """A request context (Chinese) so messages render in the default language."""
    with app.test_request_context("/"):
        yield


def test_evaluation_uses_resident_facts_and_is_stored(app, world, pathway, ctx):
    resident = db.session.get(Resident, world["res_a"])
    resident.social_security_months = 60
    db.session.commit()
    ok_id = add_rule(pathway, "social_security_months_gte", "36")
    short_id = add_rule(pathway, "social_security_months_gte", "84")
    add_rule(pathway, "age_lte", "20", app_types="move_out")  # other type: not applicable
    add_rule(pathway, "age_lte", "20", valid_to=dt.date(2020, 1, 1))  # expired: not applicable
    row = application(world, pathway)
    passed, results = evaluate_application(row, on=ON)
    assert passed is False
    assert [(r["rule_id"], r["passed"]) for r in results] == [(ok_id, True), (short_id, False)]
    assert results[1]["code"] == "eligibility_social_security_short"
    assert results[1]["message"] == "社保连续缴纳月数：60，要求至少 84"
    stored = json.loads(row.eligibility_json)
    assert stored["passed"] is False and stored["on"] == ON.isoformat()
    assert [r["passed"] for r in stored["results"]] == [True, False]
    assert stored_results(row)["results"][1]["message"] == "社保连续缴纳月数：60，要求至少 84"


def test_evaluation_is_not_committed(app, world, pathway, ctx):
    add_rule(pathway, "age_lte", "99")
    row = application(world, pathway)
    evaluate_application(row, on=ON)
    db.session.rollback()
    assert db.session.get(Application, row.id).eligibility_json is None


def test_required_material_counts_only_when_verified(app, world, pathway, ctx):
    add_rule(pathway, "material_required", "report_card")
    row = application(world, pathway)
    mtype = db.session.scalar(select(MaterialType).where(MaterialType.code == "report_card"))
    mat = Material(application_id=row.id, material_type_id=mtype.id, original_name="报到证.pdf",
                   storage_name=uuid.uuid4().hex, size=1, sha256="0" * 64, kind="pdf")
    db.session.add(mat)
    db.session.commit()
    assert evaluate_application(row, on=ON)[0] is False
    mat.verified = True
    db.session.commit()
    passed, results = evaluate_application(row, on=ON)
    assert passed is True and results[0]["code"] == "eligibility_material_ok"


@pytest.mark.parametrize("configured, expected_rules", [("上海", 1), ("北京", 0)])
def test_city_falls_back_to_config(app, world, pathway, ctx, monkeypatch, configured, expected_rules):
    monkeypatch.setitem(app.config, "HUKOU_CITY", configured)
    add_rule(pathway, "age_lte", "99", city="上海")
    row = application(world, pathway, city=None)
    assert len(evaluate_application(row, on=ON)[1]) == expected_rules


def test_no_applicable_rule_passes(app, world, pathway, ctx):
    row = application(world, pathway)
    assert evaluate_application(row, on=ON) == (True, [])


def test_misconfigured_rule_fails_closed(app, world, pathway, ctx):
    add_rule(pathway, "age_lte", "forty")
    passed, results = evaluate_application(application(world, pathway), on=ON)
    assert passed is False and results[0]["code"] == "eligibility_rule_invalid"


def test_seed_example_rules_only_into_an_empty_table():
    engine = create_engine("sqlite://")
    EligibilityRule.__table__.create(engine)
    AuditLog.__table__.create(engine)  # every insert is change-logged
    with Session(engine) as session:
        assert seed_example_rules(session) == 5
        rows = session.scalars(select(EligibilityRule)).all()
        assert all(r.is_example and "示例" in r.name and "示例" in r.source for r in rows)
        assert {r.app_types for r in rows} == {"move_in"}
        assert seed_example_rules(session) == 0
        assert session.scalar(select(func.count(EligibilityRule.id))) == 5


# --- the rule screen ---------------------------------------------------------------------------------------

def rule_form(c, **kw) -> dict:
    """A complete, valid add-rule form; keyword arguments override fields."""
    data = {"csrf_token": c.csrf, "name": "测试规则", "city": "深圳", "pathway": "人才引进",
            "app_types": ["move_in", "move_out"], "condition": "age_lte", "threshold": "45", "source": "测试",
            "valid_from": "", "valid_to": ""}
    data.update(kw)
    return data


@pytest.mark.parametrize("fields, message", [
    ({"threshold": "abc"}, "阈值：abc 不是整数，而条件 年龄不超过 N 需要整数"),
    ({"condition": "education_gte", "threshold": "99"}, "阈值：99 不是有效的学历代码"),
    ({"valid_from": "2025-01-01", "valid_to": "2024-01-01"}, "失效日期：2024-01-01 早于生效日期 2025-01-01"),
])
def test_rule_form_shows_chinese_message_naming_the_field(app, login, fields, message):
    c = login("t_officer")
    name = f"坏规则{uuid.uuid4().hex[:6]}"
    r = c.post("/eligibilityruleview/add", data=rule_form(c, name=name, **fields))
    assert r.status_code == 200
    assert message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(EligibilityRule.id).where(EligibilityRule.name == name)) is None


def test_rule_form_saves_types_and_normalises_education(app, login):
    c = login("t_officer")
    name = f"好规则{uuid.uuid4().hex[:6]}"
    r = c.post("/eligibilityruleview/add", data=rule_form(c, name=name, condition="education_gte",
                                                          threshold="本科"))
    assert r.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(EligibilityRule).where(EligibilityRule.name == name))
        assert row.app_types == "move_in,move_out" and row.threshold == "21" and row.is_example is False
    edit = c.get(f"/eligibilityruleview/edit/{row.id}").get_data(as_text=True)
    assert '<option selected value="move_out">' in edit and '<option value="certificate">' in edit


@pytest.mark.parametrize("user, code", [("t_auditor", 200), ("t_employee_a", 403), ("t_approver_a", 403)])
def test_rule_list_access(app, login, user, code):
    assert login(user).get("/eligibilityruleview/list/").status_code == code


def test_only_officer_adds_rules(app, login):
    c = login("t_auditor")
    name = f"审计规则{uuid.uuid4().hex[:6]}"
    assert c.post("/eligibilityruleview/add", data=rule_form(c, name=name)).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(EligibilityRule.id).where(EligibilityRule.name == name)) is None


def test_example_rules_are_marked_in_the_list(app, login):
    with app.app_context():
        if db.session.scalar(select(EligibilityRule.id).where(EligibilityRule.is_example.is_(True))) is None:
            db.session.add(EligibilityRule(name="【示例】测试", city="", pathway="", app_types="move_in",
                                           condition="age_lte", threshold="45", source="示例", is_example=True))
            db.session.commit()
    html = login("t_officer").get("/eligibilityruleview/list/?psize_EligibilityRuleView=100").get_data(as_text=True)
    assert "示例" in html
