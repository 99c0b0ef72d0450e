"""Materials: upload (sniffed, size-limited, atomic), scoped download, verify/stamp/return, delete, missing items."""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, AuditLog, Material, MaterialType

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%" + b"x" * 2000 + b"\ntrailer<<>>\n%%EOF\n"  # %%EOF in the last KiB
# The PNG signature and a 1×1 IHDR chunk with its CRC: what the upload check parses.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00" * 500
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500


def new_application(app, world, resident: str = "res_a", dept: str = "dept_a", status: str = "draft",
                    app_type: str = "move_in", creator: str = "t_officer") -> int:
    """An application row made directly with the model (the application screens are not needed)."""
    with app.app_context():
        row = Application(type=app_type, status=status, resident_id=world[resident],
                          department_id=world[dept], created_by_id=world["users"][creator])
        db.session.add(row)
        db.session.commit()
        return row.id


def type_id(app, code: str) -> int:
    """The id of a seeded material type."""
    with app.app_context():
        return db.session.scalar(select(MaterialType.id).where(MaterialType.code == code))


def set_status(app, app_id: int, status: str) -> None:
    """Move an application to a status directly (the workflow engine is tested elsewhere)."""
    with app.app_context():
        db.session.get(Application, app_id).status = status
        db.session.commit()


def count_materials(app, app_id: int) -> int:
    """How many materials an application has."""
    with app.app_context():
        return db.session.scalar(select(func.count(Material.id)).where(Material.application_id == app_id))


def stored_files(app) -> set[str]:
    """Every file (including temp files) in the upload folder."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def api_upload(client, headers, app_id: int, mtype: int, data: bytes, name: str):
    """POST a multipart upload to the REST API."""
    return client.post("/api/v1/materials/", headers=headers, content_type="multipart/form-data",
                       data={"application_id": str(app_id), "material_type_id": str(mtype),
                             "file": (io.BytesIO(data), name)})


def web_upload(c, app_id: int, mtype: int, data: bytes, name: str):
    """POST the upload form of the application page."""
    return c.post(f"/materialview/upload/{app_id}", content_type="multipart/form-data",
                  data={"csrf_token": c.csrf, "material_type_id": str(mtype), "next": "/materialview/list/",
                        "file": (io.BytesIO(data), name)})


@pytest.fixture
def officer_api(api):
    """(client, headers) of the officer."""
    return api("t_officer")


@pytest.fixture
def uploaded(app, world, officer_api):
    """A PDF uploaded by the officer to a dept_a draft application: (application id, material id)."""
    app_id = new_application(app, world)
    client, headers = officer_api
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "身份证 正反面.pdf")
    assert r.status_code == 201, r.get_data(as_text=True)
    return app_id, r.get_json()["id"]


def filename_star(header: str) -> str:
    """The UTF-8 file name of a Content-Disposition header."""
    m = re.search(r"filename\*=UTF-8''([^;]+)", header)
    assert m, header
    return unquote(m.group(1))


def test_upload_keeps_chinese_name_and_download_round_trips(app, world, officer_api, login):
    app_id = new_application(app, world)
    client, headers = officer_api
    name = "户口迁移证（扫描件）.pdf"
    r = api_upload(client, headers, app_id, type_id(app, "migration_cert"), PDF, name)
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()["result"]
    assert body["original_name"] == name and body["kind"] == "pdf" and body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    with app.app_context():
        m = db.session.get(Material, body["id"])
        stored = Path(app.config["UPLOAD_FOLDER"]) / m.storage_name
        assert re.fullmatch(r"[0-9a-f]{32}", m.storage_name) and stored.read_bytes() == PDF
        assert m.uploaded_by_id == world["users"]["t_officer"] and m.uploaded_at is not None
    for c, url, hdrs in ((client, f"/api/v1/materials/{body['id']}/file", headers),
                         (login("t_officer"), f"/materialview/download/{body['id']}", {})):
        d = c.get(url, headers=hdrs)
        assert d.status_code == 200 and d.data == PDF
        assert d.mimetype == "application/pdf"
        assert d.headers["X-Content-Type-Options"] == "nosniff"
        assert filename_star(d.headers["Content-Disposition"]) == name
    with app.app_context():
        downloads = db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "download", AuditLog.object_type == "Material",
            AuditLog.object_id == str(body["id"])))
    assert downloads == 2


def test_type_is_sniffed_from_content_not_extension(app, world, officer_api):
    app_id = new_application(app, world)
    client, headers = officer_api
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), PNG, "照片.pdf")
    assert r.status_code == 201
    assert r.get_json()["result"]["kind"] == "png" and r.get_json()["result"]["original_name"] == "照片.png"


def test_exe_renamed_pdf_is_rejected_with_chinese_message(app, world, officer_api):
    app_id = new_application(app, world)
    client, headers = officer_api
    before = stored_files(app)
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), EXE, "劳动合同.pdf")
    assert r.status_code == 422
    assert "劳动合同.pdf" in r.get_json()["message"] and "只能上传 PDF、JPG 和 PNG" in r.get_json()["message"]
    assert count_materials(app, app_id) == 0 and stored_files(app) == before


@pytest.mark.parametrize("size_mb", [1.5, 3])  # 1.5: our exact check; 3: beyond MAX_CONTENT_LENGTH
def test_oversized_upload_is_413_and_writes_nothing(app, world, officer_api, monkeypatch, size_mb):
    monkeypatch.setitem(app.config, "HUKOU_UPLOAD_MAX_MB", 1)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    app_id = new_application(app, world)
    client, headers = officer_api
    before = stored_files(app)
    data = PDF + b"0" * int(size_mb * 1024 * 1024)
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), data, "大文件.pdf")
    assert r.status_code == 413
    assert count_materials(app, app_id) == 0 and stored_files(app) == before


def test_web_upload_by_employee_on_own_application(app, world, login):
    app_id = new_application(app, world, creator="t_employee_a")
    c = login("t_employee_a")
    r = web_upload(c, app_id, type_id(app, "id_card"), PDF, "我的身份证.pdf")
    assert r.status_code == 302
    assert count_materials(app, app_id) == 1


@pytest.mark.parametrize("resident, dept", [("res_a2", "dept_a"), ("res_b", "dept_b")])
def test_employee_cannot_upload_to_anothers_application(app, world, login, api, resident, dept):
    app_id = new_application(app, world, resident=resident, dept=dept)
    c = login("t_employee_a")
    assert web_upload(c, app_id, type_id(app, "id_card"), PDF, "a.pdf").status_code == 404
    client, headers = api("t_employee_a")
    assert api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "a.pdf").status_code == 404
    assert count_materials(app, app_id) == 0


def test_material_type_must_be_on_the_checklist(app, world, officer_api):
    app_id = new_application(app, world, app_type="certificate")
    client, headers = officer_api
    r = api_upload(client, headers, app_id, type_id(app, "labor_contract"), PDF, "合同.pdf")
    assert r.status_code == 422 and "劳动合同" in r.get_json()["message"]
    assert count_materials(app, app_id) == 0


@pytest.mark.parametrize("status, allowed", [("draft", True), ("needs_materials", True), ("submitted", True),
                                             ("dept_review", False), ("archived", False)])
def test_employee_upload_depends_on_status(app, world, api, status, allowed):
    app_id = new_application(app, world, status=status, creator="t_employee_a")
    client, headers = api("t_employee_a")
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "a.pdf")
    assert r.status_code == (201 if allowed else 403)


@pytest.mark.parametrize("status, code", [("completed", 201), ("archived", 403)])
def test_officer_uploads_until_archived(app, world, officer_api, status, code):
    app_id = new_application(app, world, status=status)
    client, headers = officer_api
    assert api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "a.pdf").status_code == code


@pytest.mark.parametrize("user, code", [("t_approver_b", 404), ("t_employee_b", 404), ("t_employee_a", 200),
                                        ("t_approver_a", 200), ("t_leader", 200), ("t_auditor", 200)])
def test_download_is_scoped(app, uploaded, login, api, user, code):
    _app_id, pk = uploaded
    assert login(user).get(f"/materialview/download/{pk}").status_code == code
    client, headers = api(user)
    assert client.get(f"/api/v1/materials/{pk}/file", headers=headers).status_code == code
    assert client.get(f"/api/v1/materials/{pk}", headers=headers).status_code == code


def test_approver_list_shows_only_own_departments(app, uploaded, api):
    _app_id, pk = uploaded
    for user, present in (("t_approver_a", True), ("t_approver_b", False)):
        client, headers = api(user)
        r = client.get("/api/v1/materials/?q=(page_size:100,order_column:id,order_direction:desc)",
                       headers=headers)
        assert r.status_code == 200
        assert (pk in [row["id"] for row in r.get_json()["result"]]) is present


def test_missing_file_on_disk_is_404(app, uploaded, officer_api):
    _app_id, pk = uploaded
    with app.app_context():
        (Path(app.config["UPLOAD_FOLDER"]) / db.session.get(Material, pk).storage_name).unlink()
    client, headers = officer_api
    assert client.get(f"/api/v1/materials/{pk}/file", headers=headers).status_code == 404


def test_verify_stamp_return_by_officer(app, uploaded, officer_api, world):
    _app_id, pk = uploaded
    client, headers = officer_api
    r = client.post(f"/api/v1/materials/{pk}/stamp", headers=headers, json={"note": "已核对原件"})
    assert r.status_code == 200
    res = r.get_json()["result"]
    assert res["verified"] and res["stamped"] and res["verify_note"] == "已核对原件"
    assert res["verified_by_id"] == world["users"]["t_officer"] and res["verified_at"]
    assert client.post(f"/api/v1/materials/{pk}/return", headers=headers, json={}).status_code == 422
    r = client.post(f"/api/v1/materials/{pk}/return", headers=headers, json={"reason": "扫描不清晰"})
    res = r.get_json()["result"]
    assert r.status_code == 200 and not res["verified"] and not res["stamped"]
    assert res["returned_reason"] == "扫描不清晰"
    with app.app_context():
        updates = db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "update", AuditLog.object_type == "Material", AuditLog.object_id == str(pk)))
    assert updates >= 2


@pytest.mark.parametrize("user", ["t_employee_a", "t_approver_a", "t_auditor"])
def test_verify_refused_to_others(app, uploaded, login, api, user):
    _app_id, pk = uploaded
    client, headers = api(user)
    assert client.post(f"/api/v1/materials/{pk}/verify", headers=headers, json={}).status_code == 403
    c = login(user)
    assert c.post(f"/materialview/verify/{pk}", data={"csrf_token": c.csrf}).status_code == 403
    with app.app_context():
        assert db.session.get(Material, pk).verified is False


def test_web_verify_by_officer(app, uploaded, login):
    _app_id, pk = uploaded
    c = login("t_officer")
    r = c.post(f"/materialview/verify/{pk}", data={"csrf_token": c.csrf, "note": "核对无误"})
    assert r.status_code == 302
    with app.app_context():
        m = db.session.get(Material, pk)
        assert m.verified and not m.stamped and m.verify_note == "核对无误"


def test_archived_materials_are_frozen(app, uploaded, officer_api):
    app_id, pk = uploaded
    set_status(app, app_id, "archived")
    client, headers = officer_api
    assert client.post(f"/api/v1/materials/{pk}/verify", headers=headers, json={}).status_code == 403
    assert client.delete(f"/api/v1/materials/{pk}", headers=headers).status_code == 403
    assert count_materials(app, app_id) == 1


def test_uploader_deletes_while_draft_and_file_goes(app, world, api):
    app_id = new_application(app, world, creator="t_employee_a")
    client, headers = api("t_employee_a")
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "a.pdf")
    pk = r.get_json()["id"]
    with app.app_context():
        path = Path(app.config["UPLOAD_FOLDER"]) / db.session.get(Material, pk).storage_name
    set_status(app, app_id, "submitted")
    assert client.delete(f"/api/v1/materials/{pk}", headers=headers).status_code == 403
    set_status(app, app_id, "needs_materials")
    assert client.delete(f"/api/v1/materials/{pk}", headers=headers).status_code == 200
    assert count_materials(app, app_id) == 0 and not path.exists()


def test_employee_cannot_delete_officer_upload(app, world, api, officer_api):
    app_id = new_application(app, world)
    client, headers = officer_api
    pk = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "a.pdf").get_json()["id"]
    eclient, eheaders = api("t_employee_a")
    assert eclient.delete(f"/api/v1/materials/{pk}", headers=eheaders).status_code == 403
    assert count_materials(app, app_id) == 1


def test_extra_upload_fields_are_refused(app, world, officer_api):
    app_id = new_application(app, world)
    client, headers = officer_api
    r = client.post("/api/v1/materials/", headers=headers, content_type="multipart/form-data",
                    data={"application_id": str(app_id), "material_type_id": str(type_id(app, "id_card")),
                          "verified": "true", "file": (io.BytesIO(PDF), "a.pdf")})
    assert r.status_code == 422 and "verified" in r.get_json()["message"]
    assert count_materials(app, app_id) == 0


def test_missing_materials_before_and_after_verification(app, world, officer_api):
    from app.services.materials import missing_materials

    app_id = new_application(app, world, app_type="page_reissue")
    client, headers = officer_api
    with app.app_context():
        assert missing_materials(db.session.get(Application, app_id)) == ["居民身份证", "遗失证明"]
    pk = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "a.pdf").get_json()["id"]
    with app.app_context():  # uploaded but not verified: still missing
        assert missing_materials(db.session.get(Application, app_id)) == ["居民身份证", "遗失证明"]
    client.post(f"/api/v1/materials/{pk}/verify", headers=headers, json={})
    with app.app_context():
        assert missing_materials(db.session.get(Application, app_id)) == ["遗失证明"]
    client.post(f"/api/v1/materials/{pk}/return", headers=headers, json={"reason": "模糊"})
    with app.app_context():
        assert missing_materials(db.session.get(Application, app_id)) == ["居民身份证", "遗失证明"]


def test_materials_panel_renders_status_and_buttons(app, world, officer_api):
    from flask import g, render_template
    from flask_login import login_user

    app_id = new_application(app, world, app_type="page_reissue")
    client, headers = officer_api
    pk = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "证件.pdf").get_json()["id"]
    client.post(f"/api/v1/materials/{pk}/return", headers=headers, json={"reason": "缺少背面"})
    for username, buttons in (("t_officer", True), ("t_auditor", False)):
        with app.test_request_context("/applicationview/show/1"):
            user = app.appbuilder.sm.find_user(username=username)
            login_user(user)
            g.user = user
            html = render_template("application_materials.html", application=db.session.get(Application, app_id))
        assert "缺少背面" in html and "遗失证明" in html and "证件.pdf" in html
        assert (f"/materialview/verify/{pk}" in html) is buttons
        assert (f"/materialview/upload/{app_id}" in html) is buttons


def test_application_page_includes_the_materials_panel(app, world, login, officer_api):
    app_id = new_application(app, world, creator="t_employee_a")
    client, headers = officer_api
    api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "面板测试.pdf")
    for user, upload_form in (("t_employee_a", True), ("t_leader", False)):
        r = login(user).get(f"/applicationview/show/{app_id}")
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and "面板测试.pdf" in html and "hk-missing" in html
        assert (f"/materialview/upload/{app_id}" in html) is upload_form
