"""「催办」 by hand: who may send it, to whom it goes, CSRF, once a day, refusals in Chinese, the audit row."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from app import clock
from app.extensions import db
from app.models import AuditLog
from app.models.notifications import Delivery, Notification
from tests.conftest import PASSWORD, web_login
from tests.remind_support import approvers_of, crafted_rows, holders_of

SENDERS = {"t_officer", "t_admin"}
USERS = ["t_officer", "t_admin", "t_approver_a", "t_leader", "t_hr", "t_finance", "t_auditor", "t_employee_a"]


@pytest.fixture(scope="module")
def crafted(app):
    """The crafted rows, closed after the module."""
    yield from crafted_rows(app, PASSWORD)


@pytest.fixture(autouse=True)
def no_manual_reminders(app):
    """Every test starts and ends with no manual reminder recorded today."""
    def clear():
        with app.app_context():
            ids = select(Notification.id).where(Notification.kind == "manual", Notification.day == clock.today())
            db.session.execute(delete(Delivery).where(Delivery.notification_id.in_(ids)))
            db.session.execute(delete(Notification).where(Notification.kind == "manual",
                                                          Notification.day == clock.today()))
            db.session.commit()
    clear()
    yield
    clear()


def _manual(app, object_type: str, object_id: int) -> list[tuple[int, str]]:
    """(recipient, subject) of today's manual reminders about an object."""
    with app.app_context():
        rows = db.session.execute(select(Notification.recipient_id, Notification.subject).where(
            Notification.kind == "manual", Notification.day == clock.today(),
            Notification.object_type == object_type, Notification.object_id == object_id))
        return sorted(rows.tuples())


def _post(client, path: str, follow: bool = False):
    """POST with the client's CSRF token."""
    return client.post(path, data={"csrf_token": client.csrf}, follow_redirects=follow)


@pytest.mark.parametrize("user", USERS)
def test_only_the_officer_and_admin_can_chase_a_leaver(app, world, crafted, user):
    leaver = crafted.residents["leaver"]
    client = web_login(app, user)
    r = _post(client, f"/remind/resident/{leaver}")
    got = _manual(app, "Resident", leaver)
    if user in SENDERS:
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/residentview/show/{leaver}")
        with app.app_context():  # other test modules may have added approvers of department A
            approvers = approvers_of(world["dept_a"])
        assert world["users"]["t_approver_a"] in approvers
        assert {uid for uid, _ in got} == {crafted.users["leaver"]} | approvers
        assert all(s.startswith("测试t_officer 催办：离职") or s.startswith("测试t_admin 催办：离职") for _, s in got)
        assert all("钱离职" in s for _, s in got)
    else:
        assert got == []


def test_loan_reminder_goes_to_the_borrower_once_a_day(app, crafted):
    client = web_login(app, "t_officer")
    page = _post(client, f"/remind/loan/{crafted.loan}", follow=True).get_data(as_text=True)
    assert "已向 赵借页 发送催办。" in page
    assert [uid for uid, _ in _manual(app, "PageLoan", crafted.loan)] == [crafted.users["loan"]]
    again = _post(client, f"/remind/loan/{crafted.loan}", follow=True).get_data(as_text=True)
    assert "今天已催办过，未重复发送：赵借页。" in again
    assert len(_manual(app, "PageLoan", crafted.loan)) == 1


@pytest.mark.parametrize("key,expected", [("dept", "t_approver_a"), ("leader", "t_leader"),
                                          ("materials", None)])
def test_application_reminder_goes_to_whoever_it_waits_for(app, world, crafted, key, expected):
    client = web_login(app, "t_officer")
    r = _post(client, f"/remind/application/{crafted.apps[key]}")
    assert r.status_code == 302
    with app.app_context():  # other test modules may have added approvers of department A, or leaders
        everyone = {"dept": approvers_of(world["dept_a"]), "leader": holders_of("Leader")}.get(key)
    want = everyone if expected else {crafted.users["app"]}
    assert not expected or world["users"][expected] in want
    got = [uid for uid, _ in _manual(app, "Application", crafted.apps[key])]
    assert sorted(got) == sorted(want)


def test_a_leaver_without_an_account_is_refused_in_chinese(app, crafted):
    client = web_login(app, "t_officer")
    alone = crafted.residents["alone"]
    with app.app_context():
        from app.models import Resident

        has_approver = bool(db.session.get(Resident, alone).department_id)
    page = _post(client, f"/remind/resident/{alone}", follow=True).get_data(as_text=True)
    if has_approver:  # the department's approver is still chased
        assert "发送催办" in page
    else:
        assert "无法催办：周无号 在本系统没有账号" in page


def test_an_active_resident_is_not_a_leaver(app, crafted):
    client = web_login(app, "t_officer")
    page = _post(client, f"/remind/resident/{crafted.residents['id']}", follow=True).get_data(as_text=True)
    assert "孙证件 不是待迁出的离职人员。" in page
    assert _manual(app, "Resident", crafted.residents["id"]) == []


def test_without_csrf_token_nothing_is_sent(app, crafted):
    client = web_login(app, "t_officer")
    r = client.post(f"/remind/loan/{crafted.loan}", data={})
    assert r.status_code == 400
    assert _manual(app, "PageLoan", crafted.loan) == []


@pytest.mark.parametrize("path", ["/remind/loan/999999", "/remind/application/999999", "/remind/nothing/1"])
def test_missing_objects_are_404(app, path):
    client = web_login(app, "t_officer")
    assert _post(client, path).status_code == 404


def test_get_is_not_a_way_to_send(app, crafted):
    client = web_login(app, "t_officer")
    assert client.get(f"/remind/loan/{crafted.loan}").status_code == 405


def test_each_reminder_by_hand_is_audited(app, crafted):
    client = web_login(app, "t_officer")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "remind", AuditLog.object_type == "PageLoan",
            AuditLog.object_id == str(crafted.loan)))
    _post(client, f"/remind/loan/{crafted.loan}")
    with app.app_context():
        row = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "remind", AuditLog.object_type == "PageLoan",
            AuditLog.object_id == str(crafted.loan)).order_by(AuditLog.id.desc())).first()
        assert row is not None and row.username == "t_officer" and '"recorded": 1' in row.detail
        after = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "remind", AuditLog.object_type == "PageLoan",
            AuditLog.object_id == str(crafted.loan)))
    assert after == before + 1


@pytest.mark.parametrize("user,shown", [("t_officer", True), ("t_leader", False), ("t_hr", False)])
def test_button_on_the_leaver_and_application_pages_for_the_officer(app, crafted, user, shown):
    client = web_login(app, user)
    leaver = client.get(f"/residentview/show/{crafted.residents['leaver']}").get_data(as_text=True)
    application = client.get(f"/applicationview/show/{crafted.apps['dept']}").get_data(as_text=True)
    assert (f'action="/remind/resident/{crafted.residents["leaver"]}"' in leaver) is shown
    assert (f'action="/remind/application/{crafted.apps["dept"]}"' in application) is shown


def test_no_button_for_a_resident_who_is_not_leaving(app, crafted):
    client = web_login(app, "t_officer")
    page = client.get(f"/residentview/show/{crafted.residents['id']}").get_data(as_text=True)
    assert "/remind/resident/" not in page


@pytest.mark.parametrize("user,shown", [("t_officer", True), ("t_admin", True), ("t_leader", False),
                                        ("t_finance", False)])
def test_button_on_an_open_loan_page(app, crafted, user, shown):
    page = web_login(app, user).get(f"/pageloanview/show/{crafted.loan}")
    assert page.status_code == 200
    assert (f'action="/remind/loan/{crafted.loan}"' in page.get_data(as_text=True)) is shown


def test_a_reminder_by_hand_is_delivered_after_the_commit_and_a_failure_recorded(app, crafted):
    keys = ("HUKOU_WECOM_WEBHOOK", "HUKOU_NOTIFY_ATTEMPTS", "HUKOU_NOTIFY_BACKOFF_SECONDS")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(HUKOU_WECOM_WEBHOOK="http://127.0.0.1:9/robot", HUKOU_NOTIFY_ATTEMPTS=1,
                      HUKOU_NOTIFY_BACKOFF_SECONDS=0)
    try:
        assert _post(web_login(app, "t_officer"), f"/remind/loan/{crafted.loan}").status_code == 302
    finally:
        app.config.update(saved)
    with app.app_context():
        rows = db.session.execute(select(Delivery.channel, Delivery.status, Delivery.attempts)
                                  .join(Notification, Notification.id == Delivery.notification_id)
                                  .where(Notification.kind == "manual", Notification.object_id == crafted.loan,
                                         Notification.object_type == "PageLoan")).tuples().all()
    assert rows == [("wecom", "failed", 1)]  # tried once (queue in immediate mode), refused port: failed
