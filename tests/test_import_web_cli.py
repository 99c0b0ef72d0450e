"""The import page (upload → dry-run preview → confirm → result, batches, templates, error report, the
background-job hook) and `flask hukou import roster|hr FILE [--dry-run]` with its exit codes."""
from __future__ import annotations

import io
import re
import time
import zipfile

from sqlalchemy import select

from app.cli import hukou_cli
from app.extensions import db
from app.models import AuditLog, ImportBatch, Resident
from app.models.jobs import Job
from tests.import_support import new_id, write_xlsx
from tests.import_support import import_folder  # noqa: F401  (autouse: files in a temp folder)
from tests.test_i18n_pages import english_words as _english


def english_words(html: str) -> set[str]:
    """English words of a page, file names of uploaded files (data) left out."""
    return _english(re.sub(r"[\w.-]+\.(xlsx|csv|xls|pdf)", " ", html))


def _count(app, number: str) -> int:
    """How many residents have this ID number."""
    with app.app_context():
        return len(db.session.scalars(select(Resident.id).where(Resident.id_number == number)).all())


def _upload(c, path, kind="roster"):
    """POST the file to the upload form; returns the response of the preview page."""
    data = {"kind": kind, "csrf_token": c.csrf, "file": (io.BytesIO(path.read_bytes()), path.name)}
    return c.post("/imports/upload", data=data, content_type="multipart/form-data", follow_redirects=True)


def test_upload_preview_confirm_result(app, login, tmp_path):
    a = new_id()
    c = login("t_hr")
    page = c.get("/imports/").get_data(as_text=True)
    assert "上传并预检" in page and "/imports/template/roster" in page and not english_words(page)
    r = _upload(c, write_xlsx(tmp_path / "花名册.xlsx", [["姓名", "身份证号", "工号"], ["网页甲", a, "A01"]]))
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "确认导入" in body and "已忽略的列" in body and "工号" in body
    assert '<td data-label="新增">1</td>' in body  # a phone shows the counts as labelled lines
    assert not english_words(body)
    assert _count(app, a) == 0
    batch_id = int(re.search(r"/imports/batch/(\d+)/confirm", body).group(1))
    r = c.post(f"/imports/batch/{batch_id}/confirm", data={"csrf_token": c.csrf}, follow_redirects=True)
    assert "已导入：新增 1 条，更新 0 条" in r.get_data(as_text=True) and _count(app, a) == 1
    again = c.post(f"/imports/batch/{batch_id}/confirm", data={"csrf_token": c.csrf}, follow_redirects=True)
    assert "预检之后文件或预检结果已变化" in again.get_data(as_text=True) and _count(app, a) == 1
    listing = c.get("/imports/").get_data(as_text=True)
    assert "花名册.xlsx" in listing and "已导入" in listing
    r = _upload(c, write_xlsx(tmp_path / "again.xlsx", [["姓名", "身份证号"], ["网页甲", a]]))
    assert "不会有任何变化" in r.get_data(as_text=True)


def test_confirm_refuses_a_file_changed_on_disk(app, login, tmp_path):
    c = login("t_officer")
    body = _upload(c, write_xlsx(tmp_path / "x.xlsx", [["姓名", "身份证号"], ["网页乙", new_id()]])).get_data(as_text=True)
    batch_id = int(re.search(r"/imports/batch/(\d+)/confirm", body).group(1))
    with app.app_context():
        import json
        from app.imports.service import import_dir
        stored = json.loads(db.session.get(ImportBatch, batch_id).summary)["stored"]
        (import_dir() / stored).write_bytes(write_xlsx(tmp_path / "y.xlsx", [["姓名", "身份证号"], ["换了", new_id()]])
                                            .read_bytes())
    r = c.post(f"/imports/batch/{batch_id}/confirm", data={"csrf_token": c.csrf}, follow_redirects=True)
    assert "预检之后文件或预检结果已变化" in r.get_data(as_text=True)


def test_errors_show_row_header_message_and_report(login, tmp_path):
    c = login("t_hr")
    body = _upload(c, write_xlsx(tmp_path / "e.xlsx", [["姓名", "身份证号"], ["网页丙", "110105199001010010x"]]))
    text = body.get_data(as_text=True)
    assert "确认导入" not in text and "身份证号" in text and "错误报告" in text
    report = re.search(r'href="(/imports/batch/\d+/report)"', text).group(1)
    r = c.get(report)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store, private" and r.data[:2] == b"PK"


def test_bad_file_is_a_flash_message(login, tmp_path):
    c = login("t_hr")
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert "不支持旧版 .xls 工作簿" in _upload(c, path).get_data(as_text=True)


def test_template_has_dropdowns_example_and_instructions(login):
    r = login("t_officer").get("/imports/template/hr")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        strings = zf.read("xl/sharedStrings.xml").decode()
    assert "<dataValidation " in sheet and "代码!$" in sheet
    assert all(w in strings for w in ("变动类型*", "离职", "调动", "测试甲部门", "变动类型：入职、离职、调动、退休"))


def test_only_importers_see_the_page(login):
    for user in ("t_employee_a", "t_auditor", "t_approver_a", "t_finance"):
        assert login(user).get("/imports/").status_code in (302, 403), user
    assert login("t_admin").get("/imports/").status_code == 200


def test_large_confirm_runs_as_a_background_job(app, login, tmp_path):
    a, b = new_id(), new_id()
    c = login("t_hr")
    body = _upload(c, write_xlsx(tmp_path / "j.xlsx", [["姓名", "身份证号"], ["后台甲", a], ["后台乙", b]]))
    batch_id = int(re.search(r"/imports/batch/(\d+)/confirm", body.get_data(as_text=True)).group(1))
    app.config["HUKOU_JOB_THRESHOLD"] = 1
    try:
        r = c.post(f"/imports/batch/{batch_id}/confirm", data={"csrf_token": c.csrf}, follow_redirects=True)
    finally:
        app.config.pop("HUKOU_JOB_THRESHOLD")
    assert r.status_code == 200 and "2 / 2" in r.get_data(as_text=True)
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        job = db.session.get(Job, batch.job_id)
        assert (batch.status, job.kind, job.status, job.done) == ("committed", "import", "done", 2)
    assert _count(app, a) == _count(app, b) == 1


def test_cli_exit_codes_counts_and_errors(app, tmp_path):
    a = new_id()
    good = write_xlsx(tmp_path / "g.xlsx", [["姓名", "身份证号"], ["命令甲", a]])
    runner = app.test_cli_runner()
    dry = runner.invoke(hukou_cli, ["import", "roster", str(good), "--dry-run"])
    assert dry.exit_code == 0 and "新增 1" in dry.output and "预检完成，未写入数据。" in dry.output
    assert _count(app, a) == 0
    done = runner.invoke(hukou_cli, ["import", "roster", str(good)])
    assert done.exit_code == 0 and "已导入" in done.output and _count(app, a) == 1
    again = runner.invoke(hukou_cli, ["import", "roster", str(good)])
    assert again.exit_code == 0 and "未变化 1" in again.output and "没有任何变化" in again.output
    b = new_id()
    bad = write_xlsx(tmp_path / "b.xlsx", [["姓名", "身份证号"], ["命令乙", b], ["", "123"]])
    failed = runner.invoke(hukou_cli, ["import", "roster", str(bad)])
    assert failed.exit_code == 1 and "第3行 [身份证号]" in failed.output and _count(app, b) == 0
    hr = write_xlsx(tmp_path / "h.xlsx", [["姓名", "身份证号", "变动类型", "生效日期"], ["命令甲", a, "退休", "2026-11-01"]])
    assert runner.invoke(hukou_cli, ["import", "hr", str(hr)]).exit_code == 0


def test_hr_preview_is_chinese(login, tmp_path, app):
    a = new_id()
    c = login("t_hr")
    _upload(c, write_xlsx(tmp_path / "m.xlsx", [["姓名", "身份证号", "部门"], ["预览甲", a, "TA"]]))
    with app.app_context():
        batch_id = db.session.scalars(select(ImportBatch.id).order_by(ImportBatch.id.desc())).first()
    c.post(f"/imports/batch/{batch_id}/confirm", data={"csrf_token": c.csrf})
    rows = [["姓名", "身份证号", "变动类型", "离职日期", "部门"], ["预览甲", a, "离职", "2026-11-02", ""],
            ["预览甲", a, "调动", "2026-11-03", "TB"], ["外人", new_id(), "入职", "2026-11-03", "TB"]]
    body = _upload(c, write_xlsx(tmp_path / "h.xlsx", rows), kind="hr").get_data(as_text=True)
    assert "迁出中" in body and "迁出申请，期限 2026-12-02" in body and "测试乙部门" in body and "不在集体户" in body
    assert not english_words(body), english_words(body)


def test_large_upload_is_checked_by_a_background_job(app, login, tmp_path, monkeypatch, sqlite_queue):
    """Above the job threshold the dry run is a job: the upload answers at once with a 「检查中」 page that
    refreshes itself; the worker's check then gives the usual preview, and confirming imports the rows."""
    a = new_id()
    monkeypatch.setitem(app.config, "HUKOU_JOB_THRESHOLD", 1)
    c = login("t_hr")
    text = _upload(c, write_xlsx(tmp_path / "大花名册.xlsx", [["姓名", "身份证号"], ["后台检查甲", a]])).get_data(as_text=True)
    assert "正在后台检查" in text and "检查中" in text and 'http-equiv="refresh"' in text
    assert "确认导入" not in text and not english_words(text)
    batch_id = int(re.search(r"#(\d+)", text).group(1))
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.status == "checking" and db.session.get(Job, batch.job_id).kind == "import_check"
        upload = db.session.scalars(select(AuditLog).where(AuditLog.action == "import",
                                                           AuditLog.object_id == str(batch_id))).one()
        assert upload.username == "t_hr" and '"checking"' in upload.detail and batch.sha256 in upload.detail
    for user in ("t_approver_a", "t_approver_b", "t_employee_a", "t_auditor", "t_finance"):  # not importers
        refused = login(user).get(f"/imports/batch/{batch_id}")
        assert refused.status_code in (302, 403, 404) and "大花名册" not in refused.get_data(as_text=True), user
    sqlite_queue()
    deadline = time.monotonic() + 30
    while "确认导入" not in (text := c.get(f"/imports/batch/{batch_id}").get_data(as_text=True)):
        assert time.monotonic() < deadline, text
        time.sleep(0.2)
    assert "预检" in text and _count(app, a) == 0
    r = c.post(f"/imports/batch/{batch_id}/confirm", data={"csrf_token": c.csrf})
    assert r.status_code == 302
    while _status(app, batch_id) != "committed":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert _count(app, a) == 1


def _status(app, batch_id: int) -> str:
    """A batch's status, read afresh."""
    with app.app_context():
        return db.session.get(ImportBatch, batch_id).status
