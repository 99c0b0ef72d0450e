"""The columns of each import: Chinese header, accepted aliases, required or not; header-row detection."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from ..domain.errors import Message, N_


@dataclass(frozen=True)
class Column:
    """One importable column: the field it fills, its Chinese header (file data, not UI text) and aliases."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


ROSTER = (
    Column("name", "姓名", ("名字",), True),
    Column("id_number", "公民身份号码", ("身份证号", "身份证号码", "证件号码", "身份证", "身份号码"), True),
    Column("gender", "性别"),
    Column("birth_date", "出生日期", ("出生年月日", "生日")),
    Column("former_name", "曾用名"),
    Column("ethnicity", "民族"),
    Column("birthplace", "出生地"),
    Column("native_place", "籍贯"),
    Column("education", "文化程度", ("学历",)),
    Column("marital_status", "婚姻状况", ("婚姻",)),
    Column("department", "服务处所", ("部门", "所在部门", "部门名称")),
    Column("occupation", "职业", ("岗位", "职务")),
    Column("moved_from", "何时由何地迁来", ("迁来地", "何地迁来")),
    Column("former_address", "原户籍地址", ("原户籍地",)),
    Column("move_in_date", "迁入日期", ("落户日期",)),
    Column("move_in_reason", "迁入原因"),
    Column("page_number", "户口页编号", ("户口页号", "户口卡编号")),
    Column("phone", "联系电话", ("手机", "手机号", "手机号码", "电话", "联系方式")),
    Column("hire_date", "入职日期", ("入职时间",)),
)

HR = (
    Column("name", "姓名", ("名字",), True),
    Column("id_number", "公民身份号码", ("身份证号", "身份证号码", "证件号码", "身份证", "身份号码"), True),
    Column("change", "变动类型", ("变动", "类型", "异动类型"), True),
    Column("date", "生效日期", ("离职日期", "变动日期", "日期", "入职日期", "调动日期", "退休日期"), True),
    Column("department", "部门", ("服务处所", "所在部门", "新部门", "调入部门")),
    Column("note", "备注", ("说明",)),
)

SPECS = {"roster": ROSTER, "hr": HR}
CHANGES = {"入职": "hire", "离职": "leave", "调动": "transfer", "退休": "retire"}
SCAN_ROWS = 10  # a title (and a subtitle) may sit above the header row


def _key(value: Any) -> str:
    """A header cell folded for matching: full-width forms, spaces, a trailing * (required mark) and colons."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(text.split()).strip("*：:").upper()


def _index(spec: tuple[Column, ...]) -> dict[str, Column]:
    """Every accepted spelling → its column."""
    out = {}
    for col in spec:
        for name in (col.header, *col.aliases):
            out[_key(name)] = col
    return out


@dataclass
class HeaderMap:
    """Where the header row is (0-based), which column index holds which field, and what was ignored."""

    row: int
    fields: dict[str, int]
    labels: dict[str, str]
    ignored: list[str]


def find_header(rows: list[list], spec: tuple[Column, ...]) -> HeaderMap | Message:
    """Find the header row among the first rows; a Message when required columns are missing."""
    index = _index(spec)
    best, best_hits = 0, -1
    for i, row in enumerate(rows[:SCAN_ROWS]):
        hits = len({index[_key(c)].key for c in row if _key(c) in index})
        if hits > best_hits:
            best, best_hits = i, hits
    fields: dict[str, int] = {}
    labels: dict[str, str] = {}
    ignored: list[str] = []
    for pos, cell in enumerate(rows[best] if rows else []):
        col = index.get(_key(cell))
        if col is None or col.key in fields:
            if str(cell or "").strip():
                ignored.append(str(cell).strip())
            continue
        fields[col.key] = pos
        labels[col.key] = str(cell).strip()
    missing = [c.header for c in spec if c.required and c.key not in fields]
    if missing:
        return Message("imp_missing_columns", N_("The file has no column %(columns)s (looked in the first %(rows)d "
                                                 "rows for the header row); nothing was imported"),
                       {"columns": "、".join(missing), "rows": SCAN_ROWS})
    return HeaderMap(best, fields, labels, ignored)


def column_letter(pos: int) -> str:
    """Excel's column name for a 0-based index (0 → A, 26 → AA)."""
    out = ""
    pos += 1
    while pos:
        pos, rem = divmod(pos - 1, 26)
        out = chr(65 + rem) + out
    return out
