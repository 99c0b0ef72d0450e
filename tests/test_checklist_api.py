"""REST: GET /api/v1/material-types/ (read-only) and GET /api/v1/applications/<id>/checklist (states, scope)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import ChecklistItem, MaterialType
from tests.test_materials import PDF, api_upload, new_application, type_id


def test_material_types_lists_every_type_with_its_checklists(app, api, client):
    c, headers = api("t_employee_a")
    r = c.get("/api/v1/material-types/", headers=headers)
    assert r.status_code == 200
    body = r.get_json()
    with app.app_context():
        n_types = db.session.scalar(select(func.count(MaterialType.id)))
        n_items = db.session.scalar(select(func.count(ChecklistItem.id)))
    assert body["count"] == n_types == len(body["result"])
    assert sum(len(t["checklists"]) for t in body["result"]) == n_items
    id_card = next(t for t in body["result"] if t["code"] == "id_card")
    assert id_card["id"] == type_id(app, "id_card") and id_card["name"] == "居民身份证"
    move_in = next(c for c in id_card["checklists"] if c["app_type"] == "move_in")
    assert move_in["required"] is True and move_in["app_type_label"] == "迁入"
    assert client.get("/api/v1/material-types/").status_code == 401
    for method in ("post", "put", "delete"):
        assert getattr(c, method)("/api/v1/material-types/", headers=headers).status_code == 405


def test_checklist_states_and_material_ids(app, world, api):
    app_id = new_application(app, world, app_type="page_reissue", creator="t_employee_a")
    c, headers = api("t_employee_a")
    r = c.get(f"/api/v1/applications/{app_id}/checklist", headers=headers)
    assert r.status_code == 200
    body = r.get_json()
    assert [(ln["code"], ln["state"], ln["state_label"]) for ln in body["result"]] == [
        ("id_card", "missing", "缺少"), ("loss_report", "missing", "缺少")]
    assert body["not_uploaded"] == body["not_verified"] == ["居民身份证", "遗失证明"]
    pk = api_upload(c, headers, app_id, type_id(app, "id_card"), PDF, "a.pdf").get_json()["id"]
    lost = api_upload(c, headers, app_id, type_id(app, "loss_report"), PDF, "b.pdf").get_json()["id"]
    officer, oh = api("t_officer")
    officer.post(f"/api/v1/materials/{lost}/return", headers=oh, json={"reason": "缺盖章"})
    body = c.get(f"/api/v1/applications/{app_id}/checklist", headers=headers).get_json()
    lines = {ln["code"]: ln for ln in body["result"]}
    assert (lines["id_card"]["state"], lines["id_card"]["state_label"], lines["id_card"]["material_ids"]) == (
        "pending", "待核验", [pk])
    assert (lines["loss_report"]["state"], lines["loss_report"]["return_reason"]) == ("returned", "缺盖章")
    assert body["not_uploaded"] == ["遗失证明"] and body["not_verified"] == ["居民身份证", "遗失证明"]
    officer.post(f"/api/v1/materials/{pk}/verify", headers=oh, json={})
    body = officer.get(f"/api/v1/applications/{app_id}/checklist", headers=oh).get_json()
    assert {ln["code"]: ln["state_label"] for ln in body["result"]} == {"id_card": "已核验", "loss_report": "已退回"}


def test_optional_items_are_listed_too(app, world, api):
    app_id = new_application(app, world, app_type="info_change")
    c, headers = api("t_officer")
    body = c.get(f"/api/v1/applications/{app_id}/checklist", headers=headers).get_json()
    optional = [ln["code"] for ln in body["result"] if not ln["required"]]
    assert "marriage_cert" in optional and body["not_uploaded"] == ["居民身份证"]


def test_checklist_is_row_scoped(app, world, api):
    app_id = new_application(app, world, creator="t_employee_a")
    for user, code in (("t_employee_b", 404), ("t_approver_b", 404), ("t_approver_a", 200), ("t_auditor", 200)):
        c, headers = api(user)
        assert c.get(f"/api/v1/applications/{app_id}/checklist", headers=headers).status_code == code, user
    c, headers = api("t_officer")
    assert c.get("/api/v1/applications/999999999/checklist", headers=headers).status_code == 404


def test_new_endpoints_are_in_the_openapi_document(app, api):
    c, headers = api("t_officer")
    spec = c.get("/api/v1/_openapi", headers=headers).get_json()
    assert "get" in spec["paths"]["/api/v1/material-types/"]
    op = spec["paths"]["/api/v1/applications/{pk}/checklist"]["get"]
    assert {"200", "401", "403", "404"} <= set(op["responses"])
    line = spec["components"]["schemas"]["ChecklistLine"]
    assert line["properties"]["state"]["enum"] == ["missing", "pending", "verified", "returned"]
