"""Uploaded import files: an unconfirmed upload (and its error report) is deleted after HUKOU_IMPORT_KEEP_HOURS
by the next import, its batch shows as expired and cannot be confirmed; a confirmed import keeps its file."""
from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import select, update

from app.extensions import db
from app.imports.service import import_dir
from app.models import AuditLog, ImportBatch
from tests.import_support import new_id, run, write_xlsx
from tests.import_support import import_folder  # noqa: F401  (autouse: files in a temp folder)
from tests.test_import_web_cli import _upload


def _age(app, batch_id: int, hours: int) -> None:
    """Pretend the batch was created `hours` ago."""
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        db.session.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(
            created_at=batch.created_at - dt.timedelta(hours=hours)))
        db.session.commit()


def _files(app, batch_id: int) -> list:
    """Paths of the batch's stored upload and error report."""
    from app.imports.retention import files_of

    with app.app_context():
        return [import_dir() / name for name in files_of(db.session.get(ImportBatch, batch_id))]


def test_unconfirmed_upload_expires_and_confirmed_file_stays(app, login, tmp_path):
    c = login("t_officer")
    body = _upload(c, write_xlsx(tmp_path / "old.xlsx", [["姓名", "身份证号"], ["过期", new_id()], ["错", "123"]]))
    old_id = int(re.search(r"/imports/batch/(\d+)", body.get_data(as_text=True)).group(1))
    kept = run(app, "roster", write_xlsx(tmp_path / "kept.xlsx", [["姓名", "身份证号"], ["保留", new_id()]]))
    old_files, kept_files = _files(app, old_id), _files(app, kept.batch_id)
    assert len(old_files) == 2 and all(p.is_file() for p in old_files + kept_files)  # upload + error report
    _age(app, old_id, 23)
    run(app, "roster", write_xlsx(tmp_path / "n1.xlsx", [["姓名", "身份证号"], ["新一", new_id()]]), dry_run=True)
    assert all(p.is_file() for p in old_files)  # 23 hours: still kept
    _age(app, old_id, 2)
    _age(app, kept.batch_id, 48)
    run(app, "roster", write_xlsx(tmp_path / "n2.xlsx", [["姓名", "身份证号"], ["新二", new_id()]]), dry_run=True)
    assert not any(p.exists() for p in old_files) and all(p.is_file() for p in kept_files)
    with app.app_context():
        assert db.session.get(ImportBatch, old_id).status == "expired"
        assert db.session.get(ImportBatch, kept.batch_id).status == "committed"
        trail = db.session.scalars(select(AuditLog).where(AuditLog.action == "import_expire",
                                                          AuditLog.object_id == str(old_id))).all()
        assert len(trail) == 1 and json.loads(trail[0].detail)["name"] == "old.xlsx"
    page = c.get(f"/imports/batch/{old_id}").get_data(as_text=True)
    assert "已过期" in page and f"/imports/batch/{old_id}/confirm" not in page
    r = c.post(f"/imports/batch/{old_id}/confirm", data={"csrf_token": c.csrf}, follow_redirects=True)
    assert "上传的文件已不再保留" in r.get_data(as_text=True)
    r = c.get(f"/imports/batch/{old_id}/report", follow_redirects=True)
    assert "错误报告已不再保留" in r.get_data(as_text=True)
