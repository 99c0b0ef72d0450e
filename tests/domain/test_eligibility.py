"""Tests for eligibility rules in app.domain.eligibility."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain import codes
from app.domain.eligibility import (
    CONDITIONS,
    EXAMPLE_RULES,
    ApplicantFacts,
    Rule,
    RuleResult,
    applicable,
    evaluate,
    summary,
    validate_rule,
)
from app.domain.errors import DomainError, Message

ON = date(2024, 6, 15)
MASTER, BACHELOR, COLLEGE = "14", "21", "31"  # GB/T 4658: 硕士研究生毕业, 大学本科毕业, 大学专科毕业


def rule(condition: str = "social_security_months_gte", threshold: str = "84", **kw: object) -> Rule:
    """Build a rule with sensible defaults."""
    base = dict(id=1, city="北京", pathway="积分落户", condition=condition, threshold=threshold, source="test")
    base.update(kw)
    return Rule(**base)  # type: ignore[arg-type]


def facts(**kw: object) -> ApplicantFacts:
    """Build applicant facts with nothing recorded unless given."""
    base = dict(birth_date=None, education=None, social_security_months=None, residence_permit_years=None,
                materials=frozenset())
    base.update(kw)
    return ApplicantFacts(**base)  # type: ignore[arg-type]


def one(r: Rule, f: ApplicantFacts, on: date = ON) -> RuleResult:
    """Evaluate a single rule."""
    [result] = evaluate([r], f, on)
    return result


def test_conditions_are_the_five_documented_codes() -> None:
    assert set(CONDITIONS) == {"social_security_months_gte", "age_lte", "education_gte",
                               "residence_permit_years_gte", "material_required"}
    assert all(isinstance(label, str) and label for label in CONDITIONS.values())


# --- applicable -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "kw, app_type, pathway, city, on, expected",
    [
        ({}, "move_in", "积分落户", "北京", ON, True),
        ({}, "move_out", "积分落户", "北京", ON, False),
        ({"app_types": frozenset({"move_in", "move_out"})}, "move_out", "积分落户", "北京", ON, True),
        ({}, "move_in", "人才引进", "北京", ON, False),
        ({}, "move_in", None, "北京", ON, False),
        ({"pathway": ""}, "move_in", "人才引进", "北京", ON, True),
        ({"pathway": "*"}, "move_in", None, "北京", ON, True),
        ({}, "move_in", "积分落户", "上海", ON, False),
        ({}, "move_in", "积分落户", None, ON, False),
        ({"city": ""}, "move_in", "积分落户", "上海", ON, True),
        ({"city": ""}, "move_in", "积分落户", None, ON, True),
        ({"valid_from": ON}, "move_in", "积分落户", "北京", ON, True),
        ({"valid_from": date(2024, 6, 16)}, "move_in", "积分落户", "北京", ON, False),
        ({"valid_to": ON}, "move_in", "积分落户", "北京", ON, True),
        ({"valid_to": date(2024, 6, 14)}, "move_in", "积分落户", "北京", ON, False),
        ({"valid_from": date(2020, 1, 1), "valid_to": date(2030, 1, 1)}, "move_in", "积分落户", "北京", ON, True),
    ],
)
def test_applicable(kw: dict, app_type: str, pathway: str | None, city: str | None, on: date,
                    expected: bool) -> None:
    r = rule(**kw)
    assert applicable([r], app_type, pathway, city, on) == ([r] if expected else [])


def test_applicable_keeps_order_and_filters_mixed_list() -> None:
    rules = [rule(id=1), rule(id=2, city="上海"), rule(id=3, pathway="*"), rule(id=4, app_types=frozenset())]
    assert [r.id for r in applicable(rules, "move_in", "积分落户", "北京", ON)] == [1, 3]


# --- evaluate: one table per condition ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "months, passed, code",
    [(84, True, "eligibility_social_security_ok"), (120, True, "eligibility_social_security_ok"),
     (83, False, "eligibility_social_security_short"), (0, False, "eligibility_social_security_short"),
     (None, False, "eligibility_social_security_missing")],
)
def test_social_security(months: int | None, passed: bool, code: str) -> None:
    res = one(rule(), facts(social_security_months=months))
    assert (res.passed, res.message.code, res.rule_id, res.condition) == (passed, code, 1,
                                                                           "social_security_months_gte")
    text = str(res.message)
    assert "84" in text
    assert (str(months) in text) if months is not None else ("no social-security record" in text)


def test_social_security_failure_message_text() -> None:
    res = one(rule(), facts(social_security_months=60))
    assert str(res.message) == "Continuous social-security months: 60, required at least 84"


@pytest.mark.parametrize(
    "birth, passed, age",
    [
        (date(1979, 6, 15), False, 45),  # 45th birthday is today: already 45
        (date(1979, 6, 16), True, 44),  # 45th birthday is tomorrow: still 44
        (date(1978, 6, 16), False, 45),
        (date(1980, 1, 1), True, 44),
        (date(2000, 2, 29), True, 24),
    ],
)
def test_age_on_exact_date(birth: date, passed: bool, age: int) -> None:
    res = one(rule("age_lte", "44"), facts(birth_date=birth))
    assert res.passed is passed
    assert res.message.params["actual"] == age
    assert res.message.code == ("eligibility_age_ok" if passed else "eligibility_age_over")
    assert "2024-06-15" in str(res.message) and "44" in str(res.message)


@pytest.mark.parametrize("on, age", [(date(2025, 2, 28), 24), (date(2025, 3, 1), 25), (date(2028, 2, 29), 28)])
def test_age_leap_day_birthday(on: date, age: int) -> None:
    res = one(rule("age_lte", "100"), facts(birth_date=date(2000, 2, 29)), on)
    assert res.message.params["actual"] == age


def test_age_missing_birth_date_fails() -> None:
    res = one(rule("age_lte", "45"), facts())
    assert (res.passed, res.message.code) == (False, "eligibility_age_missing")
    assert "no birth date" in str(res.message)


@pytest.mark.parametrize(
    "education, passed, code",
    [(MASTER, True, "eligibility_education_ok"), (BACHELOR, True, "eligibility_education_ok"),
     (COLLEGE, False, "eligibility_education_low"), (None, False, "eligibility_education_missing"),
     ("", False, "eligibility_education_missing"), ("zz", False, "eligibility_education_unknown")],
)
def test_education(education: str | None, passed: bool, code: str) -> None:
    res = one(rule("education_gte", BACHELOR), facts(education=education))
    assert (res.passed, res.message.code) == (passed, code)
    assert codes.EDUCATION[BACHELOR] in str(res.message)
    if education in codes.EDUCATION:
        assert codes.EDUCATION[education] in str(res.message)


def test_education_test_codes_are_ranked_as_assumed() -> None:
    ranks = [codes.education_rank(c) for c in (MASTER, BACHELOR, COLLEGE)]
    assert ranks[0] > ranks[1] > ranks[2]


@pytest.mark.parametrize(
    "years, passed, code, shown",
    [(7.0, True, "eligibility_residence_permit_ok", "7"), (9.5, True, "eligibility_residence_permit_ok", "9.5"),
     (6.9, False, "eligibility_residence_permit_short", "6.9"),
     (None, False, "eligibility_residence_permit_missing", "no residence-permit record")],
)
def test_residence_permit(years: float | None, passed: bool, code: str, shown: str) -> None:
    res = one(rule("residence_permit_years_gte", "7"), facts(residence_permit_years=years))
    assert (res.passed, res.message.code) == (passed, code)
    assert shown in str(res.message) and "7" in str(res.message)


@pytest.mark.parametrize(
    "materials, passed, code",
    [(frozenset({"report_card", "id_card"}), True, "eligibility_material_ok"),
     (frozenset({"id_card"}), False, "eligibility_material_missing"),
     (frozenset(), False, "eligibility_material_missing")],
)
def test_material_required(materials: frozenset[str], passed: bool, code: str) -> None:
    res = one(rule("material_required", "report_card"), facts(materials=materials))
    assert (res.passed, res.message.code) == (passed, code)
    assert "report_card" in str(res.message)


@pytest.mark.parametrize(
    "r, good, bad",
    [
        (rule(), facts(social_security_months=90), facts(social_security_months=10)),
        (rule("age_lte", "45"), facts(birth_date=date(1990, 1, 1)), facts(birth_date=date(1950, 1, 1))),
        (rule("education_gte", BACHELOR), facts(education=MASTER), facts(education=COLLEGE)),
        (rule("residence_permit_years_gte", "7"), facts(residence_permit_years=8.0),
         facts(residence_permit_years=2.0)),
        (rule("material_required", "report_card"), facts(materials=frozenset({"report_card"})), facts()),
    ],
)
def test_pass_and_fail_use_distinct_msgids(r: Rule, good: ApplicantFacts, bad: ApplicantFacts) -> None:
    ok, ko = one(r, good), one(r, bad)
    assert ok.passed and not ko.passed
    assert ok.message.msgid != ko.message.msgid and ok.message.code != ko.message.code


def test_misconfigured_rule_fails_closed() -> None:
    res = one(rule(threshold="seven", name="坏规则"), facts(social_security_months=999))
    assert (res.passed, res.message.code) == (False, "eligibility_rule_invalid")
    assert "坏规则" in str(res.message) and res.message.params["field"] == "threshold"


def test_evaluate_returns_one_result_per_rule_in_order() -> None:
    rules = [rule(id=1), rule("age_lte", "45", id=2), rule("material_required", "x", id=3)]
    results = evaluate(rules, facts(social_security_months=100, birth_date=date(1990, 1, 1)), ON)
    assert [(r.rule_id, r.passed) for r in results] == [(1, True), (2, True), (3, False)]


# --- summary -------------------------------------------------------------------------------------------

def _res(passed: bool, text: str) -> RuleResult:
    return RuleResult(None, "age_lte", passed, Message("c", text))


@pytest.mark.parametrize(
    "results, expected",
    [
        ([], (True, ())),
        ([_res(True, "a"), _res(True, "b")], (True, ())),
        ([_res(True, "a"), _res(False, "b"), _res(False, "c")], (False, ("b", "c"))),
    ],
)
def test_summary(results: list[RuleResult], expected: tuple[bool, tuple[str, ...]]) -> None:
    assert summary(results) == expected


def test_summary_formats_params() -> None:
    results = evaluate([rule()], facts(social_security_months=12), ON)
    assert summary(results) == (False, ("Continuous social-security months: 12, required at least 84",))


# --- validate_rule ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "r, code, field",
    [
        (rule("points_gte", "100"), "rule_condition_unknown", "condition"),
        (rule("social_security_months_gte", "7年"), "rule_threshold_not_integer", "threshold"),
        (rule("age_lte", "45.5"), "rule_threshold_not_integer", "threshold"),
        (rule("age_lte", "-1"), "rule_threshold_not_integer", "threshold"),
        (rule("residence_permit_years_gte", ""), "rule_threshold_not_integer", "threshold"),
        (rule("education_gte", "本科"), "rule_education_unknown", "threshold"),
        (rule("material_required", " "), "rule_material_empty", "threshold"),
        (rule(valid_from=date(2024, 1, 2), valid_to=date(2024, 1, 1)), "rule_valid_range", "valid_to"),
    ],
)
def test_validate_rule_rejects(r: Rule, code: str, field: str) -> None:
    with pytest.raises(DomainError) as exc:
        validate_rule(r)
    assert exc.value.code == code
    assert exc.value.messages[0].params["field"] == field


def test_validate_rule_reports_every_bad_field() -> None:
    bad = rule("age_lte", "x", valid_from=date(2024, 1, 2), valid_to=date(2024, 1, 1))
    with pytest.raises(DomainError) as exc:
        validate_rule(bad)
    assert [m.code for m in exc.value.messages] == ["rule_threshold_not_integer", "rule_valid_range"]


@pytest.mark.parametrize(
    "r",
    [rule(), rule("age_lte", " 45 "), rule("education_gte", BACHELOR), rule("material_required", "report_card"),
     rule(valid_from=date(2024, 1, 1), valid_to=date(2024, 1, 1))],
)
def test_validate_rule_accepts(r: Rule) -> None:
    assert validate_rule(r) is None


# --- examples --------------------------------------------------------------------------------------------

def test_example_rules_are_marked_and_valid() -> None:
    assert 3 <= len(EXAMPLE_RULES) <= 5
    for r in EXAMPLE_RULES:
        assert r.is_example and r.name
        assert "示例，使用前请核实当地政策" in r.source
        validate_rule(r)
    assert {r.condition for r in EXAMPLE_RULES} == set(CONDITIONS)


def test_example_rules_apply_to_their_pathways() -> None:
    sz = applicable(EXAMPLE_RULES, "move_in", "人才引进", "深圳", ON)
    assert {r.condition for r in sz} == {"education_gte", "age_lte"}
    grad = applicable(EXAMPLE_RULES, "move_in", "应届毕业生", "广州", ON)
    assert [r.threshold for r in grad] == ["report_card"]
