"""Tests for upload checks in app.domain.files."""
from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from urllib.parse import unquote

import pytest

from app.domain.files import (
    ALLOWED,
    UploadRejected,
    check_upload,
    content_disposition,
    display_name,
    sha256_stream,
    sniff,
    storage_name,
)

def png_header(width: int = 1, height: int = 1) -> bytes:
    """The PNG signature and an IHDR chunk with its CRC (what `sniff` parses)."""
    data = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + data + struct.pack(">I", zlib.crc32(b"IHDR" + data))


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstartxref\n9\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG = png_header() + b"\x00\x00\x00\x00IEND\xaeB`\x82"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"
HTML_PDF = b"<html><script>alert(1)</script>%PDF-1.4\n1 0 obj\nendobj\n%%EOF\n</html>"
SVG_PDF = b'<svg xmlns="http://www.w3.org/2000/svg"><!-- %PDF-1.4 1 0 obj %%EOF --></svg>'
MB = 1 << 20


@pytest.mark.parametrize(
    "head, kind",
    [
        (PDF, "pdf"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "pdf"),  # an object instead of a cross-reference
        (b"\x00" * 1000 + PDF, None),  # junk before the header: no longer a PDF
        (b"\n" + PDF, None),
        (HTML_PDF, None),  # the penetration test's HTML with %PDF- inside its first KiB
        (SVG_PDF, None),
        (b"%PDF-1.4\n1 0 obj\nendobj\n", None),  # no %%EOF
        (b"%PDF-1.4\n%%EOF\n", None),  # neither an object nor a cross-reference
        (b"%PDF-x\n1 0 obj\n%%EOF", None),  # no version after the signature
        (JPEG, "jpg"),
        (b"\xff\xd8\xff\xdb\x00\x43" + b"\x01" * 65 + b"\xff\xd9", "jpg"),  # DQT first, no APP segment
        (JPEG[:-2], None),  # no EOI
        (b"\xff\xd8\xff\xd9", None),  # SOI straight into EOI: no segment
        (b"\xff\xd8\xff\x00\x00\x10" + b"\x00" * 10 + b"\xff\xd9", None),  # not a marker
        (b"\xff\xd8\xff\xe0\x00\x01\xff\xd9", None),  # segment length below 2
        (b"\xff\xd8<html>\xff\xd9", None),
        (PNG, "png"),
        (png_header(), "png"),
        (png_header()[:-1] + b"\x00", None),  # wrong IHDR CRC
        (png_header(0, 1), None),  # zero width
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, None),  # signature only, no IHDR
        (EXE, None),
        (b"\xff\xd8", None),  # truncated JPEG magic
        (b"\x89PNG\r\n", None),  # truncated PNG signature
        (b"GIF89a", None),
        (b"", None),
    ],
)
def test_sniff(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_sniff_reads_the_end_from_the_tail() -> None:
    big = PDF[:-6] + b"%" + b"x" * 5000 + b"\n%%EOF\n"  # the end marker is beyond the first KiB
    assert sniff(big[:1024], big[-1024:]) == "pdf"
    assert sniff(big[:1024], big[-2048:-1024]) is None  # %%EOF must be within the last KiB
    assert check_upload("a.pdf", big[:1024], len(big), 10 * MB, big[-1024:]) == ("pdf", "a.pdf")


@pytest.mark.parametrize("data", [HTML_PDF, SVG_PDF])
def test_html_or_svg_containing_a_pdf_header_is_rejected(data: bytes) -> None:
    with pytest.raises(UploadRejected) as exc:
        check_upload("扫描件.pdf", data, len(data), 10 * MB)
    assert exc.value.code == "upload_type"


def test_allowed_maps_kinds_to_mime() -> None:
    assert ALLOWED == {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


@pytest.mark.parametrize(
    "filename, kind, expected",
    [
        ("申请表.pdf", "pdf", "申请表.pdf"),
        ("身份证.png", "jpg", "身份证.jpg"),  # extension lies: really a JPEG
        ("身份证 正面.JPEG", "jpg", "身份证 正面.JPEG"),  # a correct spelling is kept as written
        ("毕业证", "png", "毕业证.png"),  # no extension: append
        ("报告.v2", "pdf", "报告.v2.pdf"),  # not an extension: keep it, append
        ("合同.exe", "pdf", "合同.pdf"),
        ("../../etc/passwd.pdf", "pdf", "passwd.pdf"),
        ("C:\\x\\申请表.pdf", "pdf", "申请表.pdf"),
        ("a/b\\c/劳动 合同.pdf", "pdf", "劳动 合同.pdf"),
        ("...hidden.pdf", "pdf", "hidden.pdf"),
        ("  张\t\t三   社保\n记录 .pdf", "pdf", "张 三 社保 记录.pdf"),
        ("bad\x00na\x07me.pdf", "pdf", "badname.pdf"),
        ("invoice\u202efdp.exe", "pdf", "invoicefdp.pdf"),  # right-to-left override removed
        ("", "pdf", "file.pdf"),
        ("...", "png", "file.png"),
        (".pdf", "pdf", "file.pdf"),
        ("../", "jpg", "file.jpg"),
    ],
)
def test_display_name(filename: str, kind: str, expected: str) -> None:
    assert display_name(filename, kind) == expected


@pytest.mark.parametrize("filename", ["长" * 300 + ".pdf", "x" * 300, "a" * 200 + ".exe"])
def test_display_name_limits_length_and_keeps_extension(filename: str) -> None:
    name = display_name(filename, "pdf")
    assert len(name) == 120
    assert name.endswith(".pdf")
    assert name[0] == filename[0]


def test_storage_name_is_random_hex() -> None:
    names = {storage_name() for _ in range(50)}
    assert len(names) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}", n) for n in names)


@pytest.mark.parametrize(
    "filename, head, kind, shown",
    [
        ("申请表.pdf", PDF, "pdf", "申请表.pdf"),
        ("photo.jpeg", JPEG, "jpg", "photo.jpeg"),
        ("身份证.png", JPEG, "jpg", "身份证.jpg"),
        ("scan", PNG, "png", "scan.png"),
    ],
)
def test_check_upload_accepts(filename: str, head: bytes, kind: str, shown: str) -> None:
    assert check_upload(filename, head, 1000, 10 * MB) == (kind, shown)


def test_exe_named_pdf_is_rejected() -> None:
    with pytest.raises(UploadRejected) as exc:
        check_upload("申请表.pdf", EXE, 1000, 10 * MB)
    assert exc.value.code == "upload_type"
    text = str(exc.value.messages[0])
    assert "申请表.pdf" in text
    assert "PDF, JPG and PNG" in text


def test_rejection_names_only_the_base_name() -> None:
    with pytest.raises(UploadRejected) as exc:
        check_upload("../../etc/evil.pdf", EXE, 1000, 10 * MB)
    assert exc.value.messages[0].params["name"] == "evil.pdf"


@pytest.mark.parametrize("size, head", [(0, b""), (0, PDF), (5, b"")])
def test_empty_upload_rejected(size: int, head: bytes) -> None:
    with pytest.raises(UploadRejected) as exc:
        check_upload("空.pdf", head, size, 10 * MB)
    assert exc.value.code == "upload_empty"
    assert "空.pdf" in str(exc.value)


@pytest.mark.parametrize(
    "size, limit, size_text, limit_text",
    [(10 * MB + 1, 10 * MB, "10.1", "10"), (25 * MB, 20 * MB, "25", "20"), (3 * MB, 5 * MB // 2, "3", "2.5")],
)
def test_too_large_names_file_and_limit(size: int, limit: int, size_text: str, limit_text: str) -> None:
    with pytest.raises(UploadRejected) as exc:
        check_upload("大文件.pdf", PDF, size, limit)
    msg = exc.value.messages[0]
    assert msg.code == "upload_too_large"
    assert msg.params == {"name": "大文件.pdf", "size": size_text, "limit": limit_text}
    assert f"{limit_text} MB" in str(msg) and "大文件.pdf" in str(msg)


def test_size_equal_to_limit_is_accepted() -> None:
    assert check_upload("a.pdf", PDF, 10 * MB, 10 * MB)[0] == "pdf"


def test_upload_rejected_is_a_domain_error() -> None:
    from app.domain.errors import DomainError

    assert issubclass(UploadRejected, DomainError)


def _parse_disposition(value: str) -> tuple[str, str]:
    """Return (ascii fallback, decoded filename*) from a Content-Disposition value."""
    m = re.fullmatch(r'attachment; filename="([^"\\]*)"; filename\*=UTF-8\'\'([A-Za-z0-9%!#$&+\-.^_`|~]*)', value)
    assert m, value
    return m.group(1), unquote(m.group(2), encoding="utf-8")


@pytest.mark.parametrize(
    "name",
    ["申请表.pdf", "劳动 合同 (2024).pdf", 'a"b\\c;d,e%20.pdf', "a/b.pdf", "résumé.png", "身份证 正面.jpg"],
)
def test_content_disposition_round_trips(name: str) -> None:
    fallback, decoded = _parse_disposition(content_disposition(name))
    assert decoded == name
    assert fallback.isascii() and '"' not in fallback and "%" not in fallback


@pytest.mark.parametrize(
    "name, fallback",
    [("申请表.pdf", "file.pdf"), ("résumé.png", "resume.png"), ("report 1.pdf", "report 1.pdf"), ("张三cv.pdf", "__cv.pdf")],
)
def test_content_disposition_ascii_fallback(name: str, fallback: str) -> None:
    assert _parse_disposition(content_disposition(name))[0] == fallback


@pytest.mark.parametrize("data", [b"", b"abc", bytes(range(256)) * 5000])
@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_sha256_stream_matches_hashlib(data: bytes, chunk: int) -> None:
    if chunk == 1 and len(data) > 1000:
        data = data[:1000]  # keep the byte-at-a-time case fast
    assert sha256_stream(io.BytesIO(data), chunk) == (hashlib.sha256(data).hexdigest(), len(data))
