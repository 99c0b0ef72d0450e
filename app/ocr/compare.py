"""Pre-review: an ID-card scan's data beside the register's, every difference flagged; the back side's expiry
date is stored on the resident. No Flask.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.domain.errors import N_
from app.models import Material, Resident

from . import checks, service

# (result key, resident attribute, label msgid); the card's address is compared with the registered former address
FRONT_ROWS = (("name", "name", N_("Full name")), ("id_number", "id_number", N_("ID number")),
              ("gender", "gender", N_("Gender")), ("birth_date", "birth_date", N_("Date of birth")),
              ("ethnicity", "ethnicity", N_("Ethnicity")), ("address", "former_address", N_("Address")))
BACK_ROWS = (("valid_to", "id_valid_to", N_("Valid until")),)
ID_CARD_CODE = "id_card"  # MaterialType.code of 居民身份证 (app/seed.py)


@dataclass
class Row:
    """One compared field: the card's value, the register's, and whether they differ."""

    key: str
    label: str
    card: str | None
    register: str | None
    differs: bool


def _plain(value) -> str:
    """A value as comparable text: dates ISO, full-width folded, spaces and punctuation dropped."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s,，.。·\-]", "", text).upper()


def compare(res: checks.CardResult, resident: Resident) -> list[Row]:
    """The card's fields beside the resident's; a difference needs both values (a blank on either side is shown,
    not flagged: the officer fills it in)."""
    rows = []
    for key, attr, label in FRONT_ROWS if res.side == "front" else BACK_ROWS if res.side == "back" else ():
        card, register = res.values.get(key), getattr(resident, attr)
        if key == "valid_to" and res.long_term:
            card = "长期"
        differs = bool(card) and register is not None and _plain(card) != _plain(register)
        if key == "address" and differs:  # a registered address is often the card's without its province prefix
            differs = not (_plain(register) in _plain(card) or _plain(card) in _plain(register))
        if key == "valid_to" and res.long_term:
            differs = register is not None
        rows.append(Row(key, label, card, None if register is None else
                        (register.isoformat() if hasattr(register, "isoformat") else str(register)), differs))
    return rows


def store_expiry(res: checks.CardResult, resident: Resident) -> bool:
    """Put the back side's expiry date on the resident (长期: none); True when it changed. The caller's unit of
    work change-logs it."""
    if res.side != "back" or (res.values.get("valid_to") is None and not res.long_term):
        return False
    if any(m.code in ("ocr_date_invalid", "ocr_validity_order") for m in res.warnings):
        return False  # a doubtful date is shown to the officer, not stored
    new = None if res.long_term else checks._iso(res.values["valid_to"])
    if resident.id_valid_to == new:
        return False
    resident.id_valid_to = new
    resident.version = (resident.version or 0) + 1
    return True


def apply(uow, material: Material, reading: service.Reading, via: str) -> list[Row]:
    """Compare a reading of an ID-card material with its applicant, store the expiry date (change-logged) and
    audit the call, all in the caller's unit of work; the compared rows."""
    rows: list[Row] = []
    if reading.result is not None:
        resident = material.application.resident
        rows = compare(reading.result, resident)
        store_expiry(reading.result, resident)
    service.audit(uow, reading, material.application, via, material_id=material.id,
                  differs=[r.key for r in rows if r.differs])
    return rows
