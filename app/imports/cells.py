"""One cell → one clean value or a Message: text, dates, ID numbers, code tables, phone numbers."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from ..domain import codes, idnumber
from ..domain.errors import Message, N_
from ..domain.text import text_problem

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_SPACES = "\u3000\u00a0\u2002\u2003\u2009\u200b\ufeff"


class CellError(Exception):
    """A cell that cannot be read; carries the Message shown beside its row and header."""

    def __init__(self, message: Message):
        super().__init__(message.msgid)
        self.message = message


def text(value: Any) -> str | None:
    """Trimmed text (full-width and other spaces too); None for a blank cell."""
    if type(value) is str:  # the common case first: printable text with no odd spaces at its ends
        out = value.strip()
        if not out:
            return None
        if out.isprintable() and out[0] not in _SPACES and out[-1] not in _SPACES:
            return out
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()[:10]
    out = str(value).strip().strip(_SPACES).strip()
    if not out:
        return None
    problem = text_problem(out)
    if problem is not None:
        raise CellError(problem)
    return out


def ascii_text(value: Any) -> str | None:
    """Text with full-width digits and letters folded to ASCII (numbers, codes)."""
    out = text(value)
    return unicodedata.normalize("NFKC", out).replace(" ", "") if out and not out.isascii() else out


def date(value: Any) -> dt.date | None:
    """A date from a date cell, an Excel serial number or text such as 2024/3/5, 2024.3.5, 2024年3月5日."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel serial day numbers (1900-01-01 … 9999-12-31)
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellError(Message("imp_date", N_("Cannot read the date \"%(value)s\"; write it as 2024-03-05"),
                                {"value": value}))
    raw = ascii_text(value)
    if raw is None:
        return None
    if len(raw) == 8 and raw.isdigit():
        raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    m = _DATE_RE.match(raw)
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise CellError(Message("imp_date_invalid", N_("The date \"%(value)s\" does not exist"), {"value": value}))
    raise CellError(Message("imp_date", N_("Cannot read the date \"%(value)s\"; write it as 2024-03-05"),
                            {"value": value}))


def id_number(value: Any, today: dt.date) -> tuple[idnumber.IdCheck | None, Message | None]:
    """The checked ID number, or the message why it cannot be used (a number cell lost its last digits)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer() or abs(value) >= 10 ** 15:
            return None, Message("imp_id_as_number", N_("The ID number was stored as a number and Excel has lost "
                                                        "its last digits; format the column as text and enter the "
                                                        "numbers again"))
    raw = "" if value is None else (str(int(value)) if isinstance(value, (int, float)) else str(value))
    result = idnumber.check(raw, today)
    if result.errors:
        return None, result.errors[0]
    return result, None


_CODES: dict[tuple[int, str], str | None] = {}


def coded(table: dict[str, str], value: Any) -> str | None:
    """The code of a code-table value given as code or Chinese name; unknown values raise."""
    if type(value) is str:  # a column repeats a few values: remember each answer
        key = (id(table), value)
        code = _CODES.get(key)
        if code is None and len(_CODES) < 10000:
            code = _CODES[key] = _coded(table, value)
        return code if code is not None else _coded(table, value)
    return _coded(table, value)


def _coded(table: dict[str, str], value: Any) -> str | None:
    """coded() without the memo."""
    raw = text(value)
    if raw is None:
        return None
    code = codes.lookup(table, raw)
    if code is None:
        raise CellError(Message("imp_code_unknown", N_("\"%(value)s\" is not a known value of this column"),
                                {"value": raw}))
    return code


def phone(value: Any) -> str | None:
    """A phone number as digits (with an optional leading + and hyphens); anything else raises."""
    raw = ascii_text(value)
    if raw is None:
        return None
    if len(raw) > 20 or not re.fullmatch(r"\+?[0-9][0-9-]*", raw):
        raise CellError(Message("imp_phone", N_("\"%(value)s\" is not a phone number"), {"value": raw}))
    return raw


def limited(value: Any, limit: int) -> str | None:
    """Text no longer than the column allows."""
    out = text(value)
    if out is not None and len(out) > limit:
        raise CellError(Message("imp_too_long", N_("The text is longer than %(limit)d characters"),
                                {"limit": limit}))
    return out
