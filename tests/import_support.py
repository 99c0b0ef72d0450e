"""Helpers of the import tests: write small xlsx/CSV files, run an import as a named actor, unique ID numbers."""
from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from app.domain.idnumber import make_id

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path_factory):
    """Uploaded files and error reports of the import tests go to a temporary folder, not instance/imports."""
    old = app.config.get("HUKOU_IMPORT_DIR")
    app.config["HUKOU_IMPORT_DIR"] = str(tmp_path_factory.mktemp("imports"))
    yield
    app.config["HUKOU_IMPORT_DIR"] = old


def new_id(region: str = "320106") -> str:
    """A valid ID number no other test uses (region 320106, birth dates from 1985 on)."""
    n = next(_seq)
    return make_id(region, dt.date(1985, 1, 1) + dt.timedelta(days=n), (n * 2 + 1) % 1000)


def write_xlsx(path: Path, rows: list[list], title: str | None = None, merged: bool = True) -> Path:
    """An .xlsx: an optional title row (merged across the columns), then the rows as typed cells."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = book.add_worksheet("Sheet1")
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    r0 = 0
    if title:
        width = max(len(r) for r in rows)
        if merged:
            ws.merge_range(0, 0, 0, width - 1, title)
        else:
            ws.write_string(0, 0, title)
        r0 = 1
    for r, row in enumerate(rows, start=r0):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date_fmt)
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            elif isinstance(value, tuple):  # ("=formula", cached value)
                ws.write_formula(r, c, value[0], None, value[1])
            elif value is not None:
                ws.write_string(r, c, value)
    book.close()
    return path


def run(app, kind: str, path: Path, dry_run: bool = False, name: str | None = None):
    """Import a file through the service as the HR system actor; returns the Outcome."""
    from app.imports.service import import_dir, run_import
    from app.security.actor import cli_actor

    with app.app_context():
        stored = f"test-{next(_seq)}-{path.name}"
        shutil.copyfile(path, import_dir() / stored)
        return run_import(cli_actor("系统（人事同步）"), kind, stored, name or path.name, dry_run=dry_run)


def rendered(app, outcome) -> list[tuple[int, str, str]]:
    """The plan's errors as (row, header, Chinese message)."""
    from app.i18n import render

    with app.test_request_context():
        return [(e.row, e.header, render(e.message)) for e in outcome.plan.errors]


def file_error(app, outcome) -> str:
    """The Chinese message of a file-level error."""
    from app.i18n import render

    with app.test_request_context():
        return render(outcome.plan.file_error)
