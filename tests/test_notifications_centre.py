"""「消息」: the unread badge, own notifications only (IDOR), marking read by POST with CSRF, the JSON API,
the record of sent reminders by role, and the Admin's failed-delivery panel."""
from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid

import pytest
from sqlalchemy import func, select

from app.domain.actor import system_actor
from app.extensions import db
from app.models import Delivery, Notification
from app.notifications.service import Message, send
from app.uow import unit_of_work
from tests.conftest import api_token, make_client, web_login
from tests.world import USERS

_days = itertools.count()
RECORD_READERS = {"t_officer", "t_auditor", "t_admin"}


def notify(app, world, user: str, subject: str | None = None, kind: str = "manual") -> tuple[int, str]:
    """Record one notification for `user` (a fresh object, so never a duplicate); returns (id, subject)."""
    subject = subject or f"请补交材料 {uuid.uuid4().int % 10**10}"
    object_id = 100000 + next(_days)
    with app.app_context():
        with unit_of_work(system_actor("系统（催办）")) as uow:
            send(uow, [Message(kind, world["users"][user], subject, "正文", f"/applicationview/show/{object_id}",
                               "Application", object_id)], dt.date(2042, 1, 1))
        note_id = db.session.scalar(select(Notification.id).where(Notification.subject == subject))
    return note_id, subject


def unread(app, world, user: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.recipient_id == world["users"][user], Notification.read_at.is_(None)))


def read_at(app, note_id: int):
    with app.app_context():
        return db.session.scalar(select(Notification.read_at).where(Notification.id == note_id))


def badge(html: str) -> int | None:
    m = re.search(r'class="badge hk-unread-badge"[^>]*>(\d+)', html)
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("user", sorted(USERS))
def test_every_role_has_the_centre_with_its_badge(app, world, user):
    notify(app, world, user)
    c = web_login(app, user)
    home = c.get("/").get_data(as_text=True)
    assert 'href="/notifications/"' in home and "消息" in home
    assert badge(home) == unread(app, world, user) > 0
    assert c.get("/notifications/").status_code == 200


def test_the_list_shows_only_my_own_newest_first_unread_bold(app, world):
    _, older = notify(app, world, "t_employee_a")
    _, mine = notify(app, world, "t_employee_a")
    _, theirs = notify(app, world, "t_employee_b")
    page = web_login(app, "t_employee_a").get("/notifications/").get_data(as_text=True)
    assert mine in page and older in page and theirs not in page
    assert page.index(mine) < page.index(older)
    row = page[page.rindex("<tr", 0, page.index(mine)):page.index(mine)]
    assert "font-weight:bold" in row and 'href="/applicationview/show/' in row
    assert "标为已读" in page and "全部已读" in page


def test_marking_someone_elses_notification_is_not_found(app, world):
    theirs, _ = notify(app, world, "t_employee_b")
    c = web_login(app, "t_employee_a")
    r = c.post(f"/notifications/{theirs}/read", data={"csrf_token": c.csrf})
    assert r.status_code == 404
    assert read_at(app, theirs) is None
    admin = web_login(app, "t_admin")  # an inbox is private even to the Admin
    assert admin.post(f"/notifications/{theirs}/read", data={"csrf_token": admin.csrf}).status_code == 404
    assert read_at(app, theirs) is None


def test_marking_read_needs_post_and_csrf(app, world):
    mine, _ = notify(app, world, "t_employee_a")
    c = web_login(app, "t_employee_a")
    assert c.get(f"/notifications/{mine}/read").status_code == 405
    assert c.post(f"/notifications/{mine}/read", data={}).status_code == 400
    assert c.post("/notifications/read-all", data={}).status_code == 400
    assert read_at(app, mine) is None
    r = c.post(f"/notifications/{mine}/read", data={"csrf_token": c.csrf, "next": "/notifications/?page=1"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/notifications/?page=1")
    assert read_at(app, mine) is not None


def test_mark_all_read_clears_the_badge_for_me_only(app, world):
    notify(app, world, "t_hr")
    notify(app, world, "t_finance")
    c = web_login(app, "t_hr")
    r = c.post("/notifications/read-all", data={"csrf_token": c.csrf}, follow_redirects=True)
    assert "条消息已标为已读" in r.get_data(as_text=True)
    assert unread(app, world, "t_hr") == 0 and badge(c.get("/").get_data(as_text=True)) is None
    assert unread(app, world, "t_finance") > 0


def test_an_open_redirect_is_not_followed(app, world):
    mine, _ = notify(app, world, "t_leader")
    c = web_login(app, "t_leader")
    r = c.post(f"/notifications/{mine}/read", data={"csrf_token": c.csrf, "next": "https://evil.example/"})
    assert r.headers["Location"].endswith("/notifications/")


def test_anonymous_users_are_sent_to_login(app):
    c = make_client(app)
    r = c.get("/notifications/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert c.get("/api/v1/notifications/unread").status_code == 401


def test_api_gives_my_unread_count_and_my_items_only(app, world):
    _, mine = notify(app, world, "t_employee_b")
    _, theirs = notify(app, world, "t_employee_a")
    c, headers = make_client(app), api_token(app, "t_employee_b")
    assert c.get("/api/v1/notifications/unread", headers=headers).get_json() == {
        "unread": unread(app, world, "t_employee_b")}
    body = c.get("/api/v1/notifications/?unread=1", headers=headers).get_json()
    subjects = {i["subject"] for i in body["items"]}
    assert mine in subjects and theirs not in subjects
    assert body["count"] == unread(app, world, "t_employee_b")
    assert {i["kind_label"] for i in body["items"]} == {"催办"}


@pytest.mark.parametrize("user", sorted(USERS))
def test_the_record_of_sent_reminders_by_role(app, world, user):
    _, subject = notify(app, world, "t_employee_a")
    r = web_login(app, user).get("/notifications/sent/")
    if user in RECORD_READERS:
        page = r.get_data(as_text=True)
        assert r.status_code == 200 and subject in page and "催办记录" in page
    else:
        assert r.status_code in (302, 403)


def test_the_record_shows_each_channel_and_filters_failures(app, world):
    note_id, subject = notify(app, world, "t_employee_a", kind="loan_overdue")
    with app.app_context():
        with unit_of_work(system_actor("测试")) as uow:
            uow.session.add(Delivery(notification_id=note_id, channel="dingtalk", status="failed", attempts=3,
                                     last_error="钉钉机器人返回 HTTP 500"))
    c = web_login(app, "t_officer")
    page = c.get("/notifications/sent/?result=failed&kind=loan_overdue").get_data(as_text=True)
    assert subject in page and "钉钉群机器人" in page and "钉钉机器人返回 HTTP 500" in page and "失败" in page
    other = c.get("/notifications/sent/?result=sent").get_data(as_text=True)
    assert subject not in other


def test_failed_deliveries_panel_on_the_admins_home_only(app, world):
    note_id, _ = notify(app, world, "t_finance")
    error = f"无法连接邮件服务器 127.0.0.1:1：连接被拒绝 {uuid.uuid4().int % 10**8}"
    with app.app_context():
        with unit_of_work(system_actor("测试")) as uow:
            uow.session.add(Delivery(notification_id=note_id, channel="email", status="failed", attempts=3,
                                     address="t_finance@example.test", last_error=error,
                                     last_attempt_at=dt.datetime(2099, 1, 1)))
    home = web_login(app, "t_admin").get("/").get_data(as_text=True)
    assert "推送失败" in home and error in home and "电子邮件" in home
    assert error not in web_login(app, "t_officer").get("/").get_data(as_text=True)


def test_the_centre_pages_are_chinese(app, world):
    from tests.test_i18n_pages import english_words

    note_id, _ = notify(app, world, "t_admin", subject="借用户口页已逾期，请归还")
    with app.app_context():
        with unit_of_work(system_actor("测试")) as uow:
            uow.session.add(Delivery(notification_id=note_id, channel="wecom", status="failed", attempts=2,
                                     last_error="无法连接企业微信机器人：连接被拒绝"))
    c = web_login(app, "t_admin")
    # (the record is filtered to this file's kind: other tests store error texts naming settings, e.g. HUKOU_SMTP_TLS)
    for path in ("/notifications/", "/notifications/?unread=1", "/notifications/sent/?result=failed&kind=manual",
                 "/notifications/sent/?kind=manual"):
        html = c.get(path).get_data(as_text=True)
        assert english_words(html) == set(), (path, english_words(html))
    assert "推送失败" in c.get("/").get_data(as_text=True)
