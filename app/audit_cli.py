"""`flask --app run hukou purge-audit [--days N]`: delete audit rows older than the retention period."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete

from .models.base import utcnow

LEGAL_MINIMUM_DAYS = 184  # 网络安全法 Art. 21: network logs are kept at least six months


def retention_days() -> int:
    """The configured retention (HUKOU_AUDIT_RETENTION_DAYS), never below the legal minimum."""
    return max(LEGAL_MINIMUM_DAYS, int(current_app.config.get("HUKOU_AUDIT_RETENTION_DAYS", LEGAL_MINIMUM_DAYS)))


def purge_audit(days: int) -> int:
    """Delete audit rows older than `days` days (caller checked the minimum); the purge itself is audited."""
    from . import audit
    from .extensions import db
    from .models import AuditLog

    db.session.commit()  # PostgreSQL's trigger compares with now() = transaction start: start it after the cutoff
    cutoff = utcnow() - dt.timedelta(days=days)
    deleted = db.session.execute(delete(AuditLog).where(AuditLog.at < cutoff)
                                 .execution_options(synchronize_session=False)).rowcount
    audit.record(db.session, "purge_audit", object_type="AuditLog",
                 detail={"days": days, "before": cutoff.isoformat(timespec="seconds"), "deleted": deleted})
    db.session.commit()
    return deleted


@click.command("purge-audit")
@click.option("--days", type=int, default=None,
              help="Delete rows older than this many days (at least HUKOU_AUDIT_RETENTION_DAYS, default 184).")
@with_appcontext
def purge_audit_cmd(days: int | None) -> None:
    """Delete audit-trail rows older than N days; N below the retention period is refused."""
    minimum = retention_days()
    days = minimum if days is None else days
    if days < minimum:
        raise click.BadParameter(f"must be at least {minimum} days (audit records are kept at least "
                                 f"{minimum} days)", param_hint="--days")
    count = purge_audit(days)
    click.echo(f"deleted {count} audit rows older than {days} days")
