"""`flask hukou check [--fix]`: orphan files (the scan a kill -9 during an upload leaves with no row), rows whose
file is missing or altered, the audit chain; --fix quarantines orphans and never deletes."""
import json
import os
import sys
import time
import types
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from tests.backup_support import cli, new_application, officer_api, own_app, pdf, stored_path, upload

HOUR = 3600


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """An app of its own with two uploaded scans: (app, [material ids])."""
    folder = tmp_path_factory.mktemp("check")
    with own_app(folder, "ck") as application:
        client, headers = officer_api(application)
        app_id = new_application(application)
        ids = [upload(application, client, headers, app_id, pdf(tag)) for tag in ("一", "二")]
        yield application, ids


def _stray(application, name: str, age_seconds: int, data: bytes = b"%PDF-1.4 left behind") -> Path:
    """A file in the upload folder that no row names, last modified `age_seconds` ago."""
    path = Path(application.config["UPLOAD_FOLDER"]) / name
    path.write_bytes(data)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def _quarantine(application) -> Path:
    """<UPLOAD_FOLDER>/../quarantine/<today>/ (Asia/Shanghai)."""
    from app.clock import today

    return Path(application.config["UPLOAD_FOLDER"]).resolve().parent / "quarantine" / today().isoformat()


def test_clean_folder_passes(checked):
    application, _ids = checked
    result = cli(application, "check")
    assert result.exit_code == 0, result.output
    assert "未发现问题" in result.output and "2 个文件均存在" in result.output


def test_orphan_scan_is_found_and_quarantined_never_deleted(checked):
    application, _ids = checked
    crashed = _stray(application, "ab" * 16, 2 * HOUR)  # renamed into place, then the process died: no row
    partial = _stray(application, ".cd" + "ef" * 15 + ".part", 2 * HOUR, b"%PDF-1.4 half")
    found = cli(application, "check")
    assert found.exit_code == 1
    assert crashed.name in found.output and partial.name in found.output and "--fix" in found.output
    assert crashed.exists() and partial.exists()  # without --fix nothing moves
    fixed = cli(application, "check", "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert "已将 2 个移入" in fixed.output
    assert not crashed.exists() and not partial.exists()
    quarantined = _quarantine(application)
    assert (quarantined / crashed.name).read_bytes() == b"%PDF-1.4 left behind"
    assert (quarantined / partial.name).read_bytes() == b"%PDF-1.4 half"
    with application.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "quarantine")
                                .order_by(AuditLog.id.desc()))
    assert sorted(json.loads(row.detail)["files"]) == sorted([crashed.name, partial.name])
    assert cli(application, "check").exit_code == 0


def test_quarantine_keeps_an_earlier_file_of_the_same_name(checked):
    application, _ids = checked
    name = "12" * 16
    _stray(application, name, 2 * HOUR, b"first")
    assert cli(application, "check", "--fix").exit_code == 0
    _stray(application, name, 2 * HOUR, b"second")
    assert cli(application, "check", "--fix").exit_code == 0
    quarantined = _quarantine(application)
    assert (quarantined / name).read_bytes() == b"first"
    assert (quarantined / f"{name}.1").read_bytes() == b"second"


def test_a_fresh_file_may_be_an_upload_in_progress(checked):
    application, _ids = checked
    fresh = _stray(application, "34" * 16, 10)
    try:
        result = cli(application, "check", "--fix")
        assert result.exit_code == 0, result.output
        assert fresh.exists() and "可能正在上传" in result.output
        assert cli(application, "check", "--min-age", "0").exit_code == 1
    finally:
        fresh.unlink()


def test_missing_and_altered_files_are_reported_and_not_fixed(checked):
    application, ids = checked
    gone, changed = stored_path(application, ids[0]), stored_path(application, ids[1])
    saved = {gone: gone.read_bytes(), changed: changed.read_bytes()}
    try:
        gone.unlink()
        changed.write_bytes(saved[changed][:-1] + b"X")  # same size, other content: only the sha256 tells
        for args in (["check"], ["check", "--fix"]):
            result = cli(application, *args)
            assert result.exit_code == 1
            assert f"缺失：#{ids[0]} {gone.name}" in result.output
            assert f"内容被改动：#{ids[1]} {changed.name}" in result.output
    finally:
        for path, data in saved.items():
            path.write_bytes(data)
    assert cli(application, "check").exit_code == 0


def test_a_broken_audit_chain_fails_the_check(checked, monkeypatch):
    application, _ids = checked
    report = types.SimpleNamespace(ok=False, rows=40, first_broken_id=17, message="第 17 条记录的哈希不符")
    fake = types.ModuleType("app.audit.chain")
    fake.verify = lambda _session: report
    monkeypatch.setitem(sys.modules, "app.audit.chain", fake)
    result = cli(application, "check")
    assert result.exit_code == 1
    assert "[未通过] 审计链" in result.output and "17" in result.output


def test_an_intact_audit_chain_is_reported(checked):
    application, _ids = checked
    result = cli(application, "check")
    try:
        from app.audit.chain import verify  # noqa: F401
    except ImportError:
        assert "[跳过] 审计链" in result.output
        return
    assert "[通过] 审计链" in result.output and result.exit_code == 0
