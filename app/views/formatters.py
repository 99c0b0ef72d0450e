"""Display helpers for list and show pages: masked numbers, YYYY-MM-DD dates, translated codes."""
from __future__ import annotations

import datetime as dt

from flask import g
from flask_babel import format_datetime, gettext

from ..domain import codes
from ..domain.masking import mask_birth_date, mask_id, mask_phone
from ..web.personal import may_unmask


def unmasked() -> bool:
    """True when this request has been granted (and logged) an unmasked view."""
    return bool(g.get("hk_unmasked"))


def fmt_id(value) -> str:
    """ID number masked unless unmasked for this request."""
    return value if unmasked() else mask_id(value)


def fmt_phone(value) -> str:
    """Phone number masked unless unmasked for this request."""
    return (value or "") if unmasked() else mask_phone(value)


def fmt_birth_date(value) -> str:
    """A birth date whole for users who may unmask (or on an unmasked page), else the year only: beside the
    masked ID number a whole date would narrow the hidden digits (see app.domain.masking)."""
    if value in (None, ""):
        return ""
    return fmt_date(value) if unmasked() or may_unmask() else mask_birth_date(value)


def fmt_date(value) -> str:
    """Dates as YYYY-MM-DD; stored UTC datetimes as YYYY-MM-DD HH:MM in the office's time zone."""
    if isinstance(value, dt.datetime):
        return format_datetime(value, "yyyy-MM-dd HH:mm")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return value or ""


def fmt_bool(value) -> str:
    """Yes / No in the user's language."""
    return gettext("Yes") if value else gettext("No")


def fmt_label(mapping: dict):
    """A formatter turning a code into its translated label."""
    def _fmt(value) -> str:
        return gettext(mapping[value]) if value in mapping else (value or "")
    return _fmt


def fmt_code(table: dict):
    """A formatter turning a national code into its Chinese name."""
    def _fmt(value) -> str:
        return table.get(value, value or "")
    return _fmt


ETHNICITY = fmt_code(codes.ETHNICITY)
EDUCATION = fmt_code(codes.EDUCATION)
MARITAL = fmt_code(codes.MARITAL)
