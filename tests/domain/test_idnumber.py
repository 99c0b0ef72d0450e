"""Tests for the GB 11643-1999 ID number rule."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from app.domain.errors import DomainError
from app.domain.idnumber import (IdCheck, IdNumberError, check, consistency, make_id, normalize, region_name,
                                 validate)

TODAY = date(2024, 6, 1)


def ref_check_char(first17: str) -> str:
    """Independent implementation of the GB 11643 check character, straight from the standard's formula."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # the standard defines Wi = 2^(i-1) mod 11, i from 18 down
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return "10X98765432"[total % 11]


def ref_id(region: str, birth: date, seq: int) -> str:
    """Build a valid number with the reference check character."""
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return first17 + ref_check_char(first17)


def codes(result: IdCheck) -> list[str]:
    """Error codes of a result."""
    return [m.code for m in result.errors]


def warning_codes(result: IdCheck) -> list[str]:
    """Warning codes of a result."""
    return [m.code for m in result.warnings]


def test_reference_helper_matches_known_example():
    assert ref_check_char("11010519491231002") == "X"


@pytest.mark.parametrize("raw, number, birth, gender", [
    ("11010519491231002X", "11010519491231002X", date(1949, 12, 31), "F"),
    ("11010519491231002x", "11010519491231002X", date(1949, 12, 31), "F"),
    ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X", date(1949, 12, 31), "F"),
    ("\u3000110105 19491231 002X \t", "11010519491231002X", date(1949, 12, 31), "F"),
    (ref_id("110105", date(1990, 5, 17), 123), ref_id("110105", date(1990, 5, 17), 123), date(1990, 5, 17), "M"),
    (ref_id("330113", date(2000, 2, 29), 8), ref_id("330113", date(2000, 2, 29), 8), date(2000, 2, 29), "F"),
])
def test_valid_numbers(raw, number, birth, gender):
    result = check(raw, TODAY)
    assert result.ok, result.errors
    assert result.number == number
    assert result.birth_date == birth
    assert result.gender == gender
    assert result.region_code == number[:6]
    assert result.raw == raw


def test_valid_number_region_name():
    result = check("11010519491231002X", TODAY)
    assert result.region_name == "北京市朝阳区"
    assert result.warnings == ()


@pytest.mark.parametrize("raw, code", [
    ("", "id_required"),
    ("   ", "id_required"),
    (None, "id_required"),
    ("1101051949123100", "id_length"),
    ("11010519491231002X1", "id_length"),
    ("110105194912310021", "id_checksum"),
    ("11010519491231A02X", "id_chars"),
    ("1101051949123100A", "id_length"),
    ("11010519491231002Y", "id_chars"),
    ("X10105194912310021", "id_chars"),
    (ref_id("110105", date(2024, 6, 2), 1), "id_birth_future"),
    ("110105" "19990230" "002" + ref_check_char("11010519990230002"), "id_birth_invalid"),
    ("110105" "19991301" "002" + ref_check_char("11010519991301002"), "id_birth_invalid"),
    ("110105" "19000229" "002" + ref_check_char("11010519000229002"), "id_birth_invalid"),
    ("110105" "18991231" "002" + ref_check_char("11010518991231002"), "id_birth_invalid"),
    ("11010549023000", "id_length"),
    ("110105990230002", "id_birth_invalid"),
    ("11010549123100X", "id_chars"),
])
def test_rejected_numbers(raw, code):
    result = check(raw, TODAY)
    assert not result.ok
    assert codes(result)[0] == code
    assert result.birth_date is None and result.gender is None and result.region_name is None


def test_wrong_length_message_names_length():
    result = check("12345", TODAY)
    assert result.errors[0].params == {"length": 5}
    assert "5" in str(result.errors[0])
    assert result.number is None


def test_checksum_message_does_not_reveal_expected_character():
    result = check("110105194912310021", TODAY)
    assert codes(result) == ["id_checksum"]
    assert result.errors[0].params == {}
    assert result.number == "110105194912310021"


def test_chars_message_names_position():
    result = check("11010519491231A02X", TODAY)
    assert result.errors[0].params == {"char": "A", "position": 15}


def test_impossible_date_and_bad_checksum_both_reported():
    result = check("11010519990230002X", TODAY)
    assert set(codes(result)) == {"id_birth_invalid", "id_checksum"}


def test_future_uses_the_office_today_by_default():
    """"Today" is the date in the office's zone (Asia/Shanghai), not the server's UTC date."""
    from app import clock

    tomorrow = clock.today() + timedelta(days=1)
    assert codes(check(ref_id("110105", tomorrow, 1))) == ["id_birth_future"]
    assert check(ref_id("110105", clock.today(), 1)).ok


def test_unknown_region_is_warning_only():
    number = ref_id("990101", date(1985, 3, 4), 17)
    result = check(number, TODAY)
    assert result.ok
    assert warning_codes(result) == ["id_region_unknown"]
    assert result.warnings[0].params == {"code": "990101"}
    assert result.region_name is None


def test_new_code_330113_is_accepted():
    result = check(ref_id("330113", date(2001, 1, 1), 11), TODAY)
    assert result.ok
    assert result.region_code == "330113"


@pytest.mark.parametrize("region, name", [
    ("110223", "北京市通县"),        # 通县, code retired in 1997 when it became 通州区
    ("110203", "北京市通县"),        # retired in 1982
    ("120110", "天津市东丽区"),      # renamed from 东郊区 in 1992: latest name wins
])
def test_retired_codes_are_valid_with_name(region, name):
    result = check(ref_id(region, date(1975, 7, 7), 21), TODAY)
    assert result.ok
    assert result.warnings == ()
    assert result.region_name == name


@pytest.mark.parametrize("code, name", [
    ("110000", "北京市"),
    ("330100", "浙江省杭州市"),
    ("330106", "浙江省杭州市西湖区"),
    ("429004", "湖北省仙桃市"),
    ("990101", None),
    ("330113", None),
])
def test_region_name(code, name):
    assert region_name(code) == name


def test_fifteen_digit_upgrade():
    result = check("110105491231002", TODAY)
    assert result.ok
    assert result.number == "11010519491231002X"
    assert warning_codes(result) == ["id_upgraded_15"]
    assert result.warnings[0].params == {"number": "11010519491231002X"}
    assert result.birth_date == date(1949, 12, 31)


def test_fifteen_digit_upgrade_matches_reference():
    result = check("330106800101123", TODAY)
    assert result.number == ref_id("330106", date(1980, 1, 1), 123)
    assert result.gender == "M"


def test_fifteen_digit_impossible_date_is_error():
    result = check("110105990230002", TODAY)
    assert codes(result) == ["id_birth_invalid"]
    assert result.number is None


def test_spreadsheet_number_cell():
    assert check(110105491231002, TODAY).number == "11010519491231002X"


@pytest.mark.parametrize("raw, expected", [
    (" 11010519491231002x ", "11010519491231002X"),
    ("１１０１０５ １９４９１２３１００２Ｘ", "11010519491231002X"),
    ("110105\u00a019491231\u200b002x", "11010519491231002X"),
    ("abc", "ABC"),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_validate_returns_number_or_raises():
    assert validate("11010519491231002x", TODAY) == "11010519491231002X"
    with pytest.raises(IdNumberError) as info:
        validate("110105194912310021", TODAY)
    assert isinstance(info.value, DomainError)
    assert info.value.code == "id_checksum"


@pytest.mark.parametrize("birth, gender, expected", [
    (date(1949, 12, 31), "F", []),
    (datetime(1949, 12, 31, 0, 0), "女", []),
    (None, None, []),
    (date(1949, 12, 30), None, ["id_birth_mismatch"]),
    (None, "M", ["id_gender_mismatch"]),
    (None, "男", ["id_gender_mismatch"]),
    (date(1950, 1, 1), "M", ["id_birth_mismatch", "id_gender_mismatch"]),
])
def test_consistency(birth, gender, expected):
    result = check("11010519491231002X", TODAY)
    messages = consistency(result, birth_date=birth, gender=gender)
    assert [m.code for m in messages] == expected


def test_consistency_birth_message_params():
    result = check("11010519491231002X", TODAY)
    (msg,) = consistency(result, birth_date=date(1949, 12, 30))
    assert msg.params == {"entered": "1949-12-30", "derived": "1949-12-31"}


def test_consistency_of_invalid_number_is_silent():
    assert consistency(check("110105194912310021", TODAY), date(2000, 1, 1), "M") == ()


def test_make_id_matches_reference():
    assert make_id("110105", date(1949, 12, 31), 2) == "11010519491231002X"
    assert make_id("330113", date(2010, 10, 10), 999) == ref_id("330113", date(2010, 10, 10), 999)


@pytest.mark.parametrize("region, seq", [("11010", 1), ("11010A", 1), ("110105", 1000), ("110105", -1)])
def test_make_id_rejects_bad_input(region, seq):
    with pytest.raises(ValueError):
        make_id(region, date(1990, 1, 1), seq)


def random_valid_numbers(count: int, seed: int = 20240601):
    """Yield (number, birth, seq) for random valid numbers built with the reference helper."""
    rng = random.Random(seed)
    regions = ["110105", "110223", "330113", "440305", "650107", "990101", "510104"]
    start, span = date(1900, 1, 1).toordinal(), (TODAY - date(1900, 1, 1)).days
    for _ in range(count):
        birth = date.fromordinal(start + rng.randint(0, span))
        seq = rng.randint(0, 999)
        number = ref_id(rng.choice(regions), birth, seq)
        yield (number.lower() if rng.random() < 0.2 else number), birth, seq


def test_random_valid_numbers_all_pass():
    seen = 0
    for number, birth, seq in random_valid_numbers(1000):
        result = check(number, TODAY)
        assert result.ok, (number, result.errors)
        assert result.number == number.upper()
        assert result.birth_date == birth
        assert result.gender == ("M" if seq % 2 else "F")
        assert make_id(number[:6], birth, seq) == number.upper()
        seen += 1
    assert seen == 1000


def test_random_single_digit_typos_are_caught():
    for number, _birth, _seq in random_valid_numbers(300, seed=7):
        pos = 14  # change one order-code digit: GB 11643's checksum detects every single-digit error
        wrong = number[:pos] + str((int(number[pos]) + 1) % 10) + number[pos + 1:]
        assert codes(check(wrong, TODAY)) == ["id_checksum"]
