"""Default masking of ID and phone numbers for display (PIPL: show personal numbers masked unless permitted)."""
from __future__ import annotations

import re

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
    """Mask an ID number as 110105********002X; other lengths keep at most the first 3 and last 2."""
    if not number:
        return ""
    text = str(number).strip()
    if len(text) == 18:
        return _mask_middle(text, 6, 4)
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
