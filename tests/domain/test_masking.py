"""Tests for masking ID and phone numbers."""
from __future__ import annotations

import datetime as dt

import pytest

from app.domain.masking import mask_birth_date, mask_changes, mask_id, mask_phone, mask_text


@pytest.mark.parametrize("value, expected", [
    ("11010519491231002X", "110105***********X"),
    (" 11010519491231002X ", "110105***********X"),
    ("110105********002X", "110105***********X"),  # an older, longer mask is hidden further
    ("110105***********X", "110105***********X"),
    ("110105491231002", "110**********02"),
    ("1234567890", "12******90"),
    ("123456789012", "123*******12"),
    ("12345678", "12****78"),
    ("1234", "1**4"),
    ("123", "***"),
    ("A", "*"),
    ("", ""),
    (None, ""),
])
def test_mask_id(value, expected):
    assert mask_id(value) == expected


def test_mask_id_hides_birth_date_and_order_code():
    masked = mask_id("11010519491231002X")
    assert "19491231" not in masked and "002" not in masked[14:17] and len(masked) == 18


@pytest.mark.parametrize("value, expected", [
    (dt.date(1990, 5, 6), "1990-**-**"), ("1990-05-06", "1990-**-**"), ("", ""), (None, ""), ("x", "****-**-**"),
])
def test_mask_birth_date_keeps_the_year_only(value, expected):
    assert mask_birth_date(value) == expected


def test_mask_text_masks_every_number_in_a_text():
    text = "新号码 13987654321，身份证 11010519491231002x，旧 110105********002X，座机 010-62345678，金额 300.00，2026-11-30"
    assert mask_text(text) == ("新号码 139****4321，身份证 110105***********X，旧 110105***********X，"
                               "座机 010-******78，金额 300.00，2026-11-30")
    assert mask_text(None) == ""


@pytest.mark.parametrize("value, expected", [
    ('{"phone": "13712345678", "name": "赵六"}', '{"phone": "137****5678", "name": "赵六"}'),
    ({"phone": "13712345678"}, {"phone": "137****5678"}),
    ("not json 13712345678", "not json 137****5678"),
    (None, None), ("", ""),
])
def test_mask_changes_masks_the_new_phone(value, expected):
    assert mask_changes(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("13800138000", "138****8000"),
    ("138 0013 8000", "138****8000"),
    ("138-0013-8000", "138****8000"),
    ("+8613800138000", "+86 138****8000"),
    ("010-12345678", "010-******78"),
    ("010 12345678", "010-******78"),
    ("01012345678", "010-******78"),
    ("021-1234567", "021-*****67"),
    ("0755-12345678", "0755-******78"),
    ("075512345678", "0755-******78"),
    ("12345", "***45"),
    ("5551234567", "********67"),
    ("1234", "****"),
    ("", ""),
    (None, ""),
])
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected
