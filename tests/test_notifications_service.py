"""send() and deliver(): once a day, dry run, loopback SMTP and robot receivers, retries, masking."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.domain.actor import system_actor
from app.domain.idnumber import make_id
from app.extensions import db
from app.models import Delivery, DeliveryAttempt, Notification
from app.notifications import channels
from app.notifications.service import RETRY_DAYS, Message, deliver, send
from app.uow import unit_of_work
from tests.notify_support import RobotBox, SMTPBox, closed_port

_days = itertools.count()
SECRET = "SECloopback-secret"
FULL_ID = make_id("110105", dt.date(1990, 3, 7), 123)
PHONE = "13800138000"


@pytest.fixture
def day():
    """A day of its own per test (far apart, so delivery windows never overlap across tests)."""
    return dt.date(2041, 1, 1) + dt.timedelta(days=10 * next(_days))


@pytest.fixture
def boxes(app, monkeypatch):
    """Loopback SMTP + DingTalk + WeCom receivers, configured as the app's channels (no back-off)."""
    smtp, ding, wecom = SMTPBox(), RobotBox(), RobotBox()
    settings = {
        "HUKOU_SMTP_HOST": "127.0.0.1", "HUKOU_SMTP_PORT": smtp.port, "HUKOU_SMTP_TLS": "none",
        "HUKOU_SMTP_USER": "", "HUKOU_MAIL_FROM": "hukou@example.test",
        "HUKOU_DINGTALK_WEBHOOK": ding.url("/robot/send?access_token=tok"), "HUKOU_DINGTALK_SECRET": SECRET,
        "HUKOU_WECOM_WEBHOOK": wecom.url("/cgi-bin/webhook/send?key=k"),
        "HUKOU_BASE_URL": "https://hukou.example.test/", "HUKOU_NOTIFY_ATTEMPTS": 3,
        "HUKOU_NOTIFY_BACKOFF_SECONDS": 0, "HUKOU_NOTIFY_TIMEOUT_SECONDS": 5,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    yield {"smtp": smtp, "ding": ding, "wecom": wecom}
    for box in (smtp, ding, wecom):
        box.close()


def msg(world, user: str, kind: str = "loan_overdue", object_id: int = 7, subject: str | None = None) -> Message:
    """A reminder for one user of the test world about page loan `object_id`."""
    return Message(kind=kind, recipient_id=world["users"][user], subject=subject or f"借用户口页 #{object_id} 已逾期",
                   body=f"借用的户口页 #{object_id} 已超过归还日期，请尽快归还。", link=f"/pageloanview/show/{object_id}",
                   object_type="PageLoan", object_id=object_id)


def do_send(app, messages, day, dry_run=False):
    """send() in its own unit of work, as the reminder job does."""
    with app.app_context():
        with unit_of_work(system_actor("系统（催办）")) as uow:
            return [o.status for o in send(uow, messages, day, dry_run=dry_run)]


def count(app, model, day) -> int:
    """Rows of `model` belonging to notifications of `day`."""
    with app.app_context():
        stmt = select(func.count()).select_from(Notification).where(Notification.day == day)
        if model is Delivery:
            stmt = select(func.count()).select_from(Delivery).join(Notification).where(Notification.day == day)
        return db.session.scalar(stmt)


def run_deliver(app, day):
    with app.app_context():
        return deliver(day)


def test_the_same_reminder_is_recorded_once_a_day(app, world, boxes, day):
    first = [msg(world, "t_employee_a"), msg(world, "t_officer")]
    assert do_send(app, first, day) == ["new", "new"]
    assert count(app, Notification, day) == 2
    assert count(app, Delivery, day) == 6  # e-mail, DingTalk and WeCom for each
    assert do_send(app, first + [msg(world, "t_officer", object_id=8)], day) == ["duplicate", "duplicate", "new"]
    assert count(app, Notification, day) == 3
    assert do_send(app, first, day + dt.timedelta(days=1)) == ["new", "new"]  # a new day reminds again


def test_a_batch_with_the_same_message_twice_records_it_once(app, world, boxes, day):
    assert do_send(app, [msg(world, "t_hr"), msg(world, "t_hr")], day) == ["new", "duplicate"]
    assert count(app, Notification, day) == 1


def test_dry_run_records_nothing_but_tells_what_is_new(app, world, boxes, day):
    do_send(app, [msg(world, "t_leader")], day)
    statuses = do_send(app, [msg(world, "t_leader"), msg(world, "t_finance")], day, dry_run=True)
    assert statuses == ["duplicate", "new"]
    assert count(app, Notification, day) == 1
    assert count(app, Delivery, day) == 3


def test_the_database_refuses_a_second_copy(app, world, day):
    with app.app_context():
        row = dict(kind="manual", recipient_id=world["users"]["t_hr"], subject="催办", body="", link="",
                   object_type="Application", object_id=1, day=day)
        db.session.add(Notification(**row))
        db.session.commit()
        db.session.add(Notification(**row))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_unknown_kind_is_refused(app, world, day):
    bad = Message("party", world["users"]["t_hr"], "x", "", "", "PageLoan", 1)
    with pytest.raises(ValueError):
        do_send(app, [bad], day)


def test_delivery_reaches_mail_dingtalk_and_wecom(app, world, boxes, day):
    do_send(app, [msg(world, "t_employee_a", object_id=31), msg(world, "t_officer", object_id=31),
                  msg(world, "t_officer", kind="approval_overdue", object_id=32)], day)
    report = run_deliver(app, day)
    assert report.ok and {c: (r.sent, r.failed) for c, r in report.channels.items()} == {
        "email": (3, 0), "dingtalk": (3, 0), "wecom": (3, 0)}
    mails = boxes["smtp"].messages
    assert sorted(m["to"][0] for m in mails) == ["t_employee_a@example.test", "t_officer@example.test",
                                                  "t_officer@example.test"]
    first = next(m["msg"] for m in mails if m["to"] == ["t_employee_a@example.test"])
    assert first["Subject"] == "【集体户口】借用户口页 #31 已逾期"
    assert "集体户口管理系统" in first["From"] and "hukou@example.test" in first["From"]
    text = first.get_content()
    assert text.startswith("测试t_employee_a：") and "https://hukou.example.test/pageloanview/show/31" in text
    # one robot post per channel: the digest, a line per reminder naming everyone reminded
    assert len(boxes["ding"].posts) == 1 and len(boxes["wecom"].posts) == 1
    ding = boxes["ding"].posts[0]["json"]
    assert ding["msgtype"] == "markdown"
    assert "测试t_employee_a、测试t_officer" in ding["markdown"]["text"]
    assert "[查看](https://hukou.example.test/pageloanview/show/31)" in ding["markdown"]["text"]
    assert "审批超期" in ding["markdown"]["text"]
    assert boxes["wecom"].posts[0]["json"]["markdown"]["content"] == ding["markdown"]["text"]
    with app.app_context():
        rows = db.session.scalars(select(Delivery).join(Notification).where(Notification.day == day)).all()
        assert {(d.status, d.attempts) for d in rows} == {("sent", 1)}
        assert run_deliver(app, day).channels == {}  # nothing is sent twice


def test_dingtalk_requests_carry_a_valid_signature(app, world, boxes, day):
    do_send(app, [msg(world, "t_hr", object_id=41)], day)
    run_deliver(app, day)
    query = boxes["ding"].posts[0]["query"]
    assert query["access_token"] == ["tok"]
    stamp, sign = query["timestamp"][0], query["sign"][0]
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert sign == expected.decode()
    assert abs(int(stamp) - int(dt.datetime.now().timestamp() * 1000)) < 60_000
    assert "sign" not in boxes["wecom"].posts[0]["query"]


def test_nothing_sent_carries_a_full_id_or_phone_number(app, world, boxes, day):
    leaky = Message("manual", world["users"]["t_employee_a"], f"请张三（{FULL_ID}，{PHONE}）来办理",
                    f"张三 身份证 {FULL_ID}，手机 {PHONE}，请带户口页。", "/residentview/show/1", "Resident", 1)
    do_send(app, [leaky], day)
    run_deliver(app, day)
    sent = boxes["smtp"].texts() + boxes["ding"].texts() + boxes["wecom"].texts()
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.day == day))
        sent += [note.subject, note.body]
    assert len(sent) == 5
    for text in sent:
        assert FULL_ID not in text and PHONE not in text
        assert "张三" in text


def test_a_failing_channel_is_retried_and_does_not_stop_the_others(app, world, boxes, day, monkeypatch):
    boxes["ding"].status, boxes["ding"].answer = 500, {"errcode": -1}
    monkeypatch.setitem(app.config, "HUKOU_WECOM_WEBHOOK", f"http://127.0.0.1:{closed_port()}/send?key=k")
    do_send(app, [msg(world, "t_auditor", object_id=51), msg(world, "t_finance", object_id=52)], day)
    report = run_deliver(app, day)
    assert not report.ok
    assert (report.channels["email"].sent, report.channels["email"].failed) == (2, 0)
    assert (report.channels["dingtalk"].sent, report.channels["dingtalk"].failed) == (0, 2)
    assert report.channels["dingtalk"].errors == ["钉钉机器人返回 HTTP 500"]
    assert report.channels["wecom"].errors == ["无法连接企业微信机器人：连接被拒绝"]
    assert len(boxes["ding"].posts) == 3  # three attempts of the one digest
    assert any("钉钉群机器人：成功 0，失败 2" == line for line in report.lines())
    with app.app_context():
        rows = db.session.execute(select(Delivery.channel, Delivery.status, Delivery.attempts, Delivery.last_error)
                                  .join(Notification).where(Notification.day == day)).all()
        assert {(c, s, a) for c, s, a, _ in rows} == {("email", "sent", 1), ("dingtalk", "failed", 3),
                                                      ("wecom", "failed", 3)}
        tries = db.session.scalar(select(func.count()).select_from(DeliveryAttempt).join(Delivery)
                                  .join(Notification).where(Notification.day == day, Delivery.channel == "dingtalk"))
        assert tries == 6
    # the robot is back: the next run delivers what failed, and only that
    boxes["ding"].status, boxes["ding"].answer = 200, {"errcode": 0, "errmsg": "ok"}
    again = run_deliver(app, day)
    assert (again.channels["dingtalk"].sent, again.channels["dingtalk"].failed) == (2, 0)
    assert "email" not in again.channels and again.channels["wecom"].failed == 2
    assert len(boxes["smtp"].messages) == 2


def test_a_second_attempt_that_works_is_recorded_as_sent(app, world, boxes, day, monkeypatch):
    delays = []
    monkeypatch.setattr(channels, "sleep", delays.append)
    monkeypatch.setitem(app.config, "HUKOU_NOTIFY_BACKOFF_SECONDS", 2)
    boxes["ding"].answers = [(500, {}), (200, {"errcode": 310000, "errmsg": "sign not match"})]
    do_send(app, [msg(world, "t_hr", object_id=61)], day)
    report = run_deliver(app, day)
    assert delays == [2, 4]  # back-off doubles
    assert report.channels["dingtalk"].sent == 1 and report.channels["dingtalk"].attempts == 3
    assert "钉钉机器人拒绝了消息（错误码 310000：sign not match）" in report.channels["dingtalk"].errors
    with app.app_context():
        oks = db.session.scalars(select(DeliveryAttempt.ok).join(Delivery).join(Notification)
                                 .where(Notification.day == day, Delivery.channel == "dingtalk")
                                 .order_by(DeliveryAttempt.id)).all()
        assert oks == [False, False, True]


def test_a_refused_address_fails_alone(app, world, boxes, day):
    boxes["smtp"].refuse.add("t_leader@example.test")
    do_send(app, [msg(world, "t_leader", object_id=71), msg(world, "t_hr", object_id=71)], day)
    report = run_deliver(app, day)
    assert (report.channels["email"].sent, report.channels["email"].failed) == (1, 1)
    assert report.channels["email"].errors == ["邮件服务器拒收收件人 t_leader@example.test"]
    assert [m["to"] for m in boxes["smtp"].messages] == [["t_hr@example.test"]]


def test_mail_server_down_is_reported(app, world, boxes, day, monkeypatch):
    port = closed_port()
    monkeypatch.setitem(app.config, "HUKOU_SMTP_PORT", port)
    do_send(app, [msg(world, "t_hr", object_id=81)], day)
    report = run_deliver(app, day)
    assert report.channels["email"].errors == [f"无法连接邮件服务器 127.0.0.1:{port}：连接被拒绝"]
    assert report.channels["dingtalk"].sent == 1


def test_without_channels_only_the_centre_gets_it(app, world, day):
    assert do_send(app, [msg(world, "t_hr", object_id=91)], day) == ["new"]
    assert count(app, Delivery, day) == 0
    assert run_deliver(app, day).lines() == ["外部渠道：没有待发送的消息"]


def test_stale_deliveries_are_given_up(app, world, boxes, day):
    old = day - dt.timedelta(days=RETRY_DAYS + 1)
    do_send(app, [msg(world, "t_hr", object_id=95)], old)
    assert run_deliver(app, day).channels == {}
    with app.app_context():
        errors = db.session.scalars(select(Delivery.last_error).join(Notification)
                                    .where(Notification.day == old)).all()
        assert errors and all(re.match(r"超过 \d+ 天未能发送", e) for e in errors)
    assert boxes["smtp"].messages == []


def test_a_delivery_claimed_by_another_run_is_left_alone_until_abandoned(app, world, boxes, day):
    from app.clock import utcnow
    from sqlalchemy import update

    do_send(app, [msg(world, "t_hr", object_id=97)], day)
    with app.app_context():
        ids = db.session.scalars(select(Delivery.id).join(Notification).where(Notification.day == day)).all()
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids))
                           .values(status="sending", last_attempt_at=utcnow()))
        db.session.commit()
    assert run_deliver(app, day).channels == {}  # another run is sending them right now
    with app.app_context():
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids))
                           .values(last_attempt_at=utcnow() - dt.timedelta(hours=1)))
        db.session.commit()
    report = run_deliver(app, day)  # that run died: this one takes them over
    assert {c: r.sent for c, r in report.channels.items()} == {"email": 1, "dingtalk": 1, "wecom": 1}


def test_cli_deliver_prints_each_channel_and_fails_on_errors(app, world, boxes, day):
    boxes["wecom"].status = 500
    do_send(app, [msg(world, "t_hr", object_id=98)], day)
    result = app.test_cli_runner().invoke(args=["hukou", "notify", "deliver", "--date", day.isoformat()])
    assert result.exit_code == 1
    assert "电子邮件：成功 1，失败 0" in result.output and "企业微信群机器人：成功 0，失败 1" in result.output
    assert "错误：企业微信机器人返回 HTTP 500" in result.output
    boxes["wecom"].status = 200
    again = app.test_cli_runner().invoke(args=["hukou", "notify", "deliver", "--date", day.isoformat()])
    assert again.exit_code == 0 and "企业微信群机器人：成功 1，失败 0" in again.output
    bad = app.test_cli_runner().invoke(args=["hukou", "notify", "deliver", "--date", "2041-13-01"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_cli_test_message_reaches_every_channel_and_records_nothing(app, boxes):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Delivery))
    result = app.test_cli_runner().invoke(args=["hukou", "notify", "test", "--to", "ops@example.test"])
    assert result.exit_code == 0, result.output
    assert result.output.count("成功") == 3
    assert boxes["smtp"].messages[0]["to"] == ["ops@example.test"]
    assert "测试消息" in boxes["ding"].texts()[0] and "测试消息" in boxes["wecom"].texts()[0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == before


@pytest.mark.parametrize("tls,port", [("none", 25), ("starttls", 587), ("ssl", 465)])
def test_settings_pick_the_usual_port_and_absolute_links(tls, port):
    from app.notifications.settings import from_mapping

    s = from_mapping({"HUKOU_SMTP_HOST": "mail", "HUKOU_SMTP_TLS": tls.upper(), "HUKOU_BASE_URL": "https://h.cn/"})
    assert s.port() == port and s.channels() == ["email"]
    assert s.url("/applicationview/show/3") == "https://h.cn/applicationview/show/3"
    assert from_mapping({"HUKOU_SMTP_PORT": "2525"}).port() == 2525
    assert from_mapping({}).url("/x") == "/x" and from_mapping({}).channels() == []
    assert from_mapping({"HUKOU_NOTIFY_ATTEMPTS": "x"}).attempts == 3


def test_an_unknown_tls_mode_is_reported_in_chinese(app, world, boxes, day, monkeypatch):
    monkeypatch.setitem(app.config, "HUKOU_SMTP_TLS", "tls")
    do_send(app, [msg(world, "t_hr", object_id=99)], day)
    report = run_deliver(app, day)
    assert report.channels["email"].errors == ["HUKOU_SMTP_TLS 取值无效（tls），应为 none / starttls / ssl"]
    assert report.channels["dingtalk"].sent == 1
