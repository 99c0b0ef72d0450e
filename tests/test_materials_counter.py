"""Materials at the counter (issue 9): line states 缺少 / 待核验 / 已核验 / 已退回, multi-file upload (whole or
absent), the submit confirmation's list, inline preview with a sandboxing CSP, fetch answers for verify / stamp /
return, 「全部核验通过」, and a certificate's validity date."""
from __future__ import annotations

import datetime as dt
import io
from html import unescape
import json
import re
from types import SimpleNamespace as NS

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Material
from app.services import material_state as st
from tests.test_materials import EXE, PDF, PNG, api_upload, count_materials, new_application, type_id

JSON = {"Accept": "application/json"}


def _mtype(i, code):
    """A stand-in material type."""
    return NS(id=i, code=code, name=f"类型{i}")


def _mat(i, type_id, verified=False, returned=None):
    """A stand-in material."""
    return NS(id=i, material_type_id=type_id, material_type=_mtype(type_id, f"t{type_id}"), verified=verified,
              returned_reason=returned, valid_to=None, verify_note=None)


def test_line_states_are_distinct_and_lists_say_what_they_mean():
    items = [NS(material_type=_mtype(i, f"t{i}"), material_type_id=i, required=i < 5, note=None) for i in range(1, 6)]
    mats = [_mat(10, 2), _mat(11, 3, verified=True), _mat(12, 3), _mat(13, 4, returned="模糊"),
            _mat(14, 9)]  # type 9 is no longer on the checklist
    lines = st.lines_of(items, mats)
    assert [ln.state for ln in lines] == ["missing", "pending", "verified", "returned", "missing", "pending"]
    assert lines[2].material_ids == [11, 12] and lines[3].reason == "模糊"
    assert lines[-1].on_checklist is False and lines[-1].required is False
    assert st.not_uploaded(lines) == ["类型1", "类型4"]  # nothing usable: missing or returned
    assert st.not_verified(lines) == ["类型1", "类型2", "类型4"]
    assert st.pending(lines) == ["类型2", "类型9"]
    assert [m.id for m in st.verifiable(mats)] == [10, 12, 14]
    assert lines[0].state_label == "Missing" and lines[1].state_label == "Awaiting verification"


def _multi(c, app_id, pairs, headers=None):
    """POST several files (type id, bytes, name) in one request of the application page."""
    data = {"csrf_token": c.csrf, "next": f"/applicationview/show/{app_id}",
            "material_type_id": [str(t) for t, _b, _n in pairs],
            "file": [(io.BytesIO(b), n) for _t, b, n in pairs]}
    return c.post(f"/materialview/upload/{app_id}", content_type="multipart/form-data", data=data,
                  headers=headers or {})


def test_multi_upload_matches_each_file_to_its_type(app, world, login):
    app_id = new_application(app, world, creator="t_employee_a")
    c = login("t_employee_a")
    r = _multi(c, app_id, [(type_id(app, "id_card"), PDF, "身份证.pdf"), (type_id(app, "diploma"), PNG, "学历.png")],
               headers=JSON)
    body = r.get_json()
    assert r.status_code == 200 and body["ok"] is True and "2" in body["message"]
    with app.app_context():
        got = {m.original_name: m.material_type.code for m in
               db.session.scalars(select(Material).where(Material.application_id == app_id))}
    assert got == {"身份证.pdf": "id_card", "学历.png": "diploma"}
    # the refreshed panel: the ID card is 待核验, not 缺少; the type selector moved on to a type not uploaded
    html = body["html"]
    line = re.search(r'id="hk-line-%d".*?</li>' % type_id(app, "id_card"), html, re.S).group(0)
    assert "待核验" in line and "缺少" not in line
    selected = re.search(r'<option value="(\d+)" data-open="1" selected', html)
    assert selected and int(selected.group(1)) not in (type_id(app, "id_card"), type_id(app, "diploma"))


def test_multi_upload_is_whole_or_absent_and_names_the_bad_file(app, world, login):
    app_id = new_application(app, world, creator="t_employee_a")
    c = login("t_employee_a")
    r = _multi(c, app_id, [(type_id(app, "id_card"), PDF, "好的.pdf"), (type_id(app, "diploma"), EXE, "病毒.pdf")],
               headers=JSON)
    assert r.status_code == 422 and "病毒.pdf" in r.get_json()["message"]
    assert count_materials(app, app_id) == 0
    r = _multi(c, app_id, [(type_id(app, "id_card"), PDF, "好的.pdf"), (type_id(app, "photo"), PDF, "照片.pdf")])
    assert r.status_code == 302 and count_materials(app, app_id) == 0  # photo is not on a move-in's checklist
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "照片.pdf" in page


def test_one_type_for_several_files_without_javascript(app, world, login):
    app_id = new_application(app, world, creator="t_employee_a")
    c = login("t_employee_a")
    r = c.post(f"/materialview/upload/{app_id}", content_type="multipart/form-data",
               data={"csrf_token": c.csrf, "next": "/", "material_type_id": str(type_id(app, "id_card")),
                     "file": [(io.BytesIO(PDF), "正面.pdf"), (io.BytesIO(PNG), "背面.png")]})
    assert r.status_code == 302 and count_materials(app, app_id) == 2


def test_panel_lists_not_uploaded_for_the_submit_confirmation(app, world, login, api):
    app_id = new_application(app, world, creator="t_employee_a", app_type="page_reissue")
    client, headers = api("t_employee_a")
    api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "证.pdf")
    html = login("t_employee_a").get(f"/applicationview/show/{app_id}").get_data(as_text=True)
    missing = json.loads(unescape(re.search(r"data-missing='([^']*)'", html).group(1)))
    assert missing == ["遗失证明"]  # the uploaded ID card is not "missing"
    assert "以下必需材料尚未上传：遗失证明" in html
    assert 'data-hk-upload="loss_report"' in html and "hukou_materials.js" in html


def test_preview_is_inline_sandboxed_scoped_and_audited(app, world, login, api):
    app_id = new_application(app, world, creator="t_employee_a")
    client, headers = api("t_employee_a")
    pk = api_upload(client, headers, app_id, type_id(app, "id_card"), PNG, "证件.png").get_json()["id"]
    r = login("t_employee_a").get(f"/materialview/preview/{pk}")
    assert r.status_code == 200 and r.data == PNG and r.mimetype == "image/png"
    assert r.headers["Content-Disposition"].startswith("inline;")
    csp = r.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert "script-src" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in r.headers["Cache-Control"]
    for outsider in ("t_employee_b", "t_approver_b"):
        assert login(outsider).get(f"/materialview/preview/{pk}").status_code == 404
    with app.app_context():
        rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "download",
                                                         AuditLog.object_id == str(pk))).all()
    assert len(rows) == 1 and '"inline": true' in rows[0].detail


def test_verify_by_fetch_answers_json_and_shows_only_sensible_actions(app, world, login, api):
    app_id = new_application(app, world)
    client, headers = api("t_officer")
    pk = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "a.pdf").get_json()["id"]
    c = login("t_officer")
    r = c.post(f"/materialview/verify/{pk}", headers=JSON,
               data={"csrf_token": c.csrf, "next": f"/applicationview/show/{app_id}", "note": "原件已核"})
    body = r.get_json()
    assert r.status_code == 200 and body["ok"] and body["message"] == "材料已核验"
    row = re.search(r'id="hk-file-%d".*?</li>' % pk, body["html"], re.S).group(0)
    assert "已核验" in row and f'data-hk-verify="{pk}"' not in row and f'data-hk-stamp="{pk}"' in row
    assert 'name="next" value="/applicationview/show/%d"' % app_id in row  # fallback forms return to the page
    r = c.post(f"/materialview/stamp/{pk}", headers=JSON, data={"csrf_token": c.csrf})
    row = re.search(r'id="hk-file-%d".*?</li>' % pk, r.get_json()["html"], re.S).group(0)
    assert f'data-hk-stamp="{pk}"' not in row and f'data-hk-return="{pk}"' in row
    r = c.post(f"/materialview/return/{pk}", headers=JSON, data={"csrf_token": c.csrf, "reason": ""})
    assert r.status_code == 422 and r.get_json()["ok"] is False and "原因" in r.get_json()["message"]
    e = login("t_employee_a")
    r = e.post(f"/materialview/verify/{pk}", headers=JSON, data={"csrf_token": e.csrf})
    assert r.status_code in (403, 404)


def test_verify_all_in_one_unit_officer_only(app, world, login, api):
    app_id = new_application(app, world, creator="t_employee_a")
    client, headers = api("t_employee_a")
    ids = [api_upload(client, headers, app_id, type_id(app, code), PDF, f"{code}.pdf").get_json()["id"]
           for code in ("id_card", "diploma", "labor_contract")]
    officer, oh = api("t_officer")
    officer.post(f"/api/v1/materials/{ids[2]}/return", headers=oh, json={"reason": "不清晰"})
    e = login("t_employee_a")
    r = e.post(f"/materialview/verify_all/{app_id}", headers=JSON, data={"csrf_token": e.csrf})
    assert r.status_code in (403, 404)
    c = login("t_officer")
    page = c.get(f"/applicationview/show/{app_id}").get_data(as_text=True)
    assert 'id="hk-verify-all"' in page
    r = c.post(f"/materialview/verify_all/{app_id}", headers=JSON, data={"csrf_token": c.csrf})
    assert r.status_code == 200 and "2" in r.get_json()["message"]
    assert 'id="hk-verify-all"' not in r.get_json()["html"]
    with app.app_context():
        state = {m.id: (m.verified, m.returned_reason) for m in
                 db.session.scalars(select(Material).where(Material.id.in_(ids)))}
    assert state == {ids[0]: (True, None), ids[1]: (True, None), ids[2]: (False, "不清晰")}


def test_certificate_valid_to_from_form_or_note(app, world, login, api):
    app_id = new_application(app, world, app_type="move_out")
    client, headers = api("t_officer")
    pks = [api_upload(client, headers, app_id, type_id(app, "destination_permit"), PDF, f"准迁证{i}.pdf")
           .get_json()["id"] for i in range(3)]
    c = login("t_officer")
    page = c.get(f"/applicationview/show/{app_id}").get_data(as_text=True)
    assert 'name="valid_to"' in page
    r = c.post(f"/materialview/verify/{pks[0]}", headers=JSON, data={"csrf_token": c.csrf, "valid_to": "2027-01-31"})
    assert r.status_code == 200
    r = c.post(f"/materialview/verify/{pks[1]}", headers=JSON, data={"csrf_token": c.csrf, "valid_to": "明年"})
    assert r.status_code == 422 and "有效期至" in r.get_json()["message"]
    r = client.post(f"/api/v1/materials/{pks[2]}/verify", headers=headers, json={"note": "有效期至2027-02-28"})
    assert r.status_code == 200 and r.get_json()["result"]["valid_to"] == "2027-02-28"
    with app.app_context():
        got = {m.id: m.valid_to for m in db.session.scalars(select(Material).where(Material.id.in_(pks)))}
    assert got == {pks[0]: dt.date(2027, 1, 31), pks[1]: None, pks[2]: dt.date(2027, 2, 28)}


def test_reminder_reads_the_valid_to_column(app, world, api):
    from app.desk.remind import lapsing_certificates
    from app.desk.remind_people import People

    app_id = new_application(app, world, app_type="move_out", status="submitted")
    client, headers = api("t_officer")
    pk = api_upload(client, headers, app_id, type_id(app, "destination_permit"), PDF, "准迁证.pdf").get_json()["id"]
    with app.app_context():
        db.session.get(Material, pk).valid_to = dt.date(2031, 5, 3)
        db.session.commit()
        found = [r.object_id for r in lapsing_certificates(db.session, dt.date(2031, 5, 1), People.load(db.session), 7)]
        later = [r.object_id for r in lapsing_certificates(db.session, dt.date(2031, 3, 1), People.load(db.session), 7)]
    assert app_id in found and app_id not in later


def test_page_is_chinese_and_uses_cards_not_tables(app, world, login, api):
    app_id = new_application(app, world, creator="t_employee_a")
    client, headers = api("t_employee_a")
    api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "a.pdf")
    html = login("t_employee_a").get(f"/applicationview/show/{app_id}").get_data(as_text=True)
    panel = html[html.index('id="hk-materials"'):html.index('id="hk-preview"')]
    assert "<table" not in panel
    for english in ("Missing", "Awaiting", "Upload several", "Preview", "Verify all"):
        assert english not in panel
    with app.app_context():
        assert db.session.scalar(select(func.count(Material.id)).where(Material.application_id == app_id)) == 1
