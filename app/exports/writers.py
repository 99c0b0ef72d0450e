"""Spreadsheet writers for exports: xlsx (xlsxwriter, constant memory) and CSV (UTF-8 with BOM).

Each column has a kind (text, date, datetime, number, bool) decided once by the export spec, so the per-cell
work is one call: no isinstance chain per cell. Text is always written with `write_string`, so a value starting
with = + - @ (or a tab / CR) stays text and never becomes a formula.
"""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import unicodedata
from typing import IO, Callable, Iterable, Sequence

import xlsxwriter

EPOCH = dt.datetime(1899, 12, 31)
# CSV has no cell types: Excel evaluates a cell starting with these; a leading apostrophe keeps it text (OWASP).
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PROGRESS_EVERY = 2000


def display_width(text: str) -> int:
    """Columns a text needs in Excel: CJK and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _excel_serial(value) -> float:
    """A date or naive local datetime as an Excel serial number (1900 date system, after 1900-03-01)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value - EPOCH
    return delta.days + 1 + delta.seconds / 86400 + delta.microseconds / 86400e6


def write_xlsx(fp: IO[bytes], sheet: str, columns: Sequence, rows: Iterable[Sequence],
               progress: Callable[[int], None] | None = None) -> int:
    """Stream rows into an .xlsx file object; `columns` carry header, kind and width; returns the row count."""
    return write_sheets(fp, [(sheet, columns, rows)], progress)[0]


def write_sheets(fp: IO[bytes], sheets: Sequence[tuple[str, Sequence, Iterable[Sequence]]],
                 progress: Callable[[int], None] | None = None) -> list[int]:
    """Several (name, columns, rows) tables, one sheet each, into one .xlsx; returns the row count per sheet."""
    book = xlsxwriter.Workbook(fp, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False,
                                    "strings_to_urls": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    formats = {"date": book.add_format({"num_format": "yyyy-mm-dd"}),
               "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"})}
    counts = [_write_sheet(book.add_worksheet(name[:31]), columns, rows, bold, formats, progress)
              for name, columns, rows in sheets]
    book.close()
    return counts


def _write_sheet(ws, columns: Sequence, rows: Iterable[Sequence], bold, formats: dict,
                 progress: Callable[[int], None] | None) -> int:
    """One sheet: bold frozen header row, column widths, one typed write call per cell."""
    writers = []
    for col, spec in enumerate(columns):
        header = str(spec.header)
        ws.set_column(col, col, max(spec.width, display_width(header) + 2))
        writers.append(_cell_writer(ws, spec.kind, formats))
    ws.freeze_panes(1, 0)
    for col, spec in enumerate(columns):
        ws.write_string(0, col, str(spec.header), bold)
    count = 0
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is not None and value != "":
                writers[c](r, c, value)
        count = r
        if progress and not r % PROGRESS_EVERY:
            progress(r)
    return count


def _cell_writer(ws, kind: str, formats: dict):
    """The one write call for a column kind (dates as real date cells with a number format). It calls the
    worksheet's typed writers below the public ones: those only turn "A1" notation into numbers, which our
    integer coordinates never need, and cost a tenth of a 100k-row export (xlsxwriter is pinned; the export
    tests read every kind back)."""
    if kind in ("date", "datetime"):
        fmt = formats[kind]
        return lambda r, c, v: (ws._write_number(r, c, _excel_serial(v), fmt) if isinstance(v, dt.date)
                                else ws._write_string(r, c, str(v)))  # a masked date is text
    if kind == "number":
        return lambda r, c, v: ws._write_number(r, c, float(v))
    if kind == "bool":
        return lambda r, c, v: ws._write_boolean(r, c, bool(v))
    return lambda r, c, v: ws._write_string(r, c, v if v.__class__ is str else str(v))


def _csv_text(value, kind: str) -> str:
    """One CSV field: dates ISO, numbers plain, booleans as given text, formula-like text prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


def write_csv(fp: IO[bytes], columns: Sequence, rows: Iterable[Sequence],
              progress: Callable[[int], None] | None = None) -> int:
    """CSV in UTF-8 with BOM (Excel on Chinese Windows reads it as UTF-8), CRLF line ends; returns the row count."""
    text = io.TextIOWrapper(fp, encoding="utf-8-sig", newline="", write_through=False)
    out = csv.writer(text)
    out.writerow([str(c.header) for c in columns])
    kinds = [c.kind for c in columns]
    count = 0
    for count, row in enumerate(rows, start=1):
        out.writerow([_csv_text(v, k) for v, k in zip(row, kinds)])
        if progress and not count % PROGRESS_EVERY:
            progress(count)
    text.flush()
    text.detach()
    return count
