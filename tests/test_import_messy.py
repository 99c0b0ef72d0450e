"""Messy real files: each case gets the right value or its Chinese message, never a silent wrong value."""
from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Resident
from tests.import_support import file_error, new_id, rendered, run, write_xlsx
from tests.import_support import import_folder  # noqa: F401  (autouse: files in a temp folder)


def _values(app, number: str) -> dict:
    """Some columns of the resident with this ID number."""
    with app.app_context():
        r = db.session.scalar(select(Resident).where(Resident.id_number == number))
        return {"name": r.name, "move_in_date": r.move_in_date, "phone": r.phone, "former_name": r.former_name}


def test_id_number_stored_as_number_says_format_as_text(app, tmp_path):
    rows = [["姓名", "身份证号"], ["数字人", 110105199001010011.0]]
    errors = rendered(app, run(app, "roster", write_xlsx(tmp_path / "n.xlsx", rows), dry_run=True))
    assert errors == [(2, "身份证号", "公民身份号码被存成了数字，Excel 已丢失最后几位；请把该列设置为“文本”格式后重新填写号码")]


@pytest.mark.parametrize("cell", [45356, "2024/3/5", "2024-03-05", "2024.3.5", "2024年3月5日", dt.date(2024, 3, 5),
                                  "２０２４－０３－０５", " 2024-3-5 ", "20240305"])
def test_date_forms(app, tmp_path, cell):
    a = new_id()
    rows = [["姓名", "身份证号", "迁入日期"], ["日期人", a, cell]]
    out = run(app, "roster", write_xlsx(tmp_path / "d.xlsx", rows))
    assert out.status == "committed", rendered(app, out)
    assert _values(app, a)["move_in_date"] == dt.date(2024, 3, 5)


def test_unreadable_date_message(app, tmp_path):
    rows = [["姓名", "身份证号", "迁入日期"], ["日期人", new_id(), "三月五日"]]
    errors = rendered(app, run(app, "roster", write_xlsx(tmp_path / "d.xlsx", rows), dry_run=True))
    assert errors == [(2, "迁入日期", "无法识别日期“三月五日”，请写成 2024-03-05 的形式")]


def test_full_width_spaces_digits_lowercase_x_and_trailing_blank_rows(app, tmp_path):
    a = new_id()
    while not a.endswith("X"):
        a = new_id()
    messy = "\u3000" + a[:6].translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}) + " " + a[6:-1] + "x "
    rows = [["姓名", "身份证号", "联系电话"], ["\u3000 陈九 ", messy, "１３８００１３８０００"], ["", "", ""], ["  ", "", ""]]
    out = run(app, "roster", write_xlsx(tmp_path / "w.xlsx", rows))
    assert out.plan.rows_total == 1 and out.status == "committed", rendered(app, out)
    assert _values(app, a)["name"] == "陈九" and _values(app, a)["phone"] == "13800138000"


@pytest.mark.parametrize("merged", [True, False])
def test_title_row_above_header_and_unknown_columns(app, tmp_path, merged):
    a = new_id()
    rows = [["序号", "姓名", "身份证号码", "工资"], [1, "褚十", a, 9000]]
    out = run(app, "roster", write_xlsx(tmp_path / "t.xlsx", rows, title="2026年集体户花名册", merged=merged))
    assert out.status == "committed" and out.plan.ignored == ["序号", "工资"]
    assert _values(app, a)["name"] == "褚十"


def test_missing_required_column_is_an_error_before_any_row(app, tmp_path):
    out = run(app, "roster", write_xlsx(tmp_path / "m.xlsx", [["姓名", "电话"], ["卫十一", "13800000000"]]))
    assert out.status == "rejected" and out.plan.rows_total == 0
    assert file_error(app, out) == "文件缺少列：公民身份号码（已在前 10 行中查找标题行），未导入任何数据"


def test_formula_cells_give_their_value(app, tmp_path):
    a = new_id()
    rows = [["姓名", "身份证号", "曾用名"], ["蒋十二", a, ("=\"蒋\"&\"小二\"", "蒋小二")]]
    assert run(app, "roster", write_xlsx(tmp_path / "f.xlsx", rows)).status == "committed"
    assert _values(app, a)["former_name"] == "蒋小二"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(app, tmp_path, encoding):
    a = new_id()
    path = tmp_path / "c.csv"
    path.write_bytes(f"姓名,身份证号,迁入日期\n沈十三,{a},2024/3/5\n".encode(encoding))
    out = run(app, "roster", path)
    assert out.status == "committed", rendered(app, out)
    assert _values(app, a)["name"] == "沈十三"


def test_csv_in_another_encoding_is_refused(app, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("姓名,身份证号\n".encode("utf-16"))
    assert file_error(app, run(app, "roster", path)).startswith("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码")


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.mark.parametrize("name,data,expected", [
    ("old.xls", OLE2 + b"\x00" * 600, "不支持旧版 .xls 工作簿"),
    ("locked.xlsx", OLE2 + b"\x00" * 100 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100,
     "工作簿设有密码保护"),
    ("broken.xlsx", b"PK\x03\x04garbage" * 20, "文件已损坏或不是 Excel 工作簿"),
    ("fake.xlsx", b"just some text", "文件已损坏或不是 Excel 工作簿"),
    ("notes.pdf", b"%PDF-1.4", "只能导入 Excel 工作簿（.xlsx）和 CSV 文件"),
])
def test_unsupported_or_damaged_files(app, tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    out = run(app, "roster", path)
    assert out.status == "rejected" and file_error(app, out).startswith(expected)


def test_zip_bomb_entry_count_and_size(app, tmp_path, monkeypatch):
    from app.imports import reading

    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(reading.MAX_ENTRIES + 1):
            zf.writestr(f"x/{i}.bin", b"")
    assert "不是正常的 Excel 文件" in file_error(app, run(app, "roster", many))
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.bin", b"\0" * (3 * 1024 * 1024))
    monkeypatch.setattr(reading, "MAX_UNZIPPED_MB", 2)
    assert file_error(app, run(app, "roster", bomb)) == "工作簿解压后超过 2 MB，不是正常的 Excel 文件"


def test_xml_entity_declarations_are_refused(app, tmp_path):
    good = write_xlsx(tmp_path / "g.xlsx", [["姓名", "身份证号"], ["韩十四", new_id()]])
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace(b"?>", b"?><!DOCTYPE lol [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>", 1)
            dst.writestr(item, data)
    assert file_error(app, run(app, "roster", evil)) == "工作簿含有 XML 实体声明（Excel 从不写入），已拒绝导入"


def test_file_over_the_size_limit(app, tmp_path):
    path = write_xlsx(tmp_path / "big.xlsx", [["姓名", "身份证号"], ["杨十五", new_id()]])
    old = app.config["HUKOU_IMPORT_MAX_MB"]
    app.config["HUKOU_IMPORT_MAX_MB"] = 0
    try:
        assert file_error(app, run(app, "roster", path)) == "文件超过 0 MB，请拆分成较小的文件"
    finally:
        app.config["HUKOU_IMPORT_MAX_MB"] = old


def test_defusedxml_is_installed():
    import defusedxml

    assert defusedxml.__version__ == "0.7.1"
