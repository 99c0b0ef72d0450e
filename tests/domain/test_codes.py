"""Tests for the national code tables."""
from __future__ import annotations

import pytest

from app.domain.codes import (EDUCATION, ETHNICITY, GB_TO_GENDER, GENDER, GENDER_GB, GENDER_TO_GB, MARITAL,
                              choices, education_rank, lookup)


def test_ethnicity_has_56_groups_with_consecutive_codes_plus_two():
    groups = {code: name for code, name in ETHNICITY.items() if code not in ("97", "98")}
    assert sorted(groups) == [f"{i:02d}" for i in range(1, 57)]
    assert len(set(groups.values())) == 56
    assert all(name.endswith("族") for name in groups.values())
    assert ETHNICITY["97"] == "其他" and ETHNICITY["98"] == "外国血统中国籍人士"


@pytest.mark.parametrize("code, name", [
    ("01", "汉族"), ("02", "蒙古族"), ("05", "维吾尔族"), ("10", "朝鲜族"), ("11", "满族"), ("15", "土家族"),
    ("29", "柯尔克孜族"), ("30", "土族"), ("36", "毛南族"), ("43", "乌孜别克族"), ("46", "德昂族"),
    ("49", "京族"), ("55", "珞巴族"), ("56", "基诺族"),
])
def test_ethnicity_spot_checks(code, name):
    assert ETHNICITY[code] == name


def test_marital_table():
    assert MARITAL == {"10": "未婚", "20": "已婚", "21": "初婚", "22": "再婚", "23": "复婚", "30": "丧偶",
                       "40": "离婚", "90": "未说明的婚姻状况"}


@pytest.mark.parametrize("code, name", [
    ("10", "研究生教育"), ("11", "博士研究生毕业"), ("14", "硕士研究生毕业"), ("19", "研究生班肄业"),
    ("20", "大学本科教育"), ("21", "大学本科毕业"), ("28", "大学普通班毕业"), ("30", "大学专科教育"),
    ("31", "大学专科毕业"), ("40", "中等职业教育"), ("47", "技工学校毕业"), ("60", "普通高级中学教育"),
    ("61", "普通高中毕业"), ("70", "初级中学教育"), ("73", "初中肄业"), ("80", "小学教育"), ("83", "小学肄业"),
    ("90", "其他"),
])
def test_education_spot_checks(code, name):
    assert EDUCATION[code] == name


def test_education_codes_have_a_level():
    levels = {code for code in EDUCATION if code.endswith("0")}
    assert levels == {"10", "20", "30", "40", "60", "70", "80", "90"}
    assert all(code[0] + "0" in levels for code in EDUCATION)


@pytest.mark.parametrize("table, value, code", [
    (ETHNICITY, "01", "01"), (ETHNICITY, "汉族", "01"), (ETHNICITY, "汉", "01"), (ETHNICITY, 1, "01"),
    (ETHNICITY, 1.0, "01"), (ETHNICITY, "1", "01"), (ETHNICITY, "０１", "01"), (ETHNICITY, " 回 族 ", "03"),
    (ETHNICITY, "蒙古", "02"), (ETHNICITY, "崩龙族", "46"), (ETHNICITY, "毛难族", "36"), (ETHNICITY, "土", "30"),
    (ETHNICITY, "其他", "97"), (ETHNICITY, "外国血统中国籍人士", "98"),
    (MARITAL, "已婚", "20"), (MARITAL, "离异", "40"), (MARITAL, 10, "10"), (MARITAL, "未说明的婚姻状况", "90"),
    (EDUCATION, "本科", "21"), (EDUCATION, "大学本科", "21"), (EDUCATION, "大学本科毕业", "21"),
    (EDUCATION, "本科肄业", "23"), (EDUCATION, "大专", "31"), (EDUCATION, "专科结业", "32"),
    (EDUCATION, "硕士", "14"), (EDUCATION, "博士研究生", "11"), (EDUCATION, "硕士肄业", "16"),
    (EDUCATION, "研究生", "10"), (EDUCATION, "研究生教育", "10"), (EDUCATION, "中专", "41"),
    (EDUCATION, "技校", "47"), (EDUCATION, "高中", "61"), (EDUCATION, "高中肄业", "63"), (EDUCATION, "初中", "71"),
    (EDUCATION, "小学", "81"), (EDUCATION, 21, "21"), (EDUCATION, "其他", "90"),
    (GENDER, "M", "M"), (GENDER, "m", "M"), (GENDER, "男", "M"), (GENDER, "女", "F"), (GENDER, "女性", "F"),
    (GENDER, "1", "M"), (GENDER, 2, "F"), (GENDER, "Female", "F"),
])
def test_lookup_found(table, value, code):
    assert lookup(table, value) == code


@pytest.mark.parametrize("table, value", [
    (ETHNICITY, None), (ETHNICITY, ""), (ETHNICITY, "  "), (ETHNICITY, "57"), (ETHNICITY, "穿青人"),
    (ETHNICITY, "001"), (ETHNICITY, True), (MARITAL, "1"), (MARITAL, "同居"), (EDUCATION, "学前"),
    (EDUCATION, 2.5), (GENDER, "0"), (GENDER, "X"),
])
def test_lookup_not_found(table, value):
    assert lookup(table, value) is None


def test_lookup_works_on_a_plain_dict():
    assert lookup({"1": "甲", "2": "乙"}, "乙") == "2"
    assert lookup({"1": "甲"}, "丙") is None


def test_every_name_and_code_round_trips():
    for table in (ETHNICITY, MARITAL, EDUCATION, GENDER):
        for code, name in table.items():
            assert lookup(table, code) == code
            assert lookup(table, name) == code


def test_aliases_point_to_existing_codes():
    for table in (ETHNICITY, MARITAL, EDUCATION, GENDER):
        assert set(table.aliases.values()) <= set(table)


@pytest.mark.parametrize("higher, lower", [
    ("11", "21"), ("17", "28"), ("13", "21"), ("21", "31"), ("33", "41"), ("49", "61"), ("61", "71"),
    ("73", "81"), ("83", "90"), ("本科", "大专"), ("硕士", "本科"),
])
def test_education_rank_order(higher, lower):
    assert education_rank(higher) > education_rank(lower)


@pytest.mark.parametrize("a, b", [("10", "11"), ("11", "19"), ("20", "28"), ("40", "47"), ("70", "73")])
def test_education_rank_sub_levels_rank_with_level(a, b):
    assert education_rank(a) == education_rank(b)


def test_education_rank_unknown_raises():
    with pytest.raises(ValueError):
        education_rank("99")


def test_gender_gb_mapping():
    assert GENDER_TO_GB == {"M": "1", "F": "2"}
    assert {GB_TO_GENDER[gb] for gb in ("1", "2")} == {"M", "F"}
    assert GENDER_GB["1"] == "男性" and GENDER_GB["2"] == "女性"


def test_choices_sorted_by_code():
    result = choices(ETHNICITY)
    assert [code for code, _ in result] == sorted(ETHNICITY)
    assert result[0] == ("01", "汉族") and result[-1] == ("98", "外国血统中国籍人士")
    assert choices(EDUCATION)[0] == ("10", "研究生教育")


def test_gender_choices_follow_gb_order():
    assert choices(GENDER) == [("M", "男"), ("F", "女")]
