"""`flask --app run hukou remind [--dry-run] [--date YYYY-MM-DD] [--once]`: one line per reminder, a summary.

Exit 0 whatever the channels did (failures are in the summary and on the admin's home page); non-zero only
when the command itself fails.
"""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

STATUS = {"new": "新", "duplicate": "今日已发，跳过"}


def _day(_ctx, _param, value: str | None) -> dt.date | None:
    """--date as a date (YYYY-MM-DD), with a Chinese message when it is not one."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD，收到「{value}」") from err


def _who(user_ids: set[int]) -> dict[int, str]:
    """Display names (family name first) of the recipients, by user id."""
    from flask import current_app
    from sqlalchemy import select

    from ..extensions import db

    user = current_app.appbuilder.sm.user_model
    rows = db.session.execute(select(user.id, user.last_name, user.first_name, user.username)
                              .where(user.id.in_(sorted(user_ids)))) if user_ids else []
    return {uid: f"{last or ''}{first or ''}".strip() or name for uid, last, first, name in rows}


def summary_lines(result) -> list[str]:
    """The lines after the reminders: counts per kind, then each channel's sent / failed."""
    from ..notifications.channels import KIND_LABELS

    lines = []
    for kind, counts in sorted(result.counts().items()):
        lines.append(f"{KIND_LABELS.get(kind, kind)}：新 {counts.get('new', 0)}，"
                     f"今日已发 {counts.get('duplicate', 0)}")
    verb = "将发送" if result.dry_run else "已记录"
    lines.append(f"合计：{verb} {result.new} 条，跳过 {len(result.outcomes) - result.new} 条（今日已发）")
    if result.delivery is not None:
        lines += result.delivery.lines()
    elif result.dry_run:
        lines.append("预演：未记录、未发送任何消息。")
    return lines


def _warn_calendar(day: dt.date) -> None:
    """A warning on stderr when the working-day limits of this year rest on the law alone (no official data)."""
    from ..calendar.workdays import years_without_data

    missing = years_without_data({day.year - 1, day.year})
    if missing:
        click.echo(f"警告：{'、'.join(map(str, missing))} 年没有官方节假日安排，工作日按法定节日和周末推算。",
                   err=True)


@click.command("remind")
@click.option("--dry-run", is_flag=True, help="Show the reminders; record and send nothing.")
@click.option("--date", "day", callback=_day, metavar="YYYY-MM-DD", help="Take this day as today.")
@click.option("--once", is_flag=True, help="Skip when the day's scheduled run has already been done "
                                           "(cron on several servers).")
@with_appcontext
def remind_cmd(dry_run: bool, day: dt.date | None, once: bool) -> None:
    """Find today's reminders (overdue loans, leavers, materials, approvals, ID cards, certificates), record
    them in the notification centre and deliver them by e-mail / DingTalk / WeCom."""
    from ..clock import today
    from ..notifications.channels import KIND_LABELS
    from .remind_run import run_reminders

    day = day or today()
    _warn_calendar(day)
    result = run_reminders(day, dry_run=dry_run, once=once)
    if result.skipped:
        click.echo(f"{day.isoformat()} 的催办已由定时任务发送过，本次跳过。")
        return
    names = _who({o.message.recipient_id for o in result.outcomes})
    for o in result.outcomes:
        m = o.message
        click.echo(f"[{KIND_LABELS.get(m.kind, m.kind)}] {names.get(m.recipient_id, m.recipient_id)} ← "
                   f"{m.subject}（{m.link}）{'' if o.status == 'new' else '〔' + STATUS[o.status] + '〕'}")
    for line in summary_lines(result):
        click.echo(line)
