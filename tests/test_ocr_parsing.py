"""Parsing and checking recognised lines without the model: labels in or beside the value's box, letter
look-alikes in the number, 长期, and a warning for every doubt (never a silent wrong value)."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain.idnumber import make_id
from app.ocr import checks, parsing
from app.ocr.engine import Line

TODAY = date(2026, 12, 1)
NUMBER = make_id("110105", date(1990, 3, 7), 123)  # odd order code: male


def lines(*rows):
    """Lines from (text, score) rows, one row per 50 px; a tuple row is several boxes on one line."""
    out = []
    for i, row in enumerate(rows):
        for j, item in enumerate(row if isinstance(row, list) else [row]):
            text, score = (item, 0.99) if isinstance(item, str) else item
            out.append(Line(text, score, 100 + j * 200, i * 50, 180 + j * 200, i * 50 + 30))
    return out


def front(number=NUMBER, sex="男", birth="1990年3月7日", score=0.99, name_row=None):
    return lines(name_row if name_row is not None else [("姓名", .99), ("赵六", score)], [("性别" + sex, .99), ("民族汉", .99)],
                 ("出生" + birth, .99), ("住址北京市朝阳区建国路", .99), ("8号院", .99),
                 [("公民身份号码", .99), (number, score)])


def test_front_fields_are_read_after_their_labels():
    res = checks.check(parsing.parse(front()), TODAY)
    assert res.side == "front" and res.id_valid is True and res.warnings == []
    assert res.values == {"name": "赵六", "gender": "M", "ethnicity": "01", "birth_date": "1990-03-07",
                          "address": "北京市朝阳区建国路8号院", "id_number": NUMBER}


def test_letter_lookalikes_in_the_number_become_digits():
    res = checks.check(parsing.parse(front(number=NUMBER.replace("0", "O", 1))), TODAY)
    assert res.values["id_number"] == NUMBER and res.id_valid


def test_a_number_failing_its_check_is_flagged_not_silent():
    wrong = NUMBER[:10] + str((int(NUMBER[10]) + 1) % 10) + NUMBER[11:]
    res = checks.check(parsing.parse(front(number=wrong)), TODAY)
    codes = [m.code for m in res.warnings]
    assert res.id_valid is False and "ocr_id_invalid" in codes and "id_checksum" in codes


@pytest.mark.parametrize("sex, birth, code", [("女", "1990年3月7日", "id_gender_mismatch"),
                                              ("男", "1991年3月7日", "id_birth_mismatch")])
def test_print_and_number_are_cross_checked(sex, birth, code):
    res = checks.check(parsing.parse(front(sex=sex, birth=birth)), TODAY)
    assert code in [m.code for m in res.warnings]


def test_low_confidence_and_missing_fields_are_warnings():
    res = checks.check(parsing.parse(front(name_row=[("姓名", .99), ("赵六", .6)])), TODAY)
    assert ("ocr_low_confidence", "Full name") in [(m.code, m.params.get("field")) for m in res.warnings]
    res = checks.check(parsing.parse(front(name_row=[("　", .99)])), TODAY)
    assert ("ocr_missing", "Full name") in [(m.code, m.params.get("field")) for m in res.warnings]
    assert res.confidence == 0.0


@pytest.mark.parametrize("period, valid_to, long_term", [("2015.03.01-2035.03.01", "2035-03-01", False),
                                                         ("2015.03.01-长期", None, True)])
def test_back_side_validity(period, valid_to, long_term):
    res = checks.check(parsing.parse(lines("中华人民共和国", "居民身份证", [("签发机关", .99), ("北京市公安局朝阳分局", .99)],
                                           [("有效期限", .99), (period, .99)])), TODAY)
    assert res.side == "back" and res.values["valid_to"] == valid_to and res.long_term is long_term
    assert res.values["issuer"] == "北京市公安局朝阳分局" and res.values["valid_from"] == "2015-03-01"
    assert res.warnings == []


def test_expired_card_is_flagged():
    res = checks.check(parsing.parse(lines([("有效期限", .99), ("2005.03.01-2015.03.01", .99)], "签发机关某公安局")), TODAY)
    assert "ocr_card_expired" in [m.code for m in res.warnings]


def test_no_card_text_is_a_warning():
    res = checks.check(parsing.parse(lines("会议纪要", "第三季度")), TODAY)
    assert res.side is None and [m.code for m in res.warnings] == ["ocr_no_card"]


def test_json_shape_nulls_the_other_side_and_masks_on_request():
    res = checks.check(parsing.parse(front()), TODAY)
    body = checks.as_json(res, str, mask_id=lambda n: n[:6] + "*" * 11 + n[-1])
    assert set(checks.KEYS) <= set(body)
    assert body["valid_to"] is None and body["issuer"] is None and NUMBER not in str(body)
