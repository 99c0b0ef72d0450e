"""The xlsx and CSV writers: text stays text, dates are date cells, widths fit, CSV has a BOM."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from python_calamine import CalamineWorkbook

from app.exports.specs import Column
from app.exports.writers import display_width, write_csv, write_xlsx

COLUMNS = [Column("姓名", None), Column("公民身份号码", None, width=21), Column("日期", None, "date"),
           Column("时间", None, "datetime", 17), Column("金额", None, "number")]
ROWS = [["=cmd|' /C calc'!A0", "11010519491231002X", dt.date(2026, 12, 1), dt.datetime(2026, 12, 1, 9, 30), 300],
        ["+1", "1949-**-**", "1990-**-**", None, 0.5], ["a\tb\rc", "", None, None, None]]


def test_xlsx_text_dates_numbers_and_widths():
    fp = io.BytesIO()
    seen = []
    assert write_xlsx(fp, "名单", COLUMNS, ROWS, progress=seen.append) == 3
    rows = CalamineWorkbook.from_filelike(io.BytesIO(fp.getvalue())).get_sheet_by_index(0).to_python()
    assert rows[0] == ["姓名", "公民身份号码", "日期", "时间", "金额"]
    assert rows[1][0] == "=cmd|' /C calc'!A0" and rows[2][0] == "+1"
    assert rows[1][2] == dt.date(2026, 12, 1) and rows[1][3] == dt.datetime(2026, 12, 1, 9, 30)
    assert rows[1][4] == 300 and rows[2][2] == "1990-**-**"  # a masked date stays text
    assert rows[3][0] == "a\tb\rc"
    with zipfile.ZipFile(io.BytesIO(fp.getvalue())) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and 'width="21' in xml


def test_csv_bom_formula_prefix_and_iso_dates():
    fp = io.BytesIO()
    assert write_csv(fp, COLUMNS, ROWS) == 3
    raw = fp.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[1] == ["'=cmd|' /C calc'!A0", "11010519491231002X", "2026-12-01", "2026-12-01 09:30", "300"]
    assert rows[2][0] == "'+1" and rows[3][0] == "a\tb\rc"  # only a leading = + - @ tab CR is prefixed


def test_display_width_counts_chinese_twice():
    assert display_width("公民身份号码") == 12 and display_width("ID") == 2
