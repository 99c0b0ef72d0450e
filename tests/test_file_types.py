"""Strict file types at upload (issue 6): a file is a PDF, PNG or JPEG only if it starts with the signature and
its structure parses; HTML or SVG carrying "%PDF-" in its first KiB is refused, on the API and the web form."""
from __future__ import annotations

import struct
import zlib

import pytest

from tests.test_materials import (api_upload, count_materials, new_application, stored_files, type_id,
                                  web_upload)


def png(width: int = 2, height: int = 2) -> bytes:
    """A PNG whose IHDR chunk carries a correct CRC (the pixel data is not checked)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 13)) + chunk(b"IEND", b"")


def pdf(padding: int = 0) -> bytes:
    """A small PDF with an object, a cross-reference and %%EOF; `padding` bytes of comment make it long."""
    body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%" + b"p" * padding + b"\n"
    return body + b"xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer<<>>\nstartxref\n%d\n%%%%EOF\n" % len(body)


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script><!-- %PDF-1.4 -->" + \
       b"1 0 obj endobj %%EOF</body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><desc>%PDF-1.7 1 0 obj</desc></svg>\n%%EOF\n'
REFUSED = {
    "html_with_pdf_header": HTML,
    "svg_with_pdf_header": SVG,
    "pdf_after_junk": b"\n\n" + pdf(),
    "pdf_without_eof": pdf()[: pdf().rindex(b"%%EOF")],
    "pdf_eof_far_from_end": pdf() + b"\n%" + b"z" * 4096,
    "png_bad_crc": png()[:29] + b"\x00\x00\x00\x00" + png()[33:],
    "png_signature_only": b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
    "jpeg_without_eoi": JPEG[:-2],
    "jpeg_soi_then_html": b"\xff\xd8<html><script>alert(1)</script></html>\xff\xd9",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_api_refuses_what_only_looks_like_an_allowed_type(app, world, api, name):
    app_id = new_application(app, world)
    client, headers = api("t_officer")
    before = stored_files(app)
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), REFUSED[name], "扫描件.pdf")
    assert r.status_code == 422, r.get_data(as_text=True)
    assert "只能上传 PDF、JPG 和 PNG" in r.get_json()["message"]
    assert count_materials(app, app_id) == 0 and stored_files(app) == before


@pytest.mark.parametrize("data,kind", [(pdf(), "pdf"), (pdf(padding=200_000), "pdf"), (png(), "png"),
                                       (JPEG, "jpg")], ids=["pdf", "long_pdf", "png", "jpeg"])
def test_api_accepts_well_formed_files(app, world, api, data, kind):
    app_id = new_application(app, world)
    client, headers = api("t_officer")
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), data, "扫描件.pdf")
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["result"]["kind"] == kind and r.get_json()["result"]["size"] == len(data)


def test_web_form_refuses_html_named_pdf(app, world, login):
    app_id = new_application(app, world, creator="t_employee_a")
    c = login("t_employee_a")
    r = web_upload(c, app_id, type_id(app, "id_card"), HTML, "身份证.pdf")
    assert r.status_code in (302, 422)
    assert count_materials(app, app_id) == 0
    assert web_upload(c, app_id, type_id(app, "id_card"), pdf(), "身份证.pdf").status_code == 302
    assert count_materials(app, app_id) == 1
