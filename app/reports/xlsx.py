"""The report as an .xlsx: one sheet per table, through the exports writer (app.exports.writers)."""
from __future__ import annotations

import re
from typing import IO

from ..exports.writers import write_sheets
from .present import Table, Tr, tables

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_names(items: list[Table]) -> list[str]:
    """Excel-safe, unique sheet names (≤ 31 characters, no []:*?/\\) from the table titles."""
    names: list[str] = []
    for table in items:
        base = _BAD_SHEET_CHARS.sub("", table.title).split("（")[0].split("(")[0].strip()[:28] or table.key
        name, n = base, 2
        while name in names:
            name, n = f"{base}{n}", n + 1
        names.append(name)
    return names


def write_report(fp: IO[bytes], report: dict, tr: Tr) -> int:
    """Write every table of the report; returns the number of sheets."""
    items = tables(report, tr)
    write_sheets(fp, [(name, t.columns, t.rows) for name, t in zip(sheet_names(items), items)])
    return len(items)


def file_name(report: dict, tr: Tr) -> str:
    """e.g. 统计月报_2026-11.xlsx / 年度汇总_2026.xlsx."""
    if "year" in report:
        return f'{tr("Annual summary")}_{report["year"]}.xlsx'
    return f'{tr("Monthly report")}_{report["month"]}.xlsx'
