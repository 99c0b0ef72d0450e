"""Excel export with xlsxwriter: every cell written as a plain value, text never becomes a formula."""
from __future__ import annotations

import datetime as dt
import decimal
from typing import IO, Iterable, Sequence

import xlsxwriter


def write_xlsx(fp: IO[bytes], sheet: str, headers: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Stream rows into an .xlsx file object; returns the number of data rows written."""
    book = xlsxwriter.Workbook(fp, {"constant_memory": True, "in_memory": False,
                                    "strings_to_formulas": False, "strings_to_urls": False,
                                    "strings_to_numbers": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, title in enumerate(headers):
        ws.write_string(0, col, str(title), bold)
        ws.set_column(col, col, max(10, len(str(title)) * 2 + 2))
    count = 0
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            write_cell(ws, r, c, value, date_fmt)
        count += 1
    ws.freeze_panes(1, 0)
    book.close()
    return count


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


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Personal data: no browser or proxy may keep a copy (no-cache would still store it and only revalidate).
NO_STORE = "no-store, private"


def send_xlsx(fp: IO[bytes], download_name: str):
    """An .xlsx file object as a download that is never stored by browsers or proxies."""
    from flask import send_file

    response = send_file(fp, as_attachment=True, download_name=download_name, mimetype=XLSX_MIMETYPE,
                         etag=False, last_modified=None, max_age=None)
    response.headers["Cache-Control"] = NO_STORE
    response.headers["Pragma"] = "no-cache"
    response.headers.pop("Expires", None)
    return response
