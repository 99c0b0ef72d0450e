"""Eligibility rules as data: which rules apply to an application, and whether an applicant meets them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable

from app.domain import codes
from app.domain.errors import DomainError, Message, N_

CONDITIONS: dict[str, str] = {
    "social_security_months_gte": N_("Continuous social-security months at least N"),
    "age_lte": N_("Age at most N"),
    "education_gte": N_("Education at least the given level"),
    "residence_permit_years_gte": N_("Residence-permit years at least N"),
    "material_required": N_("Required material"),
}
_NUMERIC = frozenset({"social_security_months_gte", "age_lte", "residence_permit_years_gte"})
_ANY = frozenset({"", "*"})
EXAMPLE_SOURCE = "示例，使用前请核实当地政策"


@dataclass(frozen=True)
class Rule:
    """One configured condition for a city / pathway / application type, valid over a date range."""

    id: int | None
    city: str
    pathway: str
    condition: str
    threshold: str
    source: str
    valid_from: date | None = None
    valid_to: date | None = None
    app_types: frozenset[str] = frozenset({"move_in"})
    name: str = ""
    is_example: bool = False


@dataclass(frozen=True)
class ApplicantFacts:
    """What is known about the applicant; None means not recorded."""

    birth_date: date | None
    education: str | None
    social_security_months: int | None
    residence_permit_years: float | None
    materials: frozenset[str]  # verified material-type codes


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule, with a message saying what was required and what the applicant has."""

    rule_id: int | None
    condition: str
    passed: bool
    message: Message


def applicable(rules: Iterable[Rule], app_type: str, pathway: str | None, city: str | None,
               on: date) -> list[Rule]:
    """Return the rules for this application type, pathway and city that are in force on `on`."""
    return [
        r for r in rules
        if app_type in r.app_types
        and (r.pathway in _ANY or r.pathway == pathway)
        and (r.city in _ANY or r.city == city)
        and (r.valid_from is None or r.valid_from <= on)
        and (r.valid_to is None or on <= r.valid_to)
    ]


def age_on(birth_date: date, on: date) -> int:
    """Return full years of age on `on`; a birthday not yet reached that year does not count."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _number(value: float) -> str:
    """Format a count for a message: 7.0 → "7", 6.5 → "6.5"."""
    return f"{value:g}"


def _edu_name(code: str) -> str:
    """Return the Chinese education name for a GB/T 4658 code, or the code itself if unknown."""
    return codes.EDUCATION.get(code, code)


def _result(for_rule: Rule, passed: bool, code: str, msgid: str, **params: object) -> RuleResult:
    """Build a RuleResult for `for_rule`."""
    return RuleResult(for_rule.id, for_rule.condition, passed, Message(code, msgid, params))


def _check_social_security(rule: Rule, facts: ApplicantFacts, on: date) -> RuleResult:
    """Continuous social-security months must reach the threshold."""
    required = int(rule.threshold)
    actual = facts.social_security_months
    if actual is None:
        return _result(rule, False, "eligibility_social_security_missing", N_(
            "Continuous social-security months: no social-security record, required at least %(required)s"),
            required=required)
    if actual >= required:
        return _result(rule, True, "eligibility_social_security_ok", N_(
            "Continuous social-security months: %(actual)s, meets the required %(required)s"),
            actual=actual, required=required)
    return _result(rule, False, "eligibility_social_security_short", N_(
        "Continuous social-security months: %(actual)s, required at least %(required)s"),
        actual=actual, required=required)


def _check_age(rule: Rule, facts: ApplicantFacts, on: date) -> RuleResult:
    """Age on the evaluation date must not exceed the threshold."""
    required = int(rule.threshold)
    if facts.birth_date is None:
        return _result(rule, False, "eligibility_age_missing", N_(
            "Age: no birth date recorded, must be at most %(required)s"), required=required)
    actual = age_on(facts.birth_date, on)
    params = {"actual": actual, "required": required, "date": on.isoformat()}
    if actual <= required:
        return _result(rule, True, "eligibility_age_ok", N_(
            "Age on %(date)s: %(actual)s, within the limit of %(required)s"), **params)
    return _result(rule, False, "eligibility_age_over", N_(
        "Age on %(date)s: %(actual)s, must be at most %(required)s"), **params)


def _check_education(rule: Rule, facts: ApplicantFacts, on: date) -> RuleResult:
    """Education must rank at or above the threshold level."""
    required = _edu_name(rule.threshold)
    actual = facts.education
    if not actual:
        return _result(rule, False, "eligibility_education_missing", N_(
            "Education: not recorded, required %(required)s or higher"), required=required)
    if actual not in codes.EDUCATION:
        return _result(rule, False, "eligibility_education_unknown", N_(
            "Education: unknown code %(actual)s, required %(required)s or higher"),
            actual=actual, required=required)
    params = {"actual": _edu_name(actual), "required": required}
    if codes.education_rank(actual) >= codes.education_rank(rule.threshold):
        return _result(rule, True, "eligibility_education_ok", N_(
            "Education: %(actual)s, meets the required %(required)s or higher"), **params)
    return _result(rule, False, "eligibility_education_low", N_(
        "Education: %(actual)s, required %(required)s or higher"), **params)


def _check_residence_permit(rule: Rule, facts: ApplicantFacts, on: date) -> RuleResult:
    """Residence-permit years must reach the threshold."""
    required = int(rule.threshold)
    actual = facts.residence_permit_years
    if actual is None:
        return _result(rule, False, "eligibility_residence_permit_missing", N_(
            "Residence-permit years: no residence-permit record, required at least %(required)s"),
            required=required)
    params = {"actual": _number(actual), "required": required}
    if actual >= required:
        return _result(rule, True, "eligibility_residence_permit_ok", N_(
            "Residence-permit years: %(actual)s, meets the required %(required)s"), **params)
    return _result(rule, False, "eligibility_residence_permit_short", N_(
        "Residence-permit years: %(actual)s, required at least %(required)s"), **params)


def _check_material(rule: Rule, facts: ApplicantFacts, on: date) -> RuleResult:
    """A material of the threshold type must be among the verified materials."""
    if rule.threshold in facts.materials:
        return _result(rule, True, "eligibility_material_ok", N_(
            "Required material %(required)s: verified"), required=rule.threshold)
    return _result(rule, False, "eligibility_material_missing", N_(
        "Required material %(required)s: not provided or not yet verified"), required=rule.threshold)


_CHECKS: dict[str, Callable[[Rule, ApplicantFacts, date], RuleResult]] = {
    "social_security_months_gte": _check_social_security,
    "age_lte": _check_age,
    "education_gte": _check_education,
    "residence_permit_years_gte": _check_residence_permit,
    "material_required": _check_material,
}


def evaluate(rules: Iterable[Rule], facts: ApplicantFacts, on: date) -> list[RuleResult]:
    """Check every rule against the applicant; a misconfigured rule fails rather than being skipped."""
    results = []
    for rule in rules:
        try:
            validate_rule(rule)
        except DomainError as exc:
            # Fail closed: an unreadable rule must never let an applicant through silently.
            results.append(_result(rule, False, "eligibility_rule_invalid", N_(
                "Rule %(rule)s cannot be checked because it is misconfigured; ask an administrator to fix it"),
                rule=rule.name or rule.id or rule.condition, field=exc.messages[0].params.get("field", "")))
            continue
        results.append(_CHECKS[rule.condition](rule, facts, on))
    return results


def summary(results: Iterable[RuleResult]) -> tuple[bool, tuple[str, ...]]:
    """Return (all rules passed, the text of each failed message); no rules means eligible."""
    failed = tuple(str(r.message) for r in results if not r.passed)
    return not failed, failed


def _rule_problems(rule: Rule) -> list[Message]:
    """Return one Message per invalid field of `rule`."""
    problems = []
    if rule.condition not in CONDITIONS:
        problems.append(Message("rule_condition_unknown", N_("Condition: %(value)s is not a known condition"),
                                {"field": "condition", "value": rule.condition}))
    elif rule.condition in _NUMERIC and not re.fullmatch(r"\d+", rule.threshold.strip(), re.ASCII):
        problems.append(Message("rule_threshold_not_integer", N_(
            "Threshold: %(value)s is not a whole number, but condition %(condition)s needs one"),
            {"field": "threshold", "value": rule.threshold, "condition": rule.condition}))
    elif rule.condition == "education_gte" and rule.threshold not in codes.EDUCATION:
        problems.append(Message("rule_education_unknown", N_(
            "Threshold: %(value)s is not a known education code (GB/T 4658)"),
            {"field": "threshold", "value": rule.threshold}))
    elif rule.condition == "material_required" and not rule.threshold.strip():
        problems.append(Message("rule_material_empty", N_("Threshold: a material-type code is required"),
                                {"field": "threshold"}))
    if rule.valid_from and rule.valid_to and rule.valid_to < rule.valid_from:
        problems.append(Message("rule_valid_range", N_(
            "Valid to: %(valid_to)s is before valid from %(valid_from)s"),
            {"field": "valid_to", "valid_to": rule.valid_to.isoformat(),
             "valid_from": rule.valid_from.isoformat()}))
    return problems


def validate_rule(rule: Rule) -> None:
    """Raise DomainError listing every invalid field of `rule` (each message has params["field"])."""
    problems = _rule_problems(rule)
    if problems:
        raise DomainError(*problems)


EXAMPLE_RULES: tuple[Rule, ...] = (
    Rule(None, "北京", "积分落户", "social_security_months_gte", "84",
         f"{EXAMPLE_SOURCE}（北京市积分落户：连续缴纳社会保险满7年）",
         name="北京积分落户：社保连续缴纳满84个月", is_example=True),
    Rule(None, "上海", "居转户", "residence_permit_years_gte", "7",
         f"{EXAMPLE_SOURCE}（上海市居住证转办常住户口：持证满7年）",
         name="上海居转户：持居住证满7年", is_example=True),
    Rule(None, "深圳", "人才引进", "education_gte", "21",
         f"{EXAMPLE_SOURCE}（深圳市人才引进：本科及以上学历）",
         name="深圳人才引进：本科及以上", is_example=True),
    Rule(None, "深圳", "人才引进", "age_lte", "45",
         f"{EXAMPLE_SOURCE}（深圳市人才引进：本科学历年龄不超过45周岁）",
         name="深圳人才引进：年龄不超过45周岁", is_example=True),
    Rule(None, "", "应届毕业生", "material_required", "report_card",
         f"{EXAMPLE_SOURCE}（应届毕业生落户需提供报到证）",
         name="应届毕业生：报到证", is_example=True),
)
