"""`flask hukou restore DIR [--force]`: a backup taken while writes run restores into a fresh database with
identical counts, files and export; refuses a non-empty target, a damaged backup, another database kind; fails
(exit 1) when the restored database does not match the manifest."""
import datetime as dt
import io
import json
import shutil
import threading
import time

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Material, Resident
from tests.backup_support import (cli, manifest_of, new_application, officer_api, own_app, pdf, resident_payload,
                                  table_counts, upload)
from tests.conftest import web_login

WRITER_PREFIX = "备份测试"


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An app of its own with one uploaded scan."""
    folder = tmp_path_factory.mktemp("restore_src")
    with own_app(folder, "rs_src") as application:
        client, headers = officer_api(application)
        upload(application, client, headers, new_application(application), pdf("初始"))
        yield application


@pytest.fixture(scope="module")
def backup_dir(source, tmp_path_factory):
    """A backup of the source taken with no writes running."""
    dest = tmp_path_factory.mktemp("restore_bk") / "quiet"
    result = cli(source, "backup", str(dest))
    assert result.exit_code == 0, result.output
    return dest


def _wait_for(predicate, seconds: float = 60) -> None:
    """Poll until predicate() is true (the writer thread is making progress)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the writer thread made no progress"
        time.sleep(0.05)


class Writer(threading.Thread):
    """Creates residents (each with its audit row) through the REST API, and every 4th time uploads a scan,
    until stopped; `names` lists the residents in commit order."""

    def __init__(self, application):
        super().__init__(daemon=True)
        self.application, self.names, self.errors = application, [], []
        self.stop = threading.Event()
        self.client, self.headers = officer_api(application)
        self.app_id = new_application(application)

    def run(self) -> None:
        world, n = self.application.config["WORLD"], 0
        while not self.stop.is_set():
            n += 1
            payload = resident_payload(world, n)
            r = self.client.post("/api/v1/residents/", headers=self.headers, json=payload)
            if r.status_code != 201:
                self.errors.append(r.get_data(as_text=True)[:300])
                return
            self.names.append(payload["name"])
            if n % 4 == 0:
                upload(self.application, self.client, self.headers, self.app_id, pdf(f"并发{n}"))


def _export(application) -> list[list]:
    """The officer's full (unmasked) resident export as rows."""
    r = web_login(application, "t_officer").get("/export/residents/xlsx?unmask=1")
    assert r.status_code == 200
    return CalamineWorkbook.from_filelike(io.BytesIO(r.data)).get_sheet_by_index(0).to_python()


def _writer_residents(application) -> list[tuple[int, str]]:
    """(id, name) of the residents the writer made, by id."""
    with application.app_context():
        return [tuple(r) for r in db.session.execute(select(Resident.id, Resident.name)
                                                      .where(Resident.name.like(f"{WRITER_PREFIX}%"))
                                                      .order_by(Resident.id))]


def _files(application) -> dict[str, bytes]:
    """{storage name: bytes} of every material of an app, read from its upload folder."""
    from pathlib import Path

    folder = Path(application.config["UPLOAD_FOLDER"])
    with application.app_context():
        names = db.session.scalars(select(Material.storage_name)).all()
    return {name: (folder / name).read_bytes() for name in names}


def test_backup_under_write_load_restores_identically(source, tmp_path):
    writer = Writer(source)
    writer.start()
    try:
        _wait_for(lambda: len(writer.names) >= 5)
        before = len(writer.names)
        backup = cli(source, "backup", str(tmp_path / "busy"))
        during = len(writer.names)
        _wait_for(lambda: len(writer.names) >= during + 3)  # and writes go on after the snapshot
    finally:
        writer.stop.set()
        writer.join(60)
    assert not writer.errors, writer.errors
    assert backup.exit_code == 0, backup.output
    manifest = manifest_of(tmp_path / "busy")
    with own_app(tmp_path, "rs_dst", populated=False) as target:
        restored = cli(target, "restore", str(tmp_path / "busy"))
        assert restored.exit_code == 0, restored.output
        assert "恢复已验证" in restored.output and "未通过" not in restored.output
        counts = table_counts(target)
        assert counts.pop("audit_log") == manifest["tables"]["audit_log"] + 1  # + the restore's own row
        assert counts == {t: n for t, n in manifest["tables"].items() if t != "audit_log"}
        # the snapshot is one instant: exactly the first k residents the single writer committed
        mine = _writer_residents(target)
        k = len(mine)
        assert before <= k <= during < len(writer.names)
        assert [name for _id, name in mine] == writer.names[:k]
        with target.app_context():  # and with each resident, the audit row of its creation
            audited = db.session.scalar(select(func.count(AuditLog.id)).where(
                AuditLog.action == "create", AuditLog.object_type == "Resident",
                AuditLog.object_id.in_([str(i) for i, _ in mine])))
        assert audited == k
        files = _files(target)
        assert sorted(files) == sorted(e["path"].split("/", 1)[1] for e in manifest["files"])
        live_files = _files(source)
        assert files and all(live_files[name] == data for name, data in files.items())
        assert len(live_files) > len(files) or k == len(writer.names)  # uploads after the snapshot are not in it
        later = set(writer.names[k:])
        expected = [row for row in _export(source) if row[0] not in later]
        assert _export(target) == expected


def test_restore_refuses_a_non_empty_database(source, backup_dir):
    before = table_counts(source)
    result = cli(source, "restore", str(backup_dir))
    assert result.exit_code == 1
    assert "不是空的" in result.output and "--force" in result.output
    assert table_counts(source) == before


def test_restore_force_replaces_the_data(backup_dir, tmp_path):
    manifest = manifest_of(backup_dir)
    with own_app(tmp_path, "rs_force") as target:
        with target.app_context():
            extra = resident_payload(target.config["WORLD"], 9000)
            db.session.add(Resident(**extra, status="active", gender="M", birth_date=dt.date(1994, 8, 23)))
            db.session.commit()
        result = cli(target, "restore", "--force", str(backup_dir))
        assert result.exit_code == 0, result.output
        counts = table_counts(target)
        assert counts.pop("audit_log") == manifest["tables"]["audit_log"] + 1
        assert counts == {t: n for t, n in manifest["tables"].items() if t != "audit_log"}
        assert extra["name"] not in [name for _id, name in _writer_residents(target)]


def _copy(backup_dir, tmp_path):
    """A copy of the backup to tamper with."""
    copy = tmp_path / "copy"
    shutil.copytree(backup_dir, copy)
    return copy


def _edit_manifest(folder, change) -> None:
    """Rewrite manifest.json through a function."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def test_restore_refuses_a_damaged_backup(backup_dir, tmp_path):
    copy = _copy(backup_dir, tmp_path)
    scan = next((copy / "files").iterdir())
    scan.write_bytes(scan.read_bytes() + b"tampered")
    with own_app(tmp_path, "rs_damaged", populated=False) as target:
        result = cli(target, "restore", str(copy))
        assert result.exit_code == 1
        assert "备份已损坏" in result.output and scan.name in result.output
        assert table_counts(target) == {}  # nothing was restored


def test_restore_refuses_another_database_kind(backup_dir, tmp_path):
    copy = _copy(backup_dir, tmp_path)
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}
    _edit_manifest(copy, lambda m: m["database"].update(kind=other[m["database"]["kind"]]))
    with own_app(tmp_path, "rs_kind", populated=False) as target:
        result = cli(target, "restore", str(copy))
        assert result.exit_code == 1 and "该备份来自" in result.output
        assert table_counts(target) == {}


def test_restore_fails_when_counts_differ_from_the_manifest(backup_dir, tmp_path):
    copy = _copy(backup_dir, tmp_path)
    _edit_manifest(copy, lambda m: m["tables"].update(resident=m["tables"]["resident"] + 1))
    with own_app(tmp_path, "rs_counts", populated=False) as target:
        result = cli(target, "restore", str(copy))
        assert result.exit_code == 1
        assert "[未通过] 行数" in result.output and "resident：应为" in result.output
        assert "恢复未通过验证" in result.output


def test_restore_needs_a_manifest(tmp_path, source):
    (tmp_path / "not-a-backup").mkdir()
    result = cli(source, "restore", str(tmp_path / "not-a-backup"))
    assert result.exit_code == 1 and "manifest.json" in result.output


def test_restore_fails_when_the_audit_chain_was_edited(backup_dir, tmp_path):
    if manifest_of(backup_dir)["database"]["kind"] != "sqlite":
        pytest.skip("a PostgreSQL dump is not edited in place; the chain itself is tested by audit-verify")
    import hashlib
    import sqlite3

    copy = _copy(backup_dir, tmp_path)
    conn = sqlite3.connect(copy / "database.sqlite3")
    for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'"):
        conn.execute(f'DROP TRIGGER "{trigger}"')  # what someone with the file (not the app) could do
    row_id = conn.execute("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 3").fetchone()[0]
    conn.execute("UPDATE audit_log SET username = 'mallory' WHERE id = ?", (row_id,))
    conn.commit()
    conn.close()
    data = (copy / "database.sqlite3").read_bytes()
    _edit_manifest(copy, lambda m: m["database"].update(sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
    with own_app(tmp_path, "rs_chain", populated=False) as target:
        result = cli(target, "restore", str(copy))
        assert result.exit_code == 1
        assert "[未通过] 审计链" in result.output and str(row_id) in result.output
        assert "[通过] 行数" in result.output  # counts alone would not have noticed
