"""`flask --app run hukou purge-audit [--days N]` and `hukou audit-verify`: retention and the chain check."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, func, insert, select

from ..clock import utcnow

LEGAL_MINIMUM_DAYS = 184  # 网络安全法 Art. 21: network logs are kept at least six months


def retention_days() -> int:
    """The configured retention (HUKOU_AUDIT_RETENTION_DAYS), never below the legal minimum."""
    return max(LEGAL_MINIMUM_DAYS, int(current_app.config.get("HUKOU_AUDIT_RETENTION_DAYS", LEGAL_MINIMUM_DAYS)))


def purge_audit(uow, days: int) -> int:
    """Delete rows older than `days` days; anchor each surviving row whose predecessor goes; audit the purge."""
    from ..models import AuditAnchor, AuditLog

    session = uow.session
    cutoff = utcnow() - dt.timedelta(days=days)
    ordered = select(AuditLog.id, AuditLog.prev_hash, AuditLog.at,
                     func.lag(AuditLog.at).over(order_by=AuditLog.id).label("before_at")).subquery()
    resumes = session.execute(select(ordered.c.id, ordered.c.prev_hash)
                              .where(ordered.c.at >= cutoff, ordered.c.before_at < cutoff)).all()
    deleted = session.execute(delete(AuditLog).where(AuditLog.at < cutoff)
                              .execution_options(synchronize_session=False)).rowcount
    if resumes:
        session.execute(insert(AuditAnchor), [{"at": utcnow(), "resume_id": rid, "last_hash": prev or "",
                                               "purged": deleted} for rid, prev in resumes])
    uow.record("purge_audit", object_type="AuditLog",
               detail={"days": days, "before": cutoff.isoformat(timespec="seconds"), "deleted": deleted,
                       "resumes": [rid for rid, _prev in resumes]})
    return deleted


@click.command("purge-audit")
@click.option("--days", type=int, default=None,
              help="Delete rows older than this many days (at least HUKOU_AUDIT_RETENTION_DAYS, default 184).")
@with_appcontext
def purge_audit_cmd(days: int | None) -> None:
    """Delete audit-trail rows older than N days; N below the retention period is refused."""
    from ..extensions import db
    from ..security.actor import cli_actor
    from ..uow import unit_of_work

    minimum = retention_days()
    days = minimum if days is None else days
    if days < minimum:
        raise click.BadParameter(f"至少 {minimum} 天（审计记录至少保留 {minimum} 天）", param_hint="--days")
    db.session.commit()  # PostgreSQL's trigger compares with now() = transaction start: start it after the cutoff
    with unit_of_work(cli_actor("系统（审计清理）")) as uow:
        count = purge_audit(uow, days)
    click.echo(f"已删除 {count} 条早于 {days} 天的审计记录（保留锚点，审计链仍可校验）")


@click.command("audit-verify")
@with_appcontext
def audit_verify_cmd() -> None:
    """Walk the audit hash chain: exit 0 and the row count when intact, else exit 1 naming the first broken row."""
    from ..extensions import db
    from .chain import verify

    report = verify(db.session)
    db.session.rollback()
    if report.ok:
        click.echo(f"审计链完整：{report.rows} 行")
        return
    click.echo(f"审计链断裂：第一处问题在 id={report.first_broken_id} 的行。{report.message}", err=True)
    raise SystemExit(1)
