"""The hash-chained audit trail: audit-verify on an intact chain, after a direct edit, delete or insert, and
after a retention purge; every row carries who, role and request id."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from app import audit
from app.audit.chain import verify
from app.audit.cli import audit_verify_cmd, purge_audit_cmd
from app.clock import utcnow
from app.extensions import db
from app.models import AuditAnchor, AuditLog
from tests.conftest import PASSWORD, scratch_database


@pytest.fixture
def chain_app(tmp_path_factory):
    """An app on its own database: these tests tamper with the trail, which the shared one must not see."""
    from app import create_app
    from app.bootstrap import bootstrap
    from app.db import migrate

    with scratch_database(tmp_path_factory.mktemp("chain"), "hukou_chain") as url:
        migrate(url)
        application = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SERVER_NAME": "localhost",
                                  "RATELIMIT_STORAGE_URI": "memory://",
                                  "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                                  "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("up"))})
        with application.app_context():
            bootstrap(PASSWORD)
        yield application
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def add(app, n: int = 3, days_old: float = 0) -> list[int]:
    """Append n rows through the chain; their ids."""
    with app.app_context():
        rows = [audit.entry("probe", object_type="Probe", object_id=f"p{i}") for i in range(n)]
        for row in rows:
            row["at"] = utcnow() - dt.timedelta(days=days_old)
        audit.record_rows(db.session, rows)
        db.session.commit()
        return list(db.session.scalars(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(n)))[::-1]


def run_verify(app):
    """(exit code, output) of `hukou audit-verify`."""
    result = app.test_cli_runner().invoke(audit_verify_cmd)
    return result.exit_code, result.output


def tamper(app, sql: str, **params) -> None:
    """Run SQL with the append-only triggers lifted, as an attacker with database access would."""
    with app.app_context():
        pg = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard") if pg else
                         text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            if not pg:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            conn.execute(text(sql), params)
            if pg:
                conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_guard"))
            else:
                conn.execute(text("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                                  "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"))


def test_intact_chain_verifies_and_counts_rows(chain_app):
    add(chain_app, 5)
    code, out = run_verify(chain_app)
    with chain_app.app_context():
        total = db.session.scalar(select(func.count()).select_from(AuditLog))
    assert code == 0 and f"{total} 行" in out


@pytest.mark.parametrize("kind", ["edit", "delete", "insert"])
def test_a_direct_change_names_the_first_broken_row(chain_app, kind):
    ids = add(chain_app, 3)
    assert run_verify(chain_app)[0] == 0
    if kind == "edit":
        tamper(chain_app, "UPDATE audit_log SET username = 'mallory' WHERE id = :i", i=ids[1])
        broken = ids[1]
    elif kind == "delete":
        tamper(chain_app, "DELETE FROM audit_log WHERE id = :i", i=ids[1])
        broken = ids[2]
    else:
        tamper(chain_app, "INSERT INTO audit_log (at, action, success, prev_hash, row_hash) "
                          "VALUES (:at, 'forged', :t, :p, :h)", at=utcnow(), t=True, p="0" * 64, h="f" * 64)
        with chain_app.app_context():
            broken = db.session.scalar(select(func.max(AuditLog.id)))
    code, out = run_verify(chain_app)
    assert code != 0 and f"id={broken}" in out
    with chain_app.app_context():
        report = verify(db.session)
    assert report.first_broken_id == broken


def test_purge_leaves_an_anchor_and_the_chain_still_verifies(tmp_path_factory):
    """Rows older than the retention go; the remaining chain (and the purge row) still verify."""
    from app import create_app
    from app.bootstrap import bootstrap
    from app.db import migrate

    with scratch_database(tmp_path_factory.mktemp("purge"), "hukou_purge") as url:
        migrate(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_STORAGE_URI": "memory://",
                          "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("up2"))})
        with app.app_context():
            bootstrap(PASSWORD)
        add(app, 2, days_old=400)
        kept = add(app, 2, days_old=1)
        add(app, 1, days_old=300)  # an old row after young ones: a second purged run
        last = add(app, 1)
        result = app.test_cli_runner().invoke(purge_audit_cmd, ["--days", "200"])
        assert result.exit_code == 0, result.output
        code, out = run_verify(app)
        assert code == 0, out
        with app.app_context():
            anchors = set(db.session.scalars(select(AuditAnchor.resume_id)))
            assert {kept[0], last[0]} <= anchors
            assert db.session.scalar(select(func.count()).where(AuditLog.at < utcnow() - dt.timedelta(days=200))) == 0
            db.session.remove()
            db.engine.dispose()


def test_rows_name_role_and_request_id(app, login, world):
    """A web action's audit row carries the user's role and the request id sent back as X-Request-Id."""
    c = login("t_officer")
    r = c.post(f"/residentview/unmask/{world['res_a']}", data={"csrf_token": c.csrf})
    assert r.status_code == 200
    rid = r.headers["X-Request-Id"]
    with app.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.request_id == rid))
    assert row is not None and row.action == "unmask" and row.role == "HukouOfficer"
    assert row.username == "t_officer" and row.row_hash and len(row.prev_hash) == 64


def test_a_bulk_append_chains_and_verifies(chain_app):
    """A bulk write's audit rows (COPY on PostgreSQL) are chained in order and verify."""
    ids = add(chain_app, 1200)
    assert ids == list(range(ids[0], ids[0] + 1200))
    code, out = run_verify(chain_app)
    assert code == 0, out
    with chain_app.app_context():
        first, last = (db.session.get(AuditLog, i) for i in (ids[0], ids[-1]))
        assert first.object_id == "p0" and last.object_id == "p1199" and first.success is True
