"""The audit trail: read-only screen for Auditor and Admin, append-only triggers, the purge command."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from app import audit
from app.audit.cli import purge_audit_cmd
from app.extensions import db
from app.models import AuditLog
from app.models.base import utcnow

ALL_USERS = ["t_officer", "t_approver_a", "t_leader", "t_hr", "t_finance", "t_auditor", "t_employee_a",
             "t_admin"]
AUDIT_READERS = {"t_auditor", "t_admin"}


def add_row(app, days_old: float = 0, **values) -> int:
    """Insert one audit row `days_old` days in the past (inserts are always allowed); returns its id."""
    row = {"at": utcnow() - dt.timedelta(days=days_old), "action": "test", "username": "tester",
           "object_type": "Probe", "object_id": uuid.uuid4().hex[:12], "success": True, **values}
    with app.app_context():
        audit.record_rows(db.session, [row])  # through the chain, as the app writes them
        db.session.commit()
        return db.session.scalar(select(AuditLog.id).where(AuditLog.object_id == row["object_id"]))


def exists(app, row_id: int) -> bool:
    """Whether the audit row is still there."""
    with app.app_context():
        return db.session.get(AuditLog, row_id) is not None


@pytest.mark.parametrize("user", ALL_USERS)
@pytest.mark.parametrize("path", ["/auditlogview/list/", "/auditlogview/show/{row}"])
def test_audit_screens_by_role(app, login, user, path):
    """Only Auditor and Admin read the audit trail."""
    row = add_row(app)
    status = login(user).get(path.format(row=row)).status_code
    assert status == (200 if user in AUDIT_READERS else 403)


@pytest.mark.parametrize("user", ["t_admin", "t_auditor"])
@pytest.mark.parametrize("method,path", [
    ("get", "/auditlogview/add"), ("post", "/auditlogview/add"), ("get", "/auditlogview/edit/{row}"),
    ("post", "/auditlogview/edit/{row}"), ("post", "/auditlogview/delete/{row}"),
    ("post", "/auditlogview/action_post"), ("post", "/auditlogview/action/delete/{row}"),
])
def test_audit_trail_has_no_write_routes(app, login, user, method, path):
    """No add, edit, delete or action route exists, even for Admin; the row is unchanged."""
    row = add_row(app, action="keep")
    c = login(user)
    r = getattr(c, method)(path.format(row=row), data={"csrf_token": c.csrf, "action": "keep"})
    assert r.status_code in (404, 405)
    with app.app_context():
        assert db.session.get(AuditLog, row).action == "keep"


@pytest.mark.parametrize("filter_arg,match,miss", [
    ("_flt_0_action={tag}a", {"action": "{tag}a"}, {"action": "{tag}b"}),
    ("_flt_3_username={tag}u", {"username": "{tag}u"}, {"username": "{tag}v"}),
    ("_flt_0_object_type={tag}T", {"object_type": "{tag}T"}, {"object_type": "{tag}S"}),
])
def test_audit_filters(app, login, filter_arg, match, miss):
    """Filters by action, user and object type keep matching rows and drop the others."""
    tag = uuid.uuid4().hex[:6]
    hit = add_row(app, **{k: v.format(tag=tag) for k, v in match.items()}, object_id=f"hit{tag}")
    add_row(app, **{k: v.format(tag=tag) for k, v in miss.items()}, object_id=f"miss{tag}")
    body = login("t_auditor").get(f"/auditlogview/list/?{filter_arg.format(tag=tag)}").get_data(as_text=True)
    assert f"hit{tag}" in body and f"miss{tag}" not in body
    assert exists(app, hit)


def test_audit_date_range_filter(app, login):
    """A from/to range on the time column selects rows inside it only (200 days ago is kept by the triggers)."""
    tag = uuid.uuid4().hex[:6]
    add_row(app, days_old=200, action=f"{tag}r", object_id=f"old{tag}")
    add_row(app, days_old=0, action=f"{tag}r", object_id=f"new{tag}")
    start = (utcnow() - dt.timedelta(days=201)).strftime("%Y-%m-%d %H:%M:%S")
    end = (utcnow() - dt.timedelta(days=199)).strftime("%Y-%m-%d %H:%M:%S")
    url = f"/auditlogview/list/?_flt_0_action={tag}r&_flt_1_at={start}&_flt_2_at={end}"
    body = login("t_auditor").get(url).get_data(as_text=True)
    assert f"old{tag}" in body and f"new{tag}" not in body


def test_audit_detail_is_readable(app, login):
    """The detail JSON is shown as a field / old / new table with the fee's status names, not raw JSON."""
    detail = json.dumps({"status": ["unpaid", "paid"], "note": "核对无误"}, ensure_ascii=False)
    row = add_row(app, detail=detail, object_type="Fee")
    body = login("t_admin").get(f"/auditlogview/show/{row}").get_data(as_text=True)
    assert "<th>缴费状态</th><td>未缴</td><td>已缴</td>" in body and "<th>备注</th><td colspan=\"2\">核对无误</td>" in body
    assert '{"status"' not in body and "unpaid" not in body


def test_update_and_young_delete_are_refused_by_the_database(app):
    """The triggers refuse UPDATE of any audit row and DELETE of a row younger than 184 days."""
    young = add_row(app, days_old=10, action="young")
    old = add_row(app, days_old=400, action="old")
    with app.app_context():
        for sql in ("UPDATE audit_log SET action = 'tampered' WHERE id = :id",
                    "DELETE FROM audit_log WHERE id = :id"):
            with db.engine.connect() as conn:
                with pytest.raises(DBAPIError):
                    conn.execute(text(sql), {"id": young})
                conn.rollback()
        with db.engine.connect() as conn:
            with pytest.raises(DBAPIError):
                conn.execute(text("UPDATE audit_log SET action = 'tampered' WHERE id = :id"), {"id": old})
            conn.rollback()
        assert db.session.get(AuditLog, young).action == "young"
    assert exists(app, old)


@pytest.mark.parametrize("days", ["0", "30", "183"])
def test_purge_refuses_less_than_184_days(app, days):
    """--days below the retention period is refused and deletes nothing."""
    old = add_row(app, days_old=400)
    result = app.test_cli_runner().invoke(purge_audit_cmd, ["--days", days])
    assert result.exit_code != 0 and "184" in result.output
    assert exists(app, old)


def test_purge_deletes_only_rows_older_than_n_days(app):
    """--days 300 removes a 400-day-old row, keeps 200- and 0-day-old rows, and audits itself."""
    very_old, old, young = add_row(app, days_old=400), add_row(app, days_old=200), add_row(app)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "purge_audit"))
    result = app.test_cli_runner().invoke(purge_audit_cmd, ["--days", "300"])
    assert result.exit_code == 0, result.output
    assert not exists(app, very_old) and exists(app, old) and exists(app, young)
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "purge_audit"))
    assert after == before + 1


def test_purge_default_is_the_retention_period(app):
    """Without --days the configured retention (at least 184 days) applies."""
    old, kept = add_row(app, days_old=190), add_row(app, days_old=170)
    result = app.test_cli_runner().invoke(purge_audit_cmd, [])
    assert result.exit_code == 0, result.output
    assert not exists(app, old) and exists(app, kept)
