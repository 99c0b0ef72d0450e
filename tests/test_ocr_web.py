"""The OCR on screens: 「从身份证扫描件识别」 on the resident add form, the pre-review comparison of a 居民身份证
material (differences flagged, the back's expiry stored), and the background check of unchecked materials."""
from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import enqueue
from app.models import AuditLog, Job, Resident
from app.ocr import engine, job as ocr_job, service
from tests.test_materials import api_upload, new_application, type_id

FIXTURES = Path(__file__).parent / "fixtures" / "ocr"
TRUTH = json.loads((FIXTURES / "truth.json").read_text(encoding="utf-8"))


def card_resident(app, world, fixture: str, **changes) -> str:
    """A resident of dept_a carrying the fixture card's data (with `changes`); returns a world-style key."""
    t = TRUTH[fixture]
    values = {"name": t["name"], "id_number": t["id_number"], "gender": "M" if int(t["id_number"][16]) % 2 else "F",
              "birth_date": dt.date.fromisoformat(t["id_number"][6:10] + "-" + t["id_number"][10:12] + "-"
                                                  + t["id_number"][12:14]),
              "department_id": world["dept_a"], "status": "active", **changes}
    with app.app_context():
        row = db.session.scalar(select(Resident).where(Resident.id_number == values["id_number"]))
        if row is None:
            row = Resident(**values)
            db.session.add(row)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        db.session.commit()
        world[f"ocr_{fixture}"] = row.id
    return f"ocr_{fixture}"


def upload_card(app, world, api, fixture: str, resident: str) -> int:
    """Upload a fixture as the 居民身份证 material of a new move-in application; the material id."""
    app_id = new_application(app, world, resident=resident)
    client, headers = api("t_officer")
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), (FIXTURES / f"{fixture}.png").read_bytes(),
                   f"{fixture}.png")
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["id"]


@pytest.mark.parametrize("user, shown", [("t_officer", True), ("t_hr", True)])
def test_add_form_offers_the_scan_button(app, login, user, shown):
    page = login(user).get("/residentview/add").get_data(as_text=True)
    assert ("从身份证扫描件识别" in page) is shown and ("hukou_ocr.js" in page) is shown


def test_add_form_hides_the_button_when_switched_off(app, login):
    c = login("t_officer")
    app.config["HUKOU_OCR_ENABLED"] = False
    try:
        page = c.get("/residentview/add").get_data(as_text=True)
    finally:
        app.config["HUKOU_OCR_ENABLED"] = True
    assert "从身份证扫描件识别" not in page and "hukou_ocr.js" not in page


@pytest.mark.parametrize("user, code", [("t_hr", 200), ("t_employee_a", 403), ("t_auditor", 403)])
def test_form_endpoint_fills_from_a_scan(app, login, monkeypatch, user, code):
    lines = engine.read_lines((FIXTURES / "front_photo.png").read_bytes()) if code == 200 else []
    monkeypatch.setattr(engine, "read_lines", lambda data, wait_seconds=10.0: lines)
    c = login(user)
    r = c.post("/residentview/ocr", headers={"X-CSRFToken": c.csrf}, content_type="multipart/form-data",
               data={"file": (io.BytesIO((FIXTURES / "front_photo.png").read_bytes()), "card.png")})
    assert r.status_code == code
    if code == 200:
        body = r.get_json()["result"]
        assert (body["name"], body["id_number"]) == (TRUTH["front_photo"]["name"], TRUTH["front_photo"]["id_number"])
        assert set(body["field_confidence"]) >= {"name", "id_number", "birth_date"}


def test_pre_review_flags_the_differences(app, world, api, login):
    key = card_resident(app, world, "front_clean", name="孔雅琬", former_address=None)
    pk = upload_card(app, world, api, "front_clean", key)
    c = login("t_officer")
    page = c.post(f"/materialview/ocr_compare/{pk}", data={"csrf_token": c.csrf}).get_data(as_text=True)
    assert "身份证与登记信息比对" in page and "1 处不一致" in page
    assert TRUTH["front_clean"]["name"] in page and "孔雅琬" in page
    assert TRUTH["front_clean"]["id_number"] not in page  # numbers stay masked on the page
    with app.app_context():
        row = db.session.scalars(select(AuditLog).where(AuditLog.action == service.AUDIT_ACTION,
                                                        AuditLog.object_type == "Material",
                                                        AuditLog.object_id == str(pk))).one()
        assert json.loads(row.detail)["differs"] == 1


def test_pre_review_of_the_back_stores_the_expiry(app, world, api, login):
    key = card_resident(app, world, "back_rot180", id_valid_to=None)
    pk = upload_card(app, world, api, "back_rot180", key)
    c = login("t_officer")
    page = c.post(f"/materialview/ocr_compare/{pk}", data={"csrf_token": c.csrf}).get_data(as_text=True)
    assert "背面" in page
    with app.app_context():
        assert db.session.get(Resident, world[key]).id_valid_to == dt.date.fromisoformat(
            TRUTH["back_rot180"]["valid_to"])


@pytest.mark.parametrize("user", ["t_employee_a", "t_approver_a"])
def test_pre_review_needs_the_verify_permission(app, world, api, login, user):
    pk = upload_card(app, world, api, "back_rot180", "res_a")
    c = login(user)
    assert c.post(f"/materialview/ocr_compare/{pk}", data={"csrf_token": c.csrf}).status_code in (302, 403)
    assert "身份证与登记信息比对" not in c.get(f"/materialview/show/{pk}").get_data(as_text=True)


def test_background_job_checks_each_unchecked_material_once(app, world, api):
    key = card_resident(app, world, "back_skew", id_valid_to=None)
    pk = upload_card(app, world, api, "back_skew", key)
    from app.security.actor import cli_actor

    with app.app_context():
        assert pk in ocr_job.unchecked(cli_actor())
    with app.test_request_context("/"):
        job_id = enqueue(ocr_job.KIND, world["users"]["t_officer"], {})  # the tests' queue runs it at once
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done", job.message
        assert "份身份证" in job.message
        assert db.session.get(Resident, world[key]).id_valid_to == dt.date.fromisoformat(TRUTH["back_skew"]["valid_to"])
        assert pk not in ocr_job.unchecked(cli_actor())
