"""公民身份号码 (GB 11643-1999): normalisation, validation, derived facts and region names."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from operator import mul

from app import clock  # the one clock (no Flask): "future" means after the office's today
from app.domain.errors import DomainError, Message, N_

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# The weights are applied to the ASCII codes of the digits, so subtract 48 × Σweights once.
_ASCII_OFFSET = 48 * sum(WEIGHTS)
_DIGITS = frozenset("0123456789")
_MIN_YEAR = 1900
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Full-width digits/letters to ASCII; every kind of space (incl. U+3000, NBSP, zero-width, BOM) removed.
_TRANSLATE = {0xFF10 + i: 0x30 + i for i in range(10)}
_TRANSLATE.update({0xFF21 + i: 0x41 + i for i in range(26)})
_TRANSLATE.update({0xFF41 + i: 0x61 + i for i in range(26)})
_TRANSLATE.update({ord(c): None for c in " \t\r\n\v\f\u3000\u00a0\u2002\u2003\u2009\u200b\ufeff"})


class IdNumberError(DomainError):
    """An ID number failed validation; the messages say why."""


@dataclass(frozen=True)
class IdCheck:
    """The outcome of checking one ID number: errors, warnings and the facts it encodes."""

    raw: str
    number: str | None
    errors: tuple[Message, ...]
    warnings: tuple[Message, ...]
    birth_date: date | None
    gender: str | None
    region_code: str | None
    region_name: str | None

    @property
    def ok(self) -> bool:
        """True when the number has no errors (warnings allowed)."""
        return not self.errors


def normalize(raw: str) -> str:
    """Strip all spaces, turn full-width characters into ASCII and upper-case the check character."""
    if raw.isascii() and raw.isalnum():  # the common case: nothing to translate
        return raw.upper()
    return raw.translate(_TRANSLATE).upper()


def check_char(first17: str) -> str:
    """Return the check character for 17 ASCII digits."""
    return CHECK_CHARS[(sum(map(mul, first17.encode("ascii"), WEIGHTS)) - _ASCII_OFFSET) % 11]


def _parse_birth(digits8: str) -> date | None:
    """Return the date for YYYYMMDD digits, or None when no such day exists."""
    year, month, day = int(digits8[:4]), int(digits8[4:6]), int(digits8[6:])
    if not 1 <= month <= 12 or day < 1:
        return None
    limit = _DAYS_IN_MONTH[month]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        limit = 29
    if day > limit or year < 1:
        return None
    return date(year, month, day)


def _is_future(birth: date, today: date | None) -> bool:
    """True when birth lies after the office's today; skips the clock for dates already known to be past."""
    global _known_past
    if today is not None:
        return birth > today
    if birth <= _known_past:  # time only moves forward, so an earlier "today" is a safe bound
        return False
    _known_past = clock.today()
    return birth > _known_past


_known_past = clock.today()


def _birth_error(digits8: str, birth: date | None, today: date | None) -> Message | None:
    """Return the error for the birth-date part of a number, if any."""
    shown = f"{digits8[:4]}-{digits8[4:6]}-{digits8[6:]}"
    if birth is None:
        return Message("id_birth_invalid", N_("The ID number contains a date of birth that does not exist: %(date)s"),
                       {"date": shown})
    if birth.year < _MIN_YEAR:
        return Message("id_birth_invalid", N_("The ID number gives a date of birth before 1900: %(date)s"),
                       {"date": shown})
    if _is_future(birth, today):
        return Message("id_birth_future", N_("The ID number gives a date of birth in the future: %(date)s"),
                       {"date": shown})
    return None


def _chars_error(number: str, digit_count: int) -> Message | None:
    """Return an error naming the first character that is not allowed at its position."""
    if number.isascii() and number[:digit_count].isdigit() and (
            len(number) == digit_count or number[-1] in "0123456789X"):
        return None
    for pos, ch in enumerate(number, start=1):
        if ch in _DIGITS or (pos == 18 and ch == "X" and digit_count == 17):
            continue
        return Message("id_chars", N_("The ID number may contain only digits (and X as the last character); "
                                      "found \"%(char)s\" at position %(position)d"),
                       {"char": ch, "position": pos})
    return None


def _upgrade_15(number: str, today: date | None) -> tuple[str | None, Message]:
    """Turn a 15-digit number into the 18-digit form; return (new number, warning) or (None, error)."""
    first17 = number[:6] + "19" + number[6:]
    error = _birth_error(first17[6:14], _parse_birth(first17[6:14]), today)
    if error is not None:
        return None, error
    upgraded = first17 + check_char(first17)
    return upgraded, Message("id_upgraded_15", N_("The old 15-digit ID number was upgraded to the 18-digit number "
                                                  "%(number)s"), {"number": upgraded})


def _result(raw: str, number: str | None, errors: list[Message], warnings: list[Message]) -> IdCheck:
    """Build an IdCheck that carries no derived facts (used for rejected numbers)."""
    return IdCheck(raw, number, tuple(errors), tuple(warnings), None, None, None, None)


def check(raw: str | None, today: date | None = None) -> IdCheck:
    """Check one ID number and derive birth date, gender and region when it is valid."""
    if raw is None:
        raw = ""
    elif not isinstance(raw, str):  # spreadsheet cells may arrive as numbers
        raw = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
    number = normalize(raw)
    warnings: list[Message] = []
    if not number:
        return _result(raw, None, [Message("id_required", N_("The ID number is required"))], warnings)
    if len(number) == 15:
        error = _chars_error(number, 15)
        if error is None:
            upgraded, msg = _upgrade_15(number, today)
            if upgraded is None:
                return _result(raw, None, [msg], warnings)
            number = upgraded
            warnings.append(msg)
        else:
            return _result(raw, None, [error], warnings)
    elif len(number) != 18:
        return _result(raw, None, [Message("id_length", N_("The ID number must have 18 characters (or 15 for an old "
                                                           "number) but has %(length)d"),
                                           {"length": len(number)})], warnings)
    return _check18(raw, number, today, warnings)


def _check18(raw: str, number: str, today: date | None, warnings: list[Message]) -> IdCheck:
    """Check an 18-character normalised number."""
    error = _chars_error(number, 17)
    if error is not None:
        return _result(raw, number, [error], warnings)
    errors: list[Message] = []
    birth = _parse_birth(number[6:14])
    error = _birth_error(number[6:14], birth, today)
    if error is not None:
        errors.append(error)
    if check_char(number[:17]) != number[17]:
        errors.append(Message("id_checksum", N_("The check character (the last character) of the ID number is wrong; "
                                                "the number was probably mistyped")))
    if errors:
        return _result(raw, number, errors, warnings)
    code = number[:6]
    name = region_name(code)
    if name is None:
        warnings.append(Message("id_region_unknown", N_("The region code %(code)s of the ID number is not in the "
                                                        "code table; please verify the number"), {"code": code}))
    gender = "M" if int(number[16]) % 2 else "F"
    return IdCheck(raw, number, (), tuple(warnings), birth, gender, code, name)


def validate(raw: str, today: date | None = None) -> str:
    """Return the normalised number, or raise IdNumberError carrying the errors."""
    result = check(raw, today)
    if result.errors:
        raise IdNumberError(*result.errors)
    assert result.number is not None
    return result.number


_GENDER_ALIASES = {"M": "M", "F": "F", "1": "M", "2": "F", "男": "M", "女": "F", "男性": "M", "女性": "F"}


def consistency(result: IdCheck, birth_date: date | None = None, gender: str | None = None) -> tuple[Message, ...]:
    """Return messages for an entered birth date or gender that disagrees with a valid number."""
    messages: list[Message] = []
    if not result.ok:
        return ()
    if isinstance(birth_date, datetime):
        birth_date = birth_date.date()
    if birth_date is not None and result.birth_date is not None and birth_date != result.birth_date:
        messages.append(Message("id_birth_mismatch", N_("The date of birth %(entered)s does not match the ID number, "
                                                        "which gives %(derived)s"),
                                {"entered": birth_date.isoformat(), "derived": result.birth_date.isoformat()}))
    entered = _GENDER_ALIASES.get(str(gender).strip().upper()) if gender not in (None, "") else None
    if entered is not None and result.gender is not None and entered != result.gender:
        if entered == "F":
            msg = N_("The gender is entered as female but the ID number belongs to a male (odd order code)")
        else:
            msg = N_("The gender is entered as male but the ID number belongs to a female (even order code)")
        messages.append(Message("id_gender_mismatch", msg))
    return tuple(messages)


def make_id(region: str, birth: date, seq: int) -> str:
    """Build a valid 18-digit number from a 6-digit region code, a birth date and an order code 0-999."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"seq must be 0-999, got {seq}")
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


# ---- region names from python-stdnum's cn/loc data (historical GB/T 2260 codes) ----

def _latest_name(value: str) -> str:
    """Return the most recent name from a value like "[-1991]东郊区,[1992-]东丽区"."""
    last = value.split(",")[-1]
    return last.split("]", 1)[1] if last.startswith("[") else last


@lru_cache(maxsize=1)
def _region_table() -> dict[str, str]:
    """Map every 6-digit code in stdnum's cn/loc data to its full name, built once."""
    from stdnum import numdb  # imported lazily: only needed when a name is looked up

    raw: dict[str, str] = {}
    provinces: dict[str, str] = {}
    for _len, prov, _hi, props, children in numdb.get("cn/loc").prefixes:
        provinces[prov] = props.get("province", "")
        for _clen, suffix, _chi, cprops, _gc in children:
            if cprops.get("county"):
                raw[prov + suffix] = _latest_name(cprops["county"])
    table: dict[str, str] = {}
    for code, name in raw.items():
        table[code] = _join_name(code, name, provinces.get(code[:2], ""), raw)
    return table


def _join_name(code: str, name: str, province: str, raw: dict[str, str]) -> str:
    """Join province, prefecture and county names, skipping placeholders such as 市辖区, 县 and 省直辖…."""
    if code.endswith("0000"):
        return province or name
    parts = [province]
    prefecture = raw.get(code[:4] + "00")
    if not code.endswith("00") and _real_prefecture(prefecture, province):
        parts.append(prefecture)
    parts.append(name)
    return "".join(parts)


def _real_prefecture(name: str | None, province: str) -> bool:
    """True for a real prefecture name, False for a grouping placeholder."""
    return bool(name) and name not in ("市辖区", "县", province) and "直辖" not in name


def region_name(code: str) -> str | None:
    """Return the full region name for a 6-digit code (current or retired), or None if unknown."""
    return _region_table().get(code)


if __name__ == "__main__":
    import timeit

    region_name("110105")
    for sample in ("11010519491231002X", "110105194912310021", "110105491231002"):
        secs = timeit.timeit(lambda s=sample: check(s), number=100_000) / 100_000
        print(f"check({sample!r}): {secs * 1e6:.2f} µs")
