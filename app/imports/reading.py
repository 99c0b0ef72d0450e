"""Reading an uploaded file into rows of cell values, after the checks that keep a bad file harmless.

xlsx/xlsm/xlsb/ods are read with python-calamine (Rust; it expands no XML entities); before it opens the file the
zip container is checked with `zipfile` (entry count, total uncompressed size: zip bombs) and its XML parts are
refused if they declare a DTD (entity attacks). CSV: UTF-8 with or without BOM, else GB18030 (a superset of GBK).
"""
from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path
from typing import Iterator

from ..domain.errors import DomainError, Message, N_

MAX_ENTRIES = 1000
MAX_UNZIPPED_MB = int(os.environ.get("HUKOU_IMPORT_MAX_UNZIPPED_MB", "1024"))
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_EXCEL = {".xlsx", ".xlsm", ".xlsb", ".ods"}


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (type, size, encoding, damage); nothing was read."""


def _fail(code: str, msgid: str, **params) -> ImportFileError:
    """An ImportFileError with one message."""
    return ImportFileError(Message(code, msgid, params))


def check_size(size: int, max_mb: int) -> None:
    """Refuse a file over the import size limit."""
    if size > max_mb * 1024 * 1024:
        raise _fail("imp_too_big", N_("The file is larger than %(mb)d MB; split it into smaller files"), mb=max_mb)


def kind_of(path: Path, name: str) -> str:
    """'excel' or 'csv', judged by the content first; .xls and encrypted workbooks are refused with advice."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    suffix = Path(name).suffix.lower()
    if head == _OLE2:
        if _ENCRYPTED in path.read_bytes():
            raise _fail("imp_password", N_("The workbook is protected by a password; remove the password in Excel "
                                           "(File → Info → Protect Workbook) and upload it again"))
        raise _fail("imp_xls", N_("Old .xls workbooks are not supported; open the file in Excel or WPS and save it "
                                  "as \"Excel workbook (*.xlsx)\", then upload the .xlsx file"))
    if head.startswith(b"PK"):
        return "excel"
    if suffix in _EXCEL or suffix == ".xls":
        raise _fail("imp_corrupt", N_("The file is damaged or is not an Excel workbook; open it in Excel, save it "
                                      "again as .xlsx and upload it again"))
    if suffix in (".csv", ".txt"):
        return "csv"
    raise _fail("imp_type", N_("Only Excel workbooks (.xlsx) and CSV files can be imported"))


def check_zip(path: Path) -> None:
    """Refuse zip bombs (too many entries, too much uncompressed data) and XML parts that declare a DTD."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise _fail("imp_zip_entries", N_("The workbook contains %(count)d parts (at most %(limit)d are "
                                                  "allowed); it is not a normal Excel file"),
                            count=len(infos), limit=MAX_ENTRIES)
            total = sum(i.file_size for i in infos)
            if total > MAX_UNZIPPED_MB * 1024 * 1024:
                raise _fail("imp_zip_size", N_("The workbook unpacks to more than %(mb)d MB; it is not a normal "
                                               "Excel file"), mb=MAX_UNZIPPED_MB)
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as part:
                        if b"<!DOCTYPE" in part.read(2048).upper():
                            raise _fail("imp_xml_dtd", N_("The workbook contains XML entity declarations, which "
                                                          "Excel never writes; it was refused"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as err:
        raise _fail("imp_corrupt", N_("The file is damaged or is not an Excel workbook; open it in Excel, save it "
                                      "again as .xlsx and upload it again")) from err


def read_excel(path: Path) -> Iterator[list]:
    """The rows of the first visible worksheet, one by one (calamine: '' for empty cells, floats, dates)."""
    import python_calamine as pc

    check_zip(path)
    try:
        book = pc.load_workbook(str(path))
        sheets = [m for m in book.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet
                  and m.visible == pc.SheetVisibleEnum.Visible]
        sheet = book.get_sheet_by_name(sheets[0].name if sheets else book.sheet_names[0])
        rows = sheet.iter_rows()
    except pc.PasswordError as err:
        raise _fail("imp_password", N_("The workbook is protected by a password; remove the password in Excel "
                                       "(File → Info → Protect Workbook) and upload it again")) from err
    except (pc.CalamineError, IndexError, ValueError) as err:
        raise _fail("imp_corrupt", N_("The file is damaged or is not an Excel workbook; open it in Excel, save it "
                                      "again as .xlsx and upload it again")) from err
    return _guarded(rows, pc.CalamineError)


def _guarded(rows: Iterator[list], error: type) -> Iterator[list]:
    """Rows of a reader whose failure half-way is reported as a damaged file."""
    try:
        yield from rows
    except error as err:
        raise _fail("imp_corrupt", N_("The file is damaged or is not an Excel workbook; open it in Excel, save it "
                                      "again as .xlsx and upload it again")) from err


def decode_csv(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (BOM or not), else GB18030/GBK; anything else is refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as err:
        raise _fail("imp_encoding", N_("The CSV file is neither UTF-8 nor GBK/GB18030 text; save it in Excel as "
                                       "\"CSV UTF-8\" and upload it again")) from err


def read_csv(path: Path) -> Iterator[list]:
    """The rows of a CSV file as lists of strings."""
    text = decode_csv(path.read_bytes())
    if "\x00" in text:
        raise _fail("imp_corrupt", N_("The file is damaged or is not an Excel workbook; open it in Excel, save it "
                                      "again as .xlsx and upload it again"))
    return csv.reader(io.StringIO(text, newline=""))


def open_rows(path: Path, name: str, max_mb: int) -> Iterator[list]:
    """Check a stored upload and return its rows one by one (file problems raise before the first row)."""
    check_size(path.stat().st_size, max_mb)
    return read_excel(path) if kind_of(path, name) == "excel" else read_csv(path)


def pick_rows(path: Path, name: str, max_mb: int, wanted: set[int]) -> dict[int, list]:
    """Rows by Excel row number (1-based), read again from the file (for the error report)."""
    out = {}
    for number, row in enumerate(open_rows(path, name, max_mb), start=1):
        if number in wanted:
            out[number] = list(row)
    return out
