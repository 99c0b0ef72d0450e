"""`flask hukou backup DIR`: snapshot + files + manifest (counts from the snapshot, sha256 per file), audited;
refuses a non-empty folder; reports referenced files that are missing or altered; leaves nothing half-written."""
import json
import sqlite3
import subprocess

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from tests.backup_support import (cli, manifest_of, new_application, officer_api, own_app, pdf, sha256,
                                  stored_path, table_counts, upload)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An app of its own with two uploaded scans: (app, {material id: bytes})."""
    folder = tmp_path_factory.mktemp("backup_src")
    with own_app(folder, "bk_src") as application:
        client, headers = officer_api(application)
        app_id = new_application(application)
        scans = {}
        for tag in ("正面", "反面"):
            data = pdf(tag)
            scans[upload(application, client, headers, app_id, data, f"身份证{tag}.pdf")] = data
        application.config["SCANS"] = scans
        yield application


def _kind(application) -> str:
    """The database kind of an app."""
    return "postgresql" if application.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "sqlite"


def _snapshot_counts(folder, manifest) -> dict[str, int] | None:
    """Counts read back from a SQLite snapshot file (None for a PostgreSQL dump)."""
    if manifest["database"]["kind"] != "sqlite":
        return None
    conn = sqlite3.connect(folder / manifest["database"]["file"])
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


def test_backup_writes_snapshot_files_and_manifest(source, tmp_path):
    live = table_counts(source)
    dest = tmp_path / "b1"
    result = cli(source, "backup", str(dest))
    assert result.exit_code == 0, result.output
    assert "备份完整" in result.output and "2 个材料文件" in result.output
    m = manifest_of(dest)
    assert m["database"]["kind"] == _kind(source)
    assert m["tables"] == live  # nothing wrote meanwhile, so the snapshot equals the live database
    assert m["tables"]["resident"] == 3 and m["schema_revision"]
    with source.app_context():
        assert m["schema_revision"] == db.session.execute(
            db.text("SELECT version_num FROM alembic_version")).scalar()
        head = db.session.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
        assert m["audit_chain_head"]["id"] < head.id  # the backup's own audit row came after the snapshot
    db_file = dest / m["database"]["file"]
    assert sha256(db_file.read_bytes()) == m["database"]["sha256"]
    by_id = {e["material_id"]: e for e in m["files"]}
    assert set(by_id) == set(source.config["SCANS"])
    for material_id, data in source.config["SCANS"].items():
        entry = by_id[material_id]
        assert (dest / entry["path"]).read_bytes() == data
        assert entry["sha256"] == sha256(data) and entry["size"] == len(data)
        assert entry["path"] == f"files/{stored_path(source, material_id).name}"
    assert m["file_problems"] == {"missing": [], "altered": [], "invalid": []}
    assert m["created_at_local"].endswith("+08:00") and m["created_at_utc"].endswith("+00:00")
    if m["database"]["kind"] == "sqlite":
        assert _snapshot_counts(dest, m) == m["tables"]
        assert not (dest / (m["database"]["file"] + "-wal")).exists()
    else:  # a custom-format archive that pg_restore can read
        listing = subprocess.run(["pg_restore", "--list", str(db_file)], capture_output=True, text=True)
        assert listing.returncode == 0 and "TABLE DATA public resident" in listing.stdout


def test_backup_is_audited(source, tmp_path):
    dest = tmp_path / "b2"
    assert cli(source, "backup", str(dest)).exit_code == 0
    m = manifest_of(dest)
    with source.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "backup").order_by(AuditLog.id.desc()))
    detail = json.loads(row.detail)
    assert row.success and row.username == "系统（备份）"
    assert detail["folder"] == str(dest) and detail["database_sha256"] == m["database"]["sha256"]
    assert detail["files"] == 2 and detail["problems"] == 0


@pytest.mark.parametrize("existing", ["file", "folder"])
def test_backup_refuses_a_file_or_non_empty_folder(source, tmp_path, existing):
    dest = tmp_path / "taken"
    if existing == "file":
        dest.write_bytes(b"keep me")
    else:
        dest.mkdir()
        (dest / "keep.txt").write_bytes(b"keep me")
    result = cli(source, "backup", str(dest))
    assert result.exit_code == 1
    assert "新的" in result.output or "不是空的" in result.output, result.output
    kept = dest if existing == "file" else dest / "keep.txt"
    assert kept.read_bytes() == b"keep me"
    if existing == "folder":
        assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]


def test_backup_into_an_empty_existing_folder(source, tmp_path):
    dest = tmp_path / "empty"
    dest.mkdir()
    assert cli(source, "backup", str(dest)).exit_code == 0
    assert (dest / "manifest.json").is_file()


def test_backup_reports_missing_and_altered_files(source, tmp_path):
    first, second = sorted(source.config["SCANS"])
    gone, changed = stored_path(source, first), stored_path(source, second)
    saved = {gone: gone.read_bytes(), changed: changed.read_bytes()}
    try:
        gone.unlink()
        changed.write_bytes(b"%PDF-1.4 tampered")
        dest = tmp_path / "b3"
        result = cli(source, "backup", str(dest))
        assert result.exit_code == 1, result.output
        assert "磁盘上缺少文件" in result.output and "不完整" in result.output
        problems = manifest_of(dest)["file_problems"]
        assert problems["missing"] == [gone.name] and problems["altered"] == [changed.name]
    finally:
        for path, data in saved.items():
            path.write_bytes(data)


def test_failed_backup_leaves_no_partial_folder(source, tmp_path, monkeypatch):
    from app.backup import snapshot

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(snapshot, "copy_files", broken)
    dest = tmp_path / "b4"
    result = cli(source, "backup", str(dest))
    assert result.exit_code != 0
    assert not dest.exists()


def test_readme_documents_the_folder_form():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "backup DIR" in readme and "restore DIR" in readme and "check [--fix]" in readme
