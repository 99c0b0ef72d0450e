"""Text that people type: no invisible control, format (text-direction) or surrogate characters.

NUL breaks PostgreSQL and C libraries, a lone surrogate cannot be stored as UTF-8, and U+202E (right-to-left
override) or zero-width characters make a name look like something else on screen and in the audit trail.
Private-use characters stay allowed: registers use them for rare characters in Chinese names (生僻字).
"""
from __future__ import annotations

import unicodedata

from .errors import Message, N_

# Tab and line breaks are fine in multi-line text (reasons, notes); never in a name, a code or a number.
LINE_BREAKS = frozenset("\t\n\r\u2028\u2029")
_REFUSED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _is_noncharacter(ch: str) -> bool:
    """U+FDD0..U+FDEF and every U+xxFFFE / U+xxFFFF: never valid in interchanged text."""
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def forbidden_char(text: str, multiline: bool = False) -> str | None:
    """The first character that typed text must not contain, or None when the text is clean."""
    if text.isprintable():  # fast path: printable text has no Cc/Cf/Cs/Zl/Zp character and no noncharacter
        return None
    for ch in text:
        if multiline and ch in LINE_BREAKS:
            continue
        if unicodedata.category(ch) in _REFUSED or _is_noncharacter(ch):
            return ch
    return None


def code_point(ch: str) -> str:
    """U+202E style name of a character (the character itself may be invisible or unprintable)."""
    return f"U+{ord(ch):04X}"


def text_problem(text: str, multiline: bool = False) -> Message | None:
    """A message (without the field name) when `text` holds a refused character, else None."""
    ch = forbidden_char(text, multiline)
    if ch is None:
        return None
    return Message("text_control_char",
                   N_("contains the invisible control or text-direction character %(char)s, which is not allowed"),
                   {"char": code_point(ch)})
