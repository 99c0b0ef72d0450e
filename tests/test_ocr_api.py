"""POST /api/v1/ocr/id-card: who may call it, what it answers (masked for masked roles), the audit row of
every call, the setting that switches it off and the 503 of a busy engine."""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.domain.masking import mask_id
from app.extensions import db
from app.models import AuditLog
from app.ocr import engine, service
from tests.test_materials import new_application
from tests.world import USERS as ROLE_OF

FIXTURES = Path(__file__).parent / "fixtures" / "ocr"
TRUTH = json.loads((FIXTURES / "truth.json").read_text(encoding="utf-8"))
FRONT = (FIXTURES / "front_clean.png").read_bytes()
URL = "/api/v1/ocr/id-card"
# Who may call it without an application: may add residents (Resident write); employees need their own one.
ALLOWED = {"t_officer", "t_hr", "t_admin"}
UNMASKED = {"t_officer", "t_hr", "t_admin"}


@pytest.fixture(scope="module")
def front_lines():
    """The real engine's lines of the clean front, read once for the module."""
    return engine.read_lines(FRONT)


@pytest.fixture
def fake_engine(monkeypatch, front_lines):
    """The engine answers instantly with the clean front's lines (the permission matrix needs no CPU)."""
    monkeypatch.setattr(engine, "read_lines", lambda data, wait_seconds=10.0: front_lines)


def post(client, headers, data=FRONT, **form):
    return client.post(URL, headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "身份证.png"), **form})


def last_audit(app) -> AuditLog:
    with app.app_context():
        return db.session.scalars(select(AuditLog).where(AuditLog.action == service.AUDIT_ACTION)
                                  .order_by(AuditLog.id.desc()).limit(1)).one()


@pytest.mark.parametrize("user", sorted(ROLE_OF))
def test_who_may_read_a_card_without_an_application(app, api, fake_engine, user):
    client, headers = api(user)
    r = post(client, headers)
    assert r.status_code == (200 if user in ALLOWED else 403), r.get_data(as_text=True)
    if r.status_code == 403:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.get_json()["message"])
        return
    number = TRUTH["front_clean"]["id_number"]
    assert r.get_json()["result"]["id_number"] == (number if user in UNMASKED else mask_id(number))


@pytest.mark.parametrize("user, resident, code", [("t_employee_a", "res_a", 200), ("t_employee_a", "res_b", 404),
                                                  ("t_employee_b", "res_a", 404), ("t_officer", "res_b", 200),
                                                  ("t_approver_a", "res_a", 403)])
def test_employee_only_for_their_own_application(app, world, api, fake_engine, user, resident, code):
    app_id = new_application(app, world, resident=resident, dept="dept_a" if resident == "res_a" else "dept_b")
    client, headers = api(user)
    r = post(client, headers, application_id=str(app_id))
    assert r.status_code == code, r.get_data(as_text=True)
    if user.startswith("t_employee") and code == 200:
        body = r.get_json()["result"]
        assert body["id_number"] == mask_id(TRUTH["front_clean"]["id_number"])  # employees see numbers masked
        assert TRUTH["front_clean"]["id_number"] not in r.get_data(as_text=True)


def test_real_engine_answer_and_audit_row(app, api):
    client, headers = api("t_officer")
    r = post(client, headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    body, truth = r.get_json()["result"], TRUTH["front_clean"]
    assert (body["side"], body["name"], body["id_number"], body["birth_date"], body["id_valid"]) == (
        "front", truth["name"], truth["id_number"], truth["birth_date"], True)
    assert body["valid_to"] is None and body["issuer"] is None and 0 < body["confidence"] <= 1
    row = last_audit(app)
    detail = json.loads(row.detail)
    assert row.username == "t_officer" and row.success
    assert detail["sha256"] == hashlib.sha256(FRONT).hexdigest() and detail["side"] == "front"
    assert truth["id_number"] not in row.detail and truth["name"] not in row.detail


def test_bad_file_is_422_in_chinese_and_audited_as_failed(app, api):
    client, headers = api("t_officer")
    r = post(client, headers, data=b"GIF89a not a card")
    assert r.status_code == 422 and "JPG" in r.get_json()["message"]
    row = last_audit(app)
    assert not row.success and json.loads(row.detail)["ocr_error"] == "ocr_bad_image"


def test_missing_file_and_unknown_fields_are_422(app, api):
    client, headers = api("t_officer")
    r = client.post(URL, headers=headers, content_type="multipart/form-data", data={})
    assert r.status_code == 422 and "file" in r.get_json()["message"]
    r = post(client, headers, resident_id="1")
    assert r.status_code == 422 and "resident_id" in r.get_json()["message"]


def test_busy_engine_is_503_in_chinese(app, api):
    client, headers = api("t_officer")
    app.config["HUKOU_OCR_WAIT_SECONDS"] = 0.05
    assert engine._run_lock.acquire(timeout=5)
    try:
        r = post(client, headers)
    finally:
        engine._run_lock.release()
        app.config["HUKOU_OCR_WAIT_SECONDS"] = 10
    assert r.status_code == 503 and "正忙" in r.get_json()["message"]


def test_switched_off_is_404_in_chinese(app, api):
    client, headers = api("t_officer")
    app.config["HUKOU_OCR_ENABLED"] = False
    try:
        r = post(client, headers)
    finally:
        app.config["HUKOU_OCR_ENABLED"] = True
    assert r.status_code == 404 and "关闭" in r.get_json()["message"]


def test_requires_a_token(client):
    assert client.post(URL).status_code == 401
