"""xlsx files of the imports (xlsxwriter, text always written as text): the error report and the templates."""
from __future__ import annotations

import datetime as dt
import decimal
from typing import IO

import xlsxwriter

from ..domain import codes
from ..domain.idnumber import make_id
from .columns import CHANGES, HR, ROSTER, column_letter

_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def write_cell(ws, r: int, c: int, value, date_fmt) -> None:
    """One cell: numbers as numbers, dates as dates, everything else as literal text (even '=cmd|…')."""
    if value is None or value == "":
        ws.write_blank(r, c, None)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, (int, float, decimal.Decimal)):
        ws.write_number(r, c, float(value))
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value, date_fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date_fmt)
    else:
        ws.write_string(r, c, str(value))


def error_report(fp: IO[bytes], header: list, rows: list[tuple[int, list, str]]) -> None:
    """The file's header row plus each row with an error: its Excel row number, original cells, the errors."""
    book = xlsxwriter.Workbook(fp, {**_OPTIONS, "constant_memory": True})
    ws = book.add_worksheet("错误行")
    bold = book.add_format({"bold": True})
    red = book.add_format({"font_color": "#C00000"})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    width = len(header)
    ws.write_string(0, 0, "原行号", bold)
    for c, title in enumerate(header, start=1):
        ws.write_string(0, c, "" if title is None else str(title), bold)
    ws.write_string(0, width + 1, "错误", bold)
    ws.set_column(1, width, 14)
    ws.set_column(width + 1, width + 1, 60)
    for r, (rownum, cells, message) in enumerate(rows, start=1):
        ws.write_number(r, 0, rownum)
        for c, value in enumerate(cells[:width], start=1):
            write_cell(ws, r, c, value, date_fmt)
        ws.write_string(r, width + 1, message, red)
    ws.freeze_panes(1, 0)
    book.close()


_EXAMPLES = {
    "roster": {"姓名": "张三", "公民身份号码": make_id("110105", dt.date(1995, 6, 1), 123), "性别": "男",
               "出生日期": dt.date(1995, 6, 1), "民族": "汉族", "文化程度": "大学本科毕业", "婚姻状况": "未婚",
               "服务处所": "", "迁入日期": dt.date(2024, 7, 15), "联系电话": "13800138000",
               "入职日期": dt.date(2024, 7, 1)},
    "hr": {"姓名": "张三", "公民身份号码": make_id("110105", dt.date(1995, 6, 1), 123), "变动类型": "离职",
           "生效日期": dt.date(2026, 11, 30), "部门": "", "备注": ""},
}
_LISTS = {"性别": ["男", "女"], "民族": [codes.ETHNICITY[k] for k in sorted(codes.ETHNICITY)],
          "文化程度": [codes.EDUCATION[k] for k in sorted(codes.EDUCATION)],
          "婚姻状况": [codes.MARITAL[k] for k in sorted(codes.MARITAL)], "变动类型": list(CHANGES)}
_DATES = {"出生日期", "迁入日期", "入职日期", "生效日期"}
_NOTES = {
    "roster": ["每行一名集体户成员；按公民身份号码（18位）匹配：已在册的更新，不在册的新增。",
               "带 * 的列必填。列可调换顺序，标题行上方可有一行表头标题；不认识的列会被忽略并列出。",
               "公民身份号码列请设置为“文本”格式，否则 Excel 会丢失后几位数字。",
               "日期写成 2024-03-05（也接受 2024/3/5、2024.3.5、2024年3月5日 和日期格式单元格）。",
               "空白单元格表示“无”：已有的值会被清空；性别和出生日期为空时按身份号码推算。",
               "民族、文化程度、婚姻状况、服务处所请从下拉列表选择。",
               "先“预检”：不写入任何数据，列出新增、更新、未变化、跳过和错误行；确认后一次性全部导入。"],
    "hr": ["每行一条人事变动。变动类型：入职、离职、调动、退休。",
           "离职：人员设为“迁出中”并记录离职日期，自动生成一份迁出申请（期限为离职日期后若干天）；已有进行中的迁出申请时不再生成。",
           "调动：更新部门；尚未经部门审批的进行中申请随之转到新部门，已审批的保持原部门。",
           "退休：记录退休日期。入职：在册人员更新部门和入职日期；不在册的人员不做更改，列为“不在集体户”以便邀请落户。",
           "公民身份号码列请设置为“文本”格式。日期写成 2024-03-05。",
           "同一文件重复导入不会产生任何变化。"],
}


def template(fp: IO[bytes], kind: str, departments: list[str]) -> None:
    """The import template: Chinese headers (* = required), dropdowns, an example row and instructions."""
    spec = ROSTER if kind == "roster" else HR
    book = xlsxwriter.Workbook(fp, _OPTIONS)
    ws = book.add_worksheet("花名册" if kind == "roster" else "人事变动")
    lists = book.add_worksheet("代码")
    notes = book.add_worksheet("说明")
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    text_fmt = book.add_format({"num_format": "@"})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    choices = dict(_LISTS, 服务处所=departments, 部门=departments)
    lc = 0  # next column of the hidden list sheet
    for c, col in enumerate(spec):
        ws.write_string(0, c, col.header + ("*" if col.required else ""), bold)
        ws.set_column(c, c, 22 if col.key == "id_number" else 14, text_fmt if col.key == "id_number" else None)
        value = _EXAMPLES[kind].get(col.header)
        if isinstance(value, dt.date):
            ws.write_datetime(1, c, dt.datetime(value.year, value.month, value.day), date_fmt)
        elif value:
            ws.write_string(1, c, value)
        if col.header in _DATES:
            ws.data_validation(1, c, 10000, c, {"validate": "date", "criteria": ">", "minimum": dt.date(1900, 1, 1),
                                                "error_message": "请填写日期，如 2024-03-05"})
        options = choices.get(col.header)
        if options:
            letter = column_letter(lc)
            lists.write_string(0, lc, col.header)
            for r, name in enumerate(options, start=1):
                lists.write_string(r, lc, name)
            ws.data_validation(1, c, 10000, c, {"validate": "list",
                                                "source": f"=代码!${letter}$2:${letter}${len(options) + 1}"})
            lc += 1
    ws.freeze_panes(1, 0)
    lists.hide()
    notes.set_column(0, 0, 110)
    for r, line in enumerate(_NOTES[kind]):
        notes.write_string(r, 0, f"{r + 1}. {line}")
    book.close()
