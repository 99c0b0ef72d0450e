"""Print forms (issue 9): 审批表, 户籍证明 (numbered on completion), 补正告知书, page-loan form; scope and masking."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app import clock
from app.domain.masking import mask_id
from app.extensions import db
from app.models import Application, AuditLog, PageLoan, Resident
from app.models.unit import Certificate, UnitProfile
from app.printing import certificates
from tests.test_workflow_service import CERT_PATH, LOAN_PATH, fresh_resident, new_application, run, verify_all

NUMBER = re.compile(r"^证字〔(\d{4})〕第(\d{4,})号$")
UNIT = {"unit_name": "测试打印单位", "collective_name": "测试打印集体户", "household_no": "110108-0099",
        "registered_address": "北京市海淀区测试路1号", "office_address": "北京市海淀区测试路1号",
        "police_station": "测试派出所", "contact_name": "刘芳", "contact_phone": "010-12345678"}


@pytest.fixture
def ctx(app):
    """An app context with a clean session."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def unit(app):
    """The unit profile filled in for the forms, restored afterwards."""
    with app.app_context():
        row = db.session.scalar(select(UnitProfile))
        before = {k: getattr(row, k) for k in UNIT}
        for k, v in UNIT.items():
            setattr(row, k, v)
        db.session.commit()
    yield UNIT
    with app.app_context():
        row = db.session.scalar(select(UnitProfile))
        for k, v in before.items():
            setattr(row, k, v)
        db.session.commit()


def completed_certificate(world, reason: str = "办理签证") -> tuple[int, int]:
    """A certificate application of department A run to completed; (application id, resident id)."""
    rid = fresh_resident(world["dept_a"])
    aid = new_application("certificate", rid, created_by=world["users"]["t_officer"], reason=reason)
    verify_all(aid)
    for action, username in CERT_PATH[:-1]:
        run(aid, action, username)
    return aid, rid


def test_completing_two_certificates_gives_sequential_unique_numbers(ctx, world):
    first, rid = completed_certificate(world, "出国留学")
    second, _ = completed_certificate(world)
    a = db.session.scalar(select(Certificate).where(Certificate.application_id == first))
    b = db.session.scalar(select(Certificate).where(Certificate.application_id == second))
    assert a is not None and b is not None
    assert (a.year, b.year) == (clock.today().year, clock.today().year)
    assert b.seq == a.seq + 1 and a.number != b.number
    assert NUMBER.match(a.number).groups() == (str(a.year), f"{a.seq:04d}")
    assert (a.resident_id, a.purpose, a.issued_on) == (rid, "出国留学", clock.today())
    # archiving keeps the certificate; the next year starts again at 1
    run(first, "archive", "t_officer", archive_location="A柜")
    assert db.session.scalar(select(func.count(Certificate.id)).where(Certificate.application_id == first)) == 1
    with db.session.begin_nested():
        assert certificates.next_sequence(db.session, 1999) == 1
        assert certificates.next_sequence(db.session, 1999) == 2
    db.session.rollback()


def test_other_types_issue_no_certificate(ctx, world):
    rid = fresh_resident(world["dept_a"])
    aid = new_application("borrow_page", rid, created_by=world["users"]["t_officer"], reason="办签证")
    verify_all(aid)
    for action, username in LOAN_PATH[:-1]:
        run(aid, action, username)
    assert db.session.get(Application, aid).status == "completed"
    assert certificates.certificate_of(db.session, aid) is None


@pytest.mark.parametrize("user,status", [("t_officer", 200), ("t_leader", 200), ("t_approver_a", 200),
                                         ("t_approver_b", 404), ("t_employee_b", 404)])
def test_print_pages_follow_the_row_scope(app, world, login, unit, user, status):
    with app.app_context():
        aid, _ = completed_certificate(world)
    c = login(user)
    for form in ("approval", "certificate"):
        r = c.get(f"/print/application/{aid}/{form}")
        assert r.status_code == status, (form, r.status_code)
        if status == 200:
            html = r.get_data(as_text=True)
            assert UNIT["unit_name"] in html and "@page" not in html and 'id="hk-print"' in html


def test_employee_prints_own_application_masked(app, world, login, unit):
    with app.app_context():
        aid = new_application("certificate", world["res_a"], status="submitted", reason="测试")
        number = db.session.get(Resident, world["res_a"]).id_number
    html = login("t_employee_a").get(f"/print/application/{aid}/approval").get_data(as_text=True)
    assert "集体户口业务审批表" in html and mask_id(number) in html and number not in html


def test_masked_roles_never_see_the_full_id_number(app, world, login, unit):
    with app.app_context():
        aid, rid = completed_certificate(world)
        number = db.session.get(Resident, rid).id_number
        run(aid, "archive", "t_officer", archive_location="B柜")
    for user in ("t_approver_a", "t_leader", "t_auditor"):
        c = login(user)
        for form in ("approval", "certificate"):
            html = c.get(f"/print/application/{aid}/{form}").get_data(as_text=True)
            assert number not in html and number[:14] not in html, (user, form)
            assert mask_id(number) in html, (user, form)
    officer = login("t_officer")
    assert number in officer.get(f"/print/application/{aid}/certificate").get_data(as_text=True)


def test_approval_form_lists_each_step_with_name_date_and_comment(app, world, login, unit):
    with app.app_context():
        rid = fresh_resident(world["dept_a"])
        aid = new_application("certificate", rid, created_by=world["users"]["t_officer"], reason="测试")
        verify_all(aid)
        run(aid, "submit", "t_officer")
        run(aid, "pass_review", "t_officer", comment="材料齐全 13800138000")
        run(aid, "dept_approve", "t_approver_a", comment="同意")
    html = login("t_leader").get(f"/print/application/{aid}/approval").get_data(as_text=True)
    steps = html.split('class="hk-grid hk-steps"')[1].split("</table>")[0]
    assert steps.count("<tr>") == 1 + 3  # header + three steps
    assert "测试t_approver_a" in steps and "同意" in steps and clock.today().isoformat() in steps
    assert "13800138000" not in html and "138****8000" in steps  # phone numbers in comments masked too
    assert "部门审批意见" in html and "单位盖章" in html


def test_certificate_printing_is_counted_and_audited(app, world, login, unit):
    with app.app_context():
        aid, _ = completed_certificate(world, "出国留学")
        cert = certificates.certificate_of(db.session, aid)
        before = db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "print", AuditLog.object_type == "Certificate", AuditLog.object_id == str(cert.id)))
    c = login("t_officer")
    for _ in range(2):
        html = c.get(f"/print/application/{aid}/certificate").get_data(as_text=True)
        assert cert.number in html and "出国留学" in html and "户籍证明" in html and "测试打印集体户" in html
    with app.app_context():
        row = db.session.get(Certificate, cert.id)
        after = db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "print", AuditLog.object_type == "Certificate", AuditLog.object_id == str(cert.id)))
        assert (row.print_count, after - before) == (2, 2)


def test_certificate_page_is_404_before_completion(app, world, login):
    with app.app_context():
        aid = new_application("certificate", world["res_a"], status="leader_review", reason="测试")
    assert login("t_officer").get(f"/print/application/{aid}/certificate").status_code == 404


def test_notice_lists_the_missing_materials(app, world, login, unit):
    with app.app_context():
        rid = fresh_resident(world["dept_a"])
        aid = new_application("move_out", rid, status="needs_materials", destination="上海", reason="离职")
        from app.services.materials import missing_materials

        missing = missing_materials(db.session.get(Application, aid))
    assert missing
    html = login("t_officer").get(f"/print/application/{aid}/notice").get_data(as_text=True)
    assert "补正材料告知书" in html and "一次性告知" in html
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    for name in missing:
        assert name in rows
    assert rows.count("<tr>") == len(missing)


def test_links_follow_type_status_and_permissions(app, world):
    from flask import g

    from app.models import User
    from app.printing.views import print_links

    with app.app_context():
        cert_id, _ = completed_certificate(world)
        draft = new_application("move_in", fresh_resident(world["dept_a"], status="moved_out"), reason="入职")
        users = {u: db.session.scalar(select(User).where(User.username == u)) for u in ("t_officer", "t_approver_a")}
        for username, cert_kinds in (("t_officer", {"approval", "certificate", "handbook"}),
                                     ("t_approver_a", {"approval", "certificate", "handbook"})):
            with app.test_request_context("/"):
                g.user = users[username]
                kinds = {link["kind"] for link in print_links(db.session.get(Application, cert_id))}
                assert kinds == cert_kinds, username
                draft_kinds = {link["kind"] for link in print_links(db.session.get(Application, draft))}
                assert "approval" not in draft_kinds and "certificate" not in draft_kinds
                assert "notice" in draft_kinds


def test_page_loan_form_shows_unit_and_receipt(app, world, login, unit):
    with app.app_context():
        rid = fresh_resident(world["dept_a"])
        aid = new_application("borrow_page", rid, created_by=world["users"]["t_officer"], reason="办理护照")
        verify_all(aid)
        for action, username in LOAN_PATH[:-1]:
            run(aid, action, username)
        loan_id = db.session.scalar(select(PageLoan.id).where(PageLoan.application_id == aid))
        number = db.session.get(Resident, rid).id_number
    html = login("t_officer").get(f"/pageloanview/print/{loan_id}").get_data(as_text=True)
    assert "户口页借用回执" in html and UNIT["collective_name"] in html and UNIT["household_no"] in html
    assert "办理护照" in html and number not in html


def test_print_stylesheet_hides_chrome_and_link_urls(app, client):
    css = client.get("/static/hukou_print.css").get_data(as_text=True)
    assert "size: A4" in css and "@media print" in css
    block = css.split("@media print")[1]
    for rule in (".navbar", ".btn", "input", "select", "textarea", 'a[href]:after'):
        assert rule in block, rule
    assert 'content: "" !important' in block


def test_officer_numbers_a_certificate_completed_before_numbering(app, world, login, unit):
    with app.app_context():
        aid = new_application("certificate", world["res_a2"], status="completed", reason="旧申请")
    leader, officer = login("t_leader"), login("t_officer")
    assert leader.get(f"/print/application/{aid}/certificate").status_code == 404
    assert leader.post(f"/print/application/{aid}/certificate/issue",
                       data={"csrf_token": leader.csrf}).status_code in (302, 403, 404)
    with app.app_context():
        assert certificates.certificate_of(db.session, aid) is None
    page = officer.get(f"/print/application/{aid}/certificate").get_data(as_text=True)
    assert "现在开具编号证明" in page
    r = officer.post(f"/print/application/{aid}/certificate/issue", data={"csrf_token": officer.csrf})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/print/application/{aid}/certificate")
    with app.app_context():
        cert = certificates.certificate_of(db.session, aid)
        assert cert is not None and NUMBER.match(cert.number) and cert.purpose == "旧申请"
    assert cert.number in officer.get(f"/print/application/{aid}/certificate").get_data(as_text=True)


def test_print_pages_have_no_english(app, world, login, unit):
    from tests.test_i18n_pages import english_words

    with app.app_context():
        aid, _ = completed_certificate(world)
        notice = new_application("move_out", fresh_resident(world["dept_a"]), status="needs_materials",
                                 destination="上海", reason="离职")
    pages = [f"/print/application/{aid}/approval", f"/print/application/{aid}/certificate",
             f"/print/application/{notice}/notice", "/handbook/", "/handbook/move_in"]
    c = login("t_officer")
    for url in pages:
        r = c.get(url)
        assert r.status_code == 200 and english_words(r.get_data(as_text=True)) == set(), url
    admin = login("t_admin")
    with app.app_context():
        pk = db.session.scalar(select(UnitProfile.id))
    for url in (f"/unitprofileview/edit/{pk}", "/unitprofileview/list/", f"/unitprofileview/show/{pk}"):
        r = admin.get(url)
        assert r.status_code == 200 and english_words(r.get_data(as_text=True)) == set(), url
