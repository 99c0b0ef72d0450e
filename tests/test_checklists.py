"""Checklists: the service order, the printable 材料清单 page, and the material-type / checklist screens."""
from __future__ import annotations

import datetime as dt

from app import clock
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ChecklistItem, MaterialType
from app.seed import CHECKLISTS, MATERIAL_TYPES


@pytest.mark.parametrize("app_type", sorted(CHECKLISTS))
def test_checklist_is_required_first_and_matches_the_seed(app, app_type):
    from app.services.materials import checklist

    with app.app_context():
        got = [(mtype.code, required) for mtype, required in checklist(app_type)]
    flags = [required for _code, required in got]
    assert flags == sorted(flags, reverse=True)
    assert set(got) >= set(CHECKLISTS[app_type])


@pytest.mark.parametrize("user", ["t_employee_a", "t_officer", "t_hr"])
def test_printable_checklist_for_any_signed_in_user(app, login, user):
    r = login(user).get("/checklist/move_in")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "迁入" in html and clock.today().isoformat() in html and "@media print" in html
    required_name = MATERIAL_TYPES["id_card"]
    optional_name = MATERIAL_TYPES["report_card"]
    assert html.index(required_name) < html.index(optional_name)


def test_checklist_index_links_every_type(app, login):
    html = login("t_employee_a").get("/checklist/").get_data(as_text=True)
    assert all(f"/checklist/{t}" in html for t in CHECKLISTS)


def test_checklist_needs_login_and_a_known_type(app, client, login):
    assert client.get("/checklist/move_in").status_code == 302
    assert login("t_employee_a").get("/checklist/no_such_type").status_code == 404


def test_checklist_menu_entry_for_employee(app, login):
    html = login("t_employee_a").get("/checklist/").get_data(as_text=True)
    assert 'href="/checklist/"' in html


def test_officer_adds_material_type_and_checklist_line(app, login):
    c = login("t_officer")
    code = f"t_{uuid.uuid4().hex[:8]}"
    r = c.post("/materialtypeview/add", data={"csrf_token": c.csrf, "code": code, "name": "测试材料"})
    assert r.status_code == 302
    with app.app_context():
        type_id = db.session.scalar(select(MaterialType.id).where(MaterialType.code == code))
    form = {"csrf_token": c.csrf, "app_type": "certificate", "material_type": str(type_id), "required": "y",
            "note": "原件及复印件"}
    assert c.post("/checklistitemview/add", data=form).status_code == 302
    again = c.post("/checklistitemview/add", data=form)
    with app.app_context():
        n = db.session.scalar(select(func.count(ChecklistItem.id)).where(ChecklistItem.material_type_id == type_id))
    assert n == 1 and "测试材料" in c.get("/checklistitemview/list/").get_data(as_text=True)
    assert again.status_code in (200, 302)
    html = c.get("/checklist/certificate").get_data(as_text=True)
    assert "测试材料" in html and "原件及复印件" in html
    assert "原件及复印件" in c.get(f"/materialtypeview/show/{type_id}").get_data(as_text=True)


@pytest.mark.parametrize("user, read, write", [("t_officer", 200, 200), ("t_auditor", 200, 403),
                                               ("t_employee_a", 403, 403), ("t_approver_a", 403, 403)])
def test_settings_screen_permissions(app, login, user, read, write):
    c = login(user)
    for view in ("materialtypeview", "checklistitemview"):
        assert c.get(f"/{view}/list/").status_code == read
        assert c.get(f"/{view}/add").status_code == write


def test_checklist_delete_is_post_only(app, login):
    c = login("t_officer")
    with app.app_context():
        mtype = MaterialType(code=f"d_{uuid.uuid4().hex[:8]}", name="待删材料")
        db.session.add(mtype)
        db.session.flush()
        item = ChecklistItem(app_type="certificate", material_type_id=mtype.id, required=False)
        db.session.add(item)
        db.session.commit()
        pk = item.id
    assert c.get(f"/checklistitemview/delete/{pk}").status_code == 405
    assert c.post(f"/checklistitemview/delete/{pk}", data={"csrf_token": c.csrf}).status_code == 302
    with app.app_context():
        assert db.session.get(ChecklistItem, pk) is None
