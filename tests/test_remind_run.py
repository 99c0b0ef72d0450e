"""Running the reminders: `hukou remind` (dry run, --date, summary), once per day, and the daily schedule."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from app.cli import hukou_cli
from app.desk import schedule
from app.desk.remind_run import DAILY, run_reminders
from app.extensions import db
from app.models import AuditLog
from tests.conftest import PASSWORD
from tests.remind_support import D, clear_notifications, crafted_rows, notifications


@pytest.fixture(scope="module")
def crafted(app):
    """The crafted rows; after the module their notifications are removed and the objects closed."""
    yield from crafted_rows(app, PASSWORD,
                            lambda: clear_notifications(D - dt.timedelta(days=60), D + dt.timedelta(days=60)))


def _cli(app, *args):
    """Run `hukou …` and return the click result."""
    return app.test_cli_runner().invoke(hukou_cli, list(args))


def _count(day: dt.date) -> int:
    """Notifications recorded for a day."""
    return len(notifications(day))


def test_dry_run_prints_the_reminders_and_records_nothing(app, crafted):
    day = D + dt.timedelta(days=1)
    result = _cli(app, "remind", "--dry-run", "--date", day.isoformat())
    assert result.exit_code == 0, result.output
    assert "[借页逾期未还] 赵借页 ← 户口页借用逾期：赵借页" in result.output
    assert "[离职逾期未迁出]" in result.output and "[材料待补正] 李申请" in result.output
    assert "预演：未记录、未发送任何消息。" in result.output
    with app.app_context():
        assert _count(day) == 0
        runs = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.object_type == "Reminder", AuditLog.object_id == day.isoformat()))
        assert runs == 0


def test_a_run_records_once_and_the_same_day_again_gives_duplicates(app, crafted, world):
    day = D + dt.timedelta(days=2)
    with app.app_context():
        first = run_reminders(day)
        recorded = _count(day)
        mine = notifications(day, kind="loan_overdue", object_id=crafted.loan)
        second = run_reminders(day)
        assert recorded == first.new > 0
        assert {n.recipient_id for n in mine} >= {crafted.users["loan"], world["users"]["t_officer"]}
        assert second.new == 0 and len(second.outcomes) == len(first.outcomes)
        assert {o.status for o in second.outcomes} == {"duplicate"}
        assert _count(day) == recorded
        assert mine[0].sender == "系统（催办）"


def test_cli_summary_counts_per_kind_and_reports_a_failing_channel(app, crafted):
    day = D + dt.timedelta(days=3)
    saved = {k: app.config.get(k) for k in ("HUKOU_WECOM_WEBHOOK", "HUKOU_NOTIFY_ATTEMPTS",
                                            "HUKOU_NOTIFY_BACKOFF_SECONDS", "HUKOU_NOTIFY_TIMEOUT_SECONDS")}
    app.config.update(HUKOU_WECOM_WEBHOOK="http://127.0.0.1:9/robot", HUKOU_NOTIFY_ATTEMPTS=1,
                      HUKOU_NOTIFY_BACKOFF_SECONDS=0, HUKOU_NOTIFY_TIMEOUT_SECONDS=2)
    try:
        result = _cli(app, "remind", "--date", day.isoformat())
    finally:
        app.config.update(saved)
    assert result.exit_code == 0, result.output
    assert "借页逾期未还：新 " in result.output and "合计：已记录 " in result.output
    assert "企业微信群机器人：成功 0，失败 " in result.output
    again = _cli(app, "remind", "--date", day.isoformat())
    assert "〔今日已发，跳过〕" in again.output and "合计：已记录 0 条" in again.output


def test_bad_date_is_refused_in_chinese(app):
    result = _cli(app, "remind", "--date", "2030-13-01")
    assert result.exit_code != 0 and "日期格式应为 YYYY-MM-DD" in result.output


def test_two_schedulers_send_a_days_reminders_once(app, crafted):
    day = D + dt.timedelta(days=6)  # Monday 2030-03-18: a working day (the schedule skips days off)
    start = threading.Barrier(2)
    results, errors = [], []

    def scheduler():
        try:
            start.wait()
            results.append(schedule.daily(app, day))
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    ran = [r for r in results if r is not None and not r.skipped]
    skipped = [r for r in results if r is not None and r.skipped]
    assert len(ran) == 1 and len(skipped) == 1
    with app.app_context():
        notes = notifications(day)
        assert len(notes) == ran[0].new > 0
        assert len({(n.kind, n.recipient_id, n.object_type, n.object_id) for n in notes}) == len(notes)
        marks = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == DAILY, AuditLog.object_id == day.isoformat()))
        assert marks == 1
    assert schedule.daily(app, day).skipped  # a later catch-up run of the same day does nothing
    once = _cli(app, "remind", "--once", "--date", day.isoformat())
    assert "已由定时任务发送过" in once.output


def test_schedule_skips_days_off(app, crafted):
    saturday = dt.date(2030, 3, 23)
    assert schedule.daily(app, saturday) is None
    with app.app_context():
        assert _count(saturday) == 0


@pytest.mark.parametrize("utc,fires", [
    ("2030-03-12T00:30", True),   # 08:30 in Shanghai
    ("2030-03-12T00:31", False),
    ("2030-03-12T08:30", True),   # 16:30: a catch-up hour
    ("2030-03-12T10:30", True),   # 18:30: the last catch-up
    ("2030-03-12T11:30", False),  # 19:30
    ("2030-03-11T23:30", False),  # 07:30
])
def test_periodic_task_fires_at_half_past_eight_local_and_catches_up(utc, fires):
    assert schedule.fires_at(dt.datetime.fromisoformat(utc), (8, 30)) is fires


@pytest.mark.parametrize("value,expected", [("08:30", (8, 30)), ("7:05", (7, 5)), ("25:00", (8, 30)),
                                            ("", (8, 30)), ("abc", (8, 30))])
def test_remind_at_setting(value, expected):
    assert schedule.remind_at(value) == expected


def test_the_queue_enqueues_the_task_at_half_past_eight_local(app):
    from app.jobs import huey_of

    def due(utc: str) -> set[str]:
        """Names of the periodic tasks the consumer would enqueue at that (UTC) minute."""
        return {t.name for t in huey_of(app).read_periodic(dt.datetime.fromisoformat(utc))}

    assert schedule.TASK_NAME in due("2030-03-12T00:30")
    assert schedule.TASK_NAME not in due("2030-03-12T00:45")
