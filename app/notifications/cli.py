"""`flask --app run hukou notify deliver|test`: push pending deliveries again; check the configured channels."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from ..clock import today


def _day(_ctx, _param, value: str | None) -> dt.date | None:
    """A --date option as a date (a clear message when unreadable)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from None


@click.group("notify")
def notify_cmd() -> None:
    """Notification channels: deliver what is pending or failed, or send a test message."""


@notify_cmd.command("deliver")
@click.option("--date", "day", callback=_day, metavar="YYYY-MM-DD", help="Take this day as today.")
@with_appcontext
def deliver_cmd(day: dt.date | None) -> None:
    """Push pending deliveries and retry failed ones of the last days (e.g. hourly from cron)."""
    from .service import deliver

    report = deliver(day or today())
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise SystemExit(1)


@notify_cmd.command("test")
@click.option("--to", "address", default="", help="E-mail address for the test mail.")
@with_appcontext
def test_cmd(address: str) -> None:
    """Send one test message through every configured channel and print the result (nothing is recorded)."""
    from . import channels
    from .settings import current

    settings = current()
    wanted = settings.channels()
    if not wanted:
        raise click.ClickException("没有配置任何外部渠道（HUKOU_SMTP_HOST / HUKOU_DINGTALK_WEBHOOK / HUKOU_WECOM_WEBHOOK）")
    item = channels.Item(0, "", address or None, "manual", "测试消息：通知渠道配置正确", "这是一条测试消息，无需处理。",
                         "/", "管理员", "Resident", 0, today())
    failed = False
    for channel in wanted:
        if channel == "email" and not address:
            click.echo(f"{channels.CHANNEL_LABELS[channel]}：跳过（用 --to 指定收件地址）")
            continue
        attempts = channels.push(channel, [item], settings)
        last = attempts[-1]
        failed |= not last.ok
        click.echo(f"{channels.CHANNEL_LABELS[channel]}：" + ("成功" if last.ok else f"失败（{last.error}）"))
    if failed:
        raise SystemExit(1)
