"""The OCR engine on committed synthetic card images (tests/fixtures/ocr, made once by bench/ocr_cards.py):
front and back, rotated 90/180°, skewed on a desk, photo-like; a PDF's first page. The model loads once."""
from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from app.ocr import checks, engine, parsing

FIXTURES = Path(__file__).parent / "fixtures" / "ocr"
TRUTH = json.loads((FIXTURES / "truth.json").read_text(encoding="utf-8"))
TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def readings():
    """Every fixture read once: name → CardResult."""
    return {name: checks.check(parsing.parse(engine.read_lines((FIXTURES / f"{name}.png").read_bytes())), TODAY)
            for name in TRUTH}


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_fixture_is_read_exactly(readings, name):
    truth, res = TRUTH[name], readings[name]
    assert res.side == truth["side"]
    if truth["side"] == "front":
        assert res.values["id_number"] == truth["id_number"]
        assert res.id_valid is True
        assert res.values["name"] == truth["name"]
        assert res.values["birth_date"] == truth["birth_date"]
        assert res.values["gender"] == {"男": "M", "女": "F"}[truth["gender"]]
        assert res.values["address"] == truth["address"]
    else:
        assert res.values.get("valid_to") == truth["valid_to"] and res.long_term == (truth["valid_to"] is None)
        assert res.values["valid_from"] == truth["valid_from"]
        assert res.values["issuer"] == truth["issuer"]
    assert res.confidence > checks.LOW_SCORE
    assert [m.code for m in res.warnings if m.code != "ocr_card_expired"] == []


def test_first_page_of_a_pdf_is_read():
    buf = io.BytesIO()
    Image.open(FIXTURES / "front_clean.png").convert("RGB").save(buf, "PDF", resolution=150)
    res = checks.check(parsing.parse(engine.read_lines(buf.getvalue())), TODAY)
    assert res.values["id_number"] == TRUTH["front_clean"]["id_number"]


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"%PDF-1.4\n%%EOF\n", b"\x89PNG\r\n\x1a\n" + b"0" * 40])
def test_unreadable_files_are_a_chinese_422_error(data):
    with pytest.raises(engine.BadImage) as err:
        engine.read_lines(data)
    assert err.value.http_status == 422 and err.value.code == "ocr_bad_image"


def test_busy_engine_raises_after_the_wait():
    assert engine._run_lock.acquire(timeout=5)
    try:
        with pytest.raises(engine.EngineBusy) as err:
            engine.read_lines((FIXTURES / "front_clean.png").read_bytes(), wait_seconds=0.05)
        assert err.value.http_status == 503
    finally:
        engine._run_lock.release()


def test_the_model_is_loaded_once():
    assert engine.model() is engine.model()
