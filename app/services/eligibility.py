"""Eligibility at pre-review: EligibilityRule rows → domain Rules, the applicant's facts, a stored result."""
from __future__ import annotations

import datetime as dt
import json

from flask import current_app, has_app_context
from .. import clock
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import eligibility as el
from ..domain.errors import Message
from ..extensions import db
from ..i18n import render
from ..models import Application, EligibilityRule, Material, MaterialType

EXAMPLE_PREFIX = "【示例】"


def split_types(value: str | None) -> frozenset[str]:
    """'move_in, move_out' → {'move_in', 'move_out'} (the DB keeps app_types comma-separated)."""
    return frozenset(t.strip() for t in (value or "").split(",") if t.strip())


def to_rule(row: EligibilityRule) -> el.Rule:
    """A domain Rule from an EligibilityRule row."""
    return el.Rule(id=row.id, city=row.city or "", pathway=row.pathway or "", condition=row.condition,
                   threshold=(row.threshold or "").strip(), source=row.source or "", valid_from=row.valid_from,
                   valid_to=row.valid_to, app_types=split_types(row.app_types), name=row.name,
                   is_example=row.is_example)


def verified_codes(application: Application) -> frozenset[str]:
    """Codes of the material types that have a verified material on this application."""
    stmt = (select(MaterialType.code).join(Material, Material.material_type_id == MaterialType.id)
            .where(Material.application_id == application.id, Material.verified.is_(True)))
    return frozenset(db.session.scalars(stmt))


def facts_of(application: Application) -> el.ApplicantFacts:
    """What the register knows about the applicant, plus the verified materials of the application."""
    res = application.resident
    return el.ApplicantFacts(
        birth_date=res.birth_date if res else None, education=res.education if res else None,
        social_security_months=res.social_security_months if res else None,
        residence_permit_years=res.residence_permit_years if res else None,
        materials=verified_codes(application))


def _city(application: Application) -> str:
    """The application's city, else the unit's configured city."""
    default = current_app.config.get("HUKOU_CITY", "") if has_app_context() else ""
    return application.city or default or ""


def _shown(msg: Message) -> Message:
    """The message as people read it: a required material by its name (报到证), not its code (report_card)."""
    code = msg.params.get("required")  # a number for age/years rules: only a text can be a material code
    name = db.session.scalar(select(MaterialType.name).where(MaterialType.code == code)) \
        if isinstance(code, str) and code else None
    return Message(msg.code, msg.msgid, {**msg.params, "required": name}) if name else msg


def _entry(result: el.RuleResult, names: dict[int | None, str]) -> dict:
    """One stored/returned result: ids, the Chinese message and what is needed to re-render it."""
    return {"rule_id": result.rule_id, "name": names.get(result.rule_id, ""), "passed": result.passed,
            "message": render(_shown(result.message)), "code": result.message.code, "msgid": result.message.msgid,
            "params": {k: v for k, v in result.message.params.items()}}


def evaluate_application(application: Application, on: dt.date | None = None) -> tuple[bool, list[dict]]:
    """Evaluate the rules in force for this application; store the outcome in eligibility_json (no commit)."""
    on = on or clock.today()
    rows = db.session.scalars(select(EligibilityRule).order_by(EligibilityRule.id)).all()
    rules = el.applicable([to_rule(r) for r in rows], application.type, application.pathway,
                          _city(application), on)
    results = el.evaluate(rules, facts_of(application), on)
    names = {r.id: r.name for r in rules}
    entries = [_entry(r, names) for r in results]
    passed = all(e["passed"] for e in entries)
    application.eligibility_json = json.dumps(
        {"on": on.isoformat(), "passed": passed, "results": entries}, ensure_ascii=False, default=str)
    return passed, entries


def stored_results(application: Application) -> dict | None:
    """The stored evaluation re-rendered in the current language: {"on", "passed", "results"}, or None."""
    if not application.eligibility_json:
        return None
    try:
        data = json.loads(application.eligibility_json)
    except ValueError:
        return None
    for entry in data.get("results", []):
        if entry.get("msgid"):
            entry["message"] = render(_shown(Message(entry.get("code", ""), entry["msgid"], entry.get("params") or {})))
    return data


def seed_example_rules(session: Session) -> int:
    """Insert EXAMPLE_RULES (marked 示例) when the rule table is empty (the caller's unit commits); how many."""
    if session.scalar(select(EligibilityRule.id).limit(1)) is not None:
        return 0
    for rule in el.EXAMPLE_RULES:
        session.add(EligibilityRule(
            name=f"{EXAMPLE_PREFIX}{rule.name}", city=rule.city, pathway=rule.pathway,
            app_types=",".join(sorted(rule.app_types)), condition=rule.condition, threshold=rule.threshold,
            source=rule.source, valid_from=rule.valid_from, valid_to=rule.valid_to, is_example=True))
    session.flush()
    return len(el.EXAMPLE_RULES)
