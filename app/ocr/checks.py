"""Turn parsed card fields into the checked result: the number through the one ID module, birth date and sex
cross-checked against it, dates validated, and a warning for every doubt (never a silent value). No Flask.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.domain import idnumber
from app.domain.codes import ETHNICITY, lookup
from app.domain.errors import Message, N_

from .parsing import Parsed

LOW_SCORE = 0.85  # below this a recognised field is flagged for checking (PP-OCR scores are ≈0.99 when right;
# a label and value in one box with a wide gap score ≈0.88 for a right value)
FRONT_FIELDS = ("name", "gender", "ethnicity", "birth_date", "address", "id_number")
BACK_FIELDS = ("issuer", "valid_from", "valid_to")
FIELD_LABELS = {"name": N_("Full name"), "gender": N_("Gender"), "ethnicity": N_("Ethnicity"),
                "birth_date": N_("Date of birth"), "address": N_("Address"), "id_number": N_("ID number"),
                "issuer": N_("Issuing authority"), "valid_from": N_("Valid from"), "valid_to": N_("Valid until")}
KEYS = ("side", "name", "gender", "ethnicity", "birth_date", "address", "id_number", "id_valid", "issuer",
        "valid_from", "valid_to", "confidence", "warnings")


@dataclass
class CardResult:
    """The checked reading of one side: values (None when the side does not carry them), scores, warnings."""

    side: str | None
    values: dict = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    warnings: list[Message] = field(default_factory=list)
    id_valid: bool | None = None
    long_term: bool = False

    @property
    def confidence(self) -> float:
        """The lowest score of the side's fields (0 when nothing was read)."""
        wanted = FRONT_FIELDS if self.side == "front" else BACK_FIELDS if self.side == "back" else ()
        scores = [self.scores.get(k, 0.0) for k in wanted if not (k == "valid_to" and self.long_term)]
        return round(min(scores), 3) if scores else 0.0

    def warn(self, code: str, msgid: str, **params) -> None:
        """Add a warning."""
        self.warnings.append(Message(code, msgid, params))


def _iso(text: str | None) -> date | None:
    """A date from YYYY-MM-DD text, or None when there is no such day."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _check_id(res: CardResult) -> None:
    """Normalise and check the number; cross-check the printed birth date and sex against it."""
    raw = res.values.get("id_number")
    if not raw:
        return
    result = idnumber.check(raw)
    res.id_valid = result.ok
    res.values["id_number"] = result.number or idnumber.normalize(raw)
    if result.errors:
        res.warn("ocr_id_invalid", N_("The recognised ID number fails the check; please compare it with the card"))
        res.warnings.extend(result.errors)
    res.warnings.extend(result.warnings)
    birth = _iso(res.values.get("birth_date"))
    res.warnings.extend(idnumber.consistency(result, birth, res.values.get("gender")))
    if result.ok and birth is None:  # not read from the print: the valid number tells it
        res.values["birth_date"] = result.birth_date.isoformat()
        res.scores["birth_date"] = res.scores["id_number"]
    if result.ok and not res.values.get("gender"):
        res.values["gender"] = result.gender
        res.scores["gender"] = res.scores["id_number"]


def _check_front(res: CardResult) -> None:
    """Gender as M/F, ethnicity as its GB 3304 code, a real birth date, then the number."""
    gender = res.values.get("gender")
    res.values["gender"] = {"男": "M", "女": "F"}.get(gender or "")
    if res.values.get("ethnicity"):
        code = lookup(ETHNICITY, res.values["ethnicity"])
        if code is None:
            res.warn("ocr_ethnicity_unknown", N_("The ethnicity \"%(value)s\" is not in the code table"),
                     value=res.values["ethnicity"])
        res.values["ethnicity"] = code
    if res.values.get("birth_date") and _iso(res.values["birth_date"]) is None:
        res.warn("ocr_date_invalid", N_("%(field)s: \"%(value)s\" is no valid date"), field=FIELD_LABELS["birth_date"],
                 value=res.values["birth_date"])
        res.values["birth_date"] = None
    _check_id(res)


def _check_back(res: CardResult, today: date) -> None:
    """Validity dates that exist and follow each other; an expired card is flagged."""
    if res.values.get("valid_to") == "长期":
        res.long_term = True
        res.values["valid_to"] = None
    for key in ("valid_from", "valid_to"):
        if res.values.get(key) and _iso(res.values[key]) is None:
            res.warn("ocr_date_invalid", N_("%(field)s: \"%(value)s\" is no valid date"), field=FIELD_LABELS[key],
                     value=res.values[key])
            res.values[key] = None
    start, end = _iso(res.values.get("valid_from")), _iso(res.values.get("valid_to"))
    if start and end and end <= start:
        res.warn("ocr_validity_order", N_("The card's validity ends before it starts; please check the dates"))
    if end and end < today:
        res.warn("ocr_card_expired", N_("The ID card expired on %(date)s"), date=end.isoformat())


def check(parsed: Parsed, today: date) -> CardResult:
    """The checked result of one side, with a warning for every missing, doubtful or inconsistent value."""
    res = CardResult(parsed.side, {k: v for k, v in parsed.values.items()}, dict(parsed.scores))
    if parsed.side is None:
        res.warn("ocr_no_card", N_("No ID card text was found; please upload a sharper image of the card"))
        return res
    if parsed.side == "front":
        _check_front(res)
    else:
        _check_back(res, today)
    wanted = FRONT_FIELDS if parsed.side == "front" else BACK_FIELDS
    for key in wanted:
        if key == "valid_to" and res.long_term:
            continue
        if not res.values.get(key):
            res.warn("ocr_missing", N_("%(field)s could not be read; please enter it by hand"),
                     field=FIELD_LABELS[key])
        elif res.scores.get(key, 0.0) < LOW_SCORE:
            res.warn("ocr_low_confidence", N_("%(field)s was read with low confidence (%(percent)s%%); please check it"),
                     field=FIELD_LABELS[key], percent=int(res.scores.get(key, 0.0) * 100))
    return res


def as_json(res: CardResult, render, mask_id=None) -> dict:
    """The API's result object: every key present, fields the side does not carry null, warnings rendered."""
    v = res.values
    number = v.get("id_number")
    out = {"side": res.side, "name": v.get("name"), "gender": v.get("gender"), "ethnicity": v.get("ethnicity"),
           "birth_date": v.get("birth_date"), "address": v.get("address"),
           "id_number": mask_id(number) if (mask_id and number) else number, "id_valid": res.id_valid,
           "issuer": v.get("issuer"), "valid_from": v.get("valid_from"), "valid_to": v.get("valid_to"),
           "long_term": res.long_term, "confidence": res.confidence,
           "field_confidence": {k: round(s, 3) for k, s in res.scores.items() if v.get(k) is not None},
           "warnings": [render(m) for m in res.warnings]}
    if res.side == "front":
        out.update(issuer=None, valid_from=None, valid_to=None, long_term=None)
    elif res.side == "back":
        out.update(name=None, gender=None, ethnicity=None, birth_date=None, address=None, id_number=None,
                   id_valid=None)
    return out
