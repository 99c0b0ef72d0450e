"""The unit profile (issue 9): Admin-only edits, audited; the home page warns when the addresses differ."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog
from app.models.unit import UnitProfile
from app.printing.unit import address_mismatch, normalise_address
from tests.conftest import csrf_from

FIELDS = ("unit_name", "collective_name", "household_no", "registered_address", "office_address", "police_station",
          "contact_name", "contact_phone")
WARNING = "hk-address-warning"


@pytest.fixture
def profile(app):
    """The profile row's id; its values are restored after the test."""
    with app.app_context():
        row = db.session.scalar(select(UnitProfile).order_by(UnitProfile.id))
        before = {k: getattr(row, k) for k in FIELDS}
        pk = row.id
    yield pk
    with app.app_context():
        row = db.session.get(UnitProfile, pk)
        for k, v in before.items():
            setattr(row, k, v)
        db.session.commit()


def set_addresses(app, pk: int, registered: str, actual: str) -> None:
    """Store both addresses directly."""
    with app.app_context():
        row = db.session.get(UnitProfile, pk)
        row.registered_address, row.office_address = registered, actual
        db.session.commit()


def form_data(client, pk: int, **values) -> dict:
    """The edit form's fields with `values` changed and its CSRF token."""
    html = client.get(f"/unitprofileview/edit/{pk}").get_data(as_text=True)
    data = {k: "" for k in FIELDS}
    data.update(values)
    data["csrf_token"] = csrf_from(html)
    return data


def test_one_profile_row_exists_after_migration(app):
    with app.app_context():
        assert db.session.scalar(select(func.count(UnitProfile.id))) == 1


@pytest.mark.parametrize("user", ["t_officer", "t_leader", "t_hr", "t_auditor", "t_employee_a", "t_approver_a"])
def test_only_the_admin_edits_the_profile(app, login, profile, user):
    c = login(user)
    assert c.get(f"/unitprofileview/edit/{profile}").status_code in (302, 403)
    assert c.get("/unitprofileview/list/").status_code in (302, 403)
    token = csrf_from(c.get("/").get_data(as_text=True)) if "csrf_token" in c.get("/").get_data(as_text=True) \
        else c.csrf
    r = c.post(f"/unitprofileview/edit/{profile}", data={"unit_name": "篡改单位", "csrf_token": token})
    assert r.status_code in (302, 403)
    with app.app_context():
        assert db.session.get(UnitProfile, profile).unit_name != "篡改单位"


def test_admin_edits_the_profile_and_it_is_audited(app, login, profile):
    c = login("t_admin")
    page = c.get("/unitprofileview/edit/%d" % profile).get_data(as_text=True)
    assert "集体户名称" in page and "实际办公地址" in page and "辖区派出所" in page
    with app.app_context():
        before = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.object_type == "UnitProfile"))
    data = form_data(c, profile, unit_name=" 某某科技有限公司 ", collective_name="某某科技集体户",
                     household_no="110108-0001", registered_address="北京市海淀区中关村大街1号",
                     office_address="北京市海淀区中关村大街1号", police_station="中关村派出所", contact_name="刘芳",
                     contact_phone="010-62345678")
    r = c.post(f"/unitprofileview/edit/{profile}", data=data)
    assert r.status_code == 302
    with app.app_context():
        row = db.session.get(UnitProfile, profile)
        assert (row.unit_name, row.household_no, row.police_station) == ("某某科技有限公司", "110108-0001",
                                                                         "中关村派出所")
        after = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.object_type == "UnitProfile"))
        assert after == before + 1


def test_too_long_value_is_refused_in_chinese(app, login, profile):
    c = login("t_admin")
    r = c.post(f"/unitprofileview/edit/{profile}", data=form_data(c, profile, household_no="9" * 41))
    assert r.status_code == 200
    assert "40" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(UnitProfile, profile).household_no != "9" * 41


def test_add_opens_the_one_profile(login, profile):
    r = login("t_admin").get("/unitprofileview/add")
    assert r.status_code == 302 and f"/unitprofileview/edit/{profile}" in r.headers["Location"]


def test_address_comparison_ignores_spacing_and_punctuation():
    assert normalise_address(" 北京市海淀区 中关村大街１号（A座） ") == normalise_address("北京市海淀区中关村大街1号A座")
    same = UnitProfile(registered_address="北京市海淀区中关村大街1号", office_address="北京市 海淀区中关村大街1号")
    moved = UnitProfile(registered_address="北京市海淀区中关村大街1号", office_address="北京市朝阳区望京街9号")
    half = UnitProfile(registered_address="北京市海淀区中关村大街1号", office_address="")
    assert (address_mismatch(same), address_mismatch(moved), address_mismatch(half)) == (False, True, False)


def test_dashboard_warns_until_the_addresses_agree(app, login, profile):
    set_addresses(app, profile, "北京市海淀区中关村大街1号", "北京市朝阳区望京街9号")
    for user in ("t_officer", "t_admin", "t_leader"):
        html = login(user).get("/").get_data(as_text=True)
        assert WARNING in html and "无法在派出所办理" in html and "北京市朝阳区望京街9号" in html, user
    for user in ("t_employee_a", "t_approver_a", "t_finance"):
        assert WARNING not in login(user).get("/").get_data(as_text=True), user
    set_addresses(app, profile, "北京市海淀区中关村大街1号", "北京市海淀区 中关村大街1号")
    assert WARNING not in login("t_officer").get("/").get_data(as_text=True)
