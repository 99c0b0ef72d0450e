"""Default masking of ID and phone numbers for display (PIPL: show personal numbers masked unless permitted).

The masked forms are chosen so that nothing a viewer without `unmask` sees gives a number back (issue 6):
an ID number keeps its region code and check character (110105***********X) and its birth date is shown as
the year only (1990-**-**). The month, day and two order digits stay unknown (parity is the gender) — about
16,000 numbers fit what is shown; even a known birth date would leave about 45.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

_MOBILE = re.compile(r"1\d{10}")
_MOBILE_CC = re.compile(r"(\+?86)(1\d{10})")
# Beijing 010 and the 02x codes are three digits; every other area code has four.
_LANDLINE_SPLIT = re.compile(r"(0\d{2,3})[-\s]+(\d{7,8})")
_LANDLINE_JOINED = re.compile(r"(010|02\d|0[3-9]\d{2})(\d{7,8})")


def _mask_middle(text: str, head: int, tail: int) -> str:
    """Keep `head` leading and `tail` trailing characters and star the rest (length preserved)."""
    hidden = len(text) - head - tail
    return text[:head] + "*" * hidden + (text[-tail:] if tail else "")


def mask_id(number: str | None) -> str:
    """Mask an ID number as 110105***********X (region and check character); other lengths keep at most the
    first 3 and last 2. Masking a masked number again gives the same text (older forms are hidden further)."""
    if not number:
        return ""
    text = str(number).strip()
    if len(text) == 18:
        # Not the order code: it is the one part nothing else on any screen tells (see the module docstring).
        return _mask_middle(text.upper(), 6, 1)
    # Short input shows proportionally less, so a 4-character value never shows half of itself.
    return _mask_middle(text, min(3, len(text) // 4), min(2, len(text) // 4))


def mask_phone(phone: str | None) -> str:
    """Mask a phone: 138****8000 for mobiles, 010-******78 for landlines, else all but the last 2."""
    if not phone:
        return ""
    text = str(phone).strip()
    compact = re.sub(r"[\s-]", "", text)
    if _MOBILE.fullmatch(compact):
        return _mask_middle(compact, 3, 4)
    match = _MOBILE_CC.fullmatch(compact)
    if match:
        return f"{match.group(1)} {_mask_middle(match.group(2), 3, 4)}"
    match = _LANDLINE_SPLIT.fullmatch(text) or _LANDLINE_JOINED.fullmatch(compact)
    if match:
        return f"{match.group(1)}-{_mask_middle(match.group(2), 0, 2)}"
    return _mask_middle(text, 0, 2 if len(text) > 4 else 0)


def mask_birth_date(value: Any) -> str:
    """A birth date (date or ISO text) as its year only, 1990-**-**: with it the masked ID stays ambiguous."""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-**-**"
    text = str(value or "").strip()
    return f"{text[:4]}-**-**" if re.match(r"\d{4}", text) else ("" if not text else "****-**-**")


# A full ID number (18 or old 15 characters) or a mobile / landline number standing alone in a text.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z*])(\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z*])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z*])((?:\+?86[-\s]?)?1[3-9]\d{9})(?![0-9A-Za-z*])")
_LANDLINE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z*-])(0\d{2,3}[-\s]?\d{7,8})(?![0-9A-Za-z*])")
_OLD_MASKED_ID = re.compile(r"(?<![0-9A-Za-z*])([0-9]{6}\*{6,11}[0-9]{0,4}[0-9Xx])(?![0-9A-Za-z*])")


def mask_text(text: Any) -> str:
    """Free text (a comment, a stored detail) with every ID and phone number in it masked, and ID numbers
    masked in an older, longer form re-masked to today's."""
    if text is None:
        return ""
    out = _ID_IN_TEXT.sub(lambda m: mask_id(m.group(1)), str(text))
    out = _OLD_MASKED_ID.sub(lambda m: mask_id(m.group(1)) if len(m.group(1)) == 18 else m.group(1), out)
    out = _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group(1)), out)
    return _LANDLINE_IN_TEXT.sub(lambda m: mask_phone(m.group(1)), out)


_NUMBER_FIELDS = {"id_number": mask_id, "phone": mask_phone}


def mask_changes(raw: Any) -> Any:
    """The requested changes of an information change (JSON text or dict) with phone and ID numbers masked,
    in the same shape; unreadable text is masked as free text."""
    if raw is None or raw == "":
        return raw
    data = raw
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except ValueError:
            return mask_text(raw)
    if not isinstance(data, dict):
        return mask_text(raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False))
    masked = {k: (_NUMBER_FIELDS[k](v) if k in _NUMBER_FIELDS and v else mask_text(v) if isinstance(v, str) else v)
              for k, v in data.items()}
    return json.dumps(masked, ensure_ascii=False) if isinstance(raw, str) else masked
