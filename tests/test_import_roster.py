"""Roster import (花名册): create, re-import changes nothing, updates with their changed fields, blanks equal NULL,
one audit row per written resident with masked numbers, all or nothing, the error report."""
from __future__ import annotations

import datetime as dt
import json

import python_calamine as pc
from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from app.models import AuditLog, ImportBatch, Resident
from tests.import_support import new_id, rendered, run, write_xlsx
from tests.import_support import import_folder  # noqa: F401  (autouse: files in a temp folder)

HEAD = ["姓名", "公民身份号码", "性别", "民族", "文化程度", "服务处所", "联系电话", "曾用名", "迁入日期"]


def _resident(app, number: str) -> Resident | None:
    """The register row of an ID number (detached)."""
    with app.app_context():
        r = db.session.scalar(select(Resident).where(Resident.id_number == number))
        if r is not None:
            db.session.expunge(r)
        return r


def test_create_then_reimport_changes_nothing(app, tmp_path):
    started = utcnow() - dt.timedelta(seconds=1)  # SQLite may reuse a deleted resident's id: only this test's rows
    a, b = new_id(), new_id()
    rows = [HEAD, ["赵一", a, "", "汉族", "本科", "测试甲部门", "13800000001", "", dt.date(2024, 3, 5)],
            ["钱二", b, "", "回族", "大专", "TB", "", "", ""]]
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    first = run(app, "roster", path)
    assert first.status == "committed" and first.plan.counts["created"] == 2
    r = _resident(app, a)
    assert (r.name, r.ethnicity, r.education, r.phone, r.move_in_date) == ("赵一", "01", "21", "13800000001",
                                                                         dt.date(2024, 3, 5))
    assert r.department.name == "测试甲部门" if r.department else False
    again = run(app, "roster", path)
    assert again.plan.counts == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0, "errors": 0}
    assert _resident(app, a).version == r.version
    with app.app_context():
        batch = db.session.get(ImportBatch, again.batch_id)
        assert (batch.status, batch.unchanged, batch.sha256) == ("committed", 2, db.session.get(
            ImportBatch, first.batch_id).sha256)
        audits = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "Resident",
                                                           AuditLog.object_id == str(r.id), AuditLog.at >= started)).all()
        assert [x.action for x in audits] == ["create"]
        detail = json.loads(audits[0].detail)
        assert detail["id_number"][1] != a and detail["id_number"][1].startswith(a[:6])  # masked like the ORM log
        assert detail["name"] == [None, "赵一"] and detail["import_batch"] == [None, first.batch_id]
        assert detail["import_row"] == [None, 2]  # the Excel row: header in row 1, 赵一 in row 2
        assert audits[0].username == "系统（人事同步）"


def test_update_lists_changed_fields_and_blank_equals_null(app, tmp_path):
    a = new_id()
    write = [HEAD, ["孙三", a, "男" if int(a[16]) % 2 else "女", "汉", "", "", "13800000002", "", ""]]
    run(app, "roster", write_xlsx(tmp_path / "a.xlsx", write))
    before = _resident(app, a)
    write[1][6] = "13900000002"
    out = run(app, "roster", write_xlsx(tmp_path / "b.xlsx", write))
    assert out.plan.counts["updated"] == 1 and out.plan.counts["unchanged"] == 0
    rid, old, new = out.plan.updates[0]
    assert (rid, old, new) == (before.id, {"phone": "13800000002"}, {"phone": "13900000002"})
    after = _resident(app, a)
    assert after.phone == "13900000002" and after.version == before.version + 1
    assert after.former_name is None and after.education is None  # blank cells stayed NULL: no false change


def test_any_error_writes_nothing_and_report_lists_rows(app, tmp_path):
    good, dup = new_id(), new_id()
    rows = [HEAD, ["周四", good, "", "", "", "", "", "", ""], ["吴五", dup, "", "", "", "", "", "", ""],
            ["郑六", dup, "", "火星族", "", "不存在部门", "abc", "", "2024-13-40"]]
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    out = run(app, "roster", path)
    assert out.status == "rejected" and _resident(app, good) is None
    errors = rendered(app, out)
    assert (4, "公民身份号码", "相同的公民身份号码已出现在本文件第 3 行") in errors
    with app.app_context():
        batch = db.session.get(ImportBatch, out.batch_id)
        from app.imports.service import import_dir
        book = pc.load_workbook(str(import_dir() / batch.report_path))
        sheet = book.get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "原行号" and sheet[0][-1] == "错误"
    assert sheet[1][0] == 4 and sheet[1][2] == dup and "第 3 行" in sheet[1][-1]


def test_row_errors_name_row_header_and_message(app, tmp_path):
    rows = [HEAD, ["", new_id(), "", "火星族", "", "不存在部门", "abc", "", "2024-13-40"]]
    out = run(app, "roster", write_xlsx(tmp_path / "e.xlsx", rows), dry_run=True)
    errors = rendered(app, out)
    assert (2, "姓名", "此列不能为空") in errors
    assert (2, "民族", "“火星族”不是此列的有效值") in errors
    assert (2, "服务处所", "没有名为“不存在部门”的部门") in errors
    assert (2, "联系电话", "“abc”不是电话号码") in errors
    assert (2, "迁入日期", "日期“2024-13-40”不存在") in errors


def test_dry_run_writes_nothing_but_records_the_batch(app, tmp_path):
    a = new_id()
    out = run(app, "roster", write_xlsx(tmp_path / "d.xlsx", [HEAD, ["王七", a, "", "", "", "", "", "", ""]]),
              dry_run=True)
    assert out.status == "dry_run" and out.plan.counts["created"] == 1 and _resident(app, a) is None
    with app.app_context():
        assert db.session.get(ImportBatch, out.batch_id).status == "dry_run"
        n = db.session.scalar(select(func.count()).select_from(Resident).where(Resident.id_number == a))
    assert n == 0


def test_gender_or_birth_date_against_the_id_number(app, tmp_path):
    a = new_id()
    wrong = "女" if int(a[16]) % 2 else "男"
    rows = [["姓名", "身份证号", "性别", "出生日期"], ["冯八", a, wrong, dt.date(1970, 1, 1)]]
    errors = rendered(app, run(app, "roster", write_xlsx(tmp_path / "g.xlsx", rows), dry_run=True))
    assert {e[1] for e in errors} == {"性别", "出生日期"}
