"""Tests for masking ID and phone numbers."""
from __future__ import annotations

import pytest

from app.domain.masking import mask_id, mask_phone


@pytest.mark.parametrize("value, expected", [
    ("11010519491231002X", "110105********002X"),
    (" 11010519491231002X ", "110105********002X"),
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
    assert "19491231" not in masked and len(masked) == 18


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
