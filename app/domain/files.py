"""Upload checks: sniff the real file type, keep a safe display name, build download headers."""
from __future__ import annotations

import hashlib
import math
import re
import secrets
import unicodedata
import zlib
from typing import BinaryIO
from urllib.parse import quote

from app.domain.errors import DomainError, Message, N_

ALLOWED: dict[str, str] = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}

MAX_NAME_CHARS = 120

# Suffixes we recognise as "an extension" and therefore replace; any other suffix (e.g. "报告.v2") is
# treated as part of the name and kept, so the original name survives as far as possible.
_KNOWN_EXTENSIONS = frozenset({
    "pdf", "jpg", "jpeg", "jpe", "jfif", "png", "gif", "bmp", "tif", "tiff", "webp", "heic", "heif",
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf", "odt", "ods", "wps", "ofd", "csv",
    "zip", "rar", "7z", "gz", "tar", "exe", "dll", "bat", "cmd", "com", "msi", "sh", "js", "vbs",
    "ps1", "scr", "jar", "apk", "htm", "html", "svg", "xml", "php",
})
# Spellings that already name the sniffed kind correctly and are left as the user wrote them.
_KIND_SPELLINGS = {"pdf": {"pdf"}, "jpg": {"jpg", "jpeg", "jpe"}, "png": {"png"}}

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_SOI = b"\xff\xd8"
_JPEG_EOI = b"\xff\xd9"
_PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
_PDF_OBJECT = re.compile(rb"(?:^|[\r\n\s])\d+\s+\d+\s+obj\b")
TAIL_BYTES = 1024  # readers look for a PDF's %%EOF (and a JPEG's EOI) within the last KiB
# JPEG markers that may follow SOI: APPn, DQT, DHT, SOFn, DRI, COM (not RSTn, SOI, EOI, TEM or a bare SOS).
_JPEG_FIRST_MARKERS = frozenset({*range(0xE0, 0xF0), 0xDB, 0xC4, *range(0xC0, 0xD0), 0xDD, 0xFE}) - {0xC8}
_ATTACHMENT_UNSAFE = set('"\\%')  # quote/escape breakers, and % which some browsers percent-decode


class UploadRejected(DomainError):
    """An uploaded file was refused: empty, of a type we do not accept, or too large."""


def _is_png(head: bytes) -> bool:
    """The PNG signature, then an IHDR chunk of 13 bytes with a correct CRC and a non-empty image size."""
    if not head.startswith(_PNG_MAGIC) or len(head) < 33:
        return False
    length, kind, data = int.from_bytes(head[8:12], "big"), head[12:16], head[16:29]
    if length != 13 or kind != b"IHDR" or int.from_bytes(head[29:33], "big") != zlib.crc32(kind + data):
        return False
    width, height = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
    return width > 0 and height > 0


def _is_jpeg(head: bytes, tail: bytes) -> bool:
    """SOI, then a well-formed first marker segment (type and length), and an EOI marker near the end."""
    if not head.startswith(_JPEG_SOI) or len(head) < 6 or head[2] != 0xFF:
        return False
    marker, length = head[3], int.from_bytes(head[4:6], "big")
    return marker in _JPEG_FIRST_MARKERS and length >= 2 and _JPEG_EOI in tail


def _is_pdf(head: bytes, tail: bytes) -> bool:
    """%PDF-n.n at offset 0, %%EOF within the last KiB, and a cross-reference (startxref) or an object."""
    if not _PDF_HEADER.match(head) or b"%%EOF" not in tail:
        return False
    return b"startxref" in tail or bool(_PDF_OBJECT.search(head) or _PDF_OBJECT.search(tail))


def sniff(head: bytes, tail: bytes | None = None) -> str | None:
    """Return "pdf", "jpg" or "png" when the file starts with that format's signature and its structure
    parses, else None. `head` is the start of the file, `tail` its last KiB (None: `head` is the whole file)."""
    tail = head[-TAIL_BYTES:] if tail is None else tail
    if _is_png(head):
        return "png"
    if _is_jpeg(head, tail):
        return "jpg"
    if _is_pdf(head, tail):
        return "pdf"
    return None


def _clean_base(filename: str) -> str:
    """Strip directories, control/format characters and extra whitespace from a client file name."""
    base = re.sub(r"\s+", " ", re.split(r"[/\\]", filename or "")[-1])  # tabs/newlines become spaces first
    # Cc: NUL, BEL...; Cf: e.g. U+202E right-to-left override used to disguise "exe" as "pdf".
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return re.sub(r" {2,}", " ", base).strip()


def display_name(filename: str, kind: str) -> str:
    """Return the user's original file name made safe, with the extension that matches `kind`."""
    base = _clean_base(filename)
    stem, dot, ext = base.rpartition(".")
    if not dot or ext.lower() not in _KNOWN_EXTENSIONS:
        stem, ext = base, ""
    if ext.lower() not in _KIND_SPELLINGS.get(kind, {kind}):
        ext = kind
    # Leading dots would hide the file on Unix; trailing dots/spaces are dropped by Windows.
    stem = stem.lstrip(". ").rstrip(". ")
    stem = stem[: max(MAX_NAME_CHARS - len(ext) - 1, 1)].rstrip(". ")
    return f"{stem or 'file'}.{ext}"


def storage_name() -> str:
    """Return a random, unguessable name for the stored file (no user input in it)."""
    return secrets.token_hex(16)


def _ascii_fallback(name: str) -> str:
    """Return an ASCII-only approximation of `name` for old clients that ignore filename*."""
    out = []
    for ch in name:
        if ch.isascii() and ch.isprintable() and ch not in _ATTACHMENT_UNSAFE:
            out.append(ch)
            continue
        plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
        out.append(plain if plain and plain.isprintable() and not set(plain) & _ATTACHMENT_UNSAFE else "_")
    fallback = "".join(out)
    stem, dot, ext = fallback.rpartition(".")
    if dot and not re.search(r"[A-Za-z0-9]", stem):
        return f"file.{ext}"
    return fallback if re.search(r"[A-Za-z0-9]", fallback) else "file"


def content_disposition(name: str) -> str:
    """Return an RFC 6266 / RFC 5987 attachment header value carrying a UTF-8 file name."""
    return f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def _mb(n_bytes: int, round_up: bool = False) -> str:
    """Format a byte count in MB with at most one decimal, e.g. 10 or 12.5."""
    tenths = n_bytes * 10 / (1 << 20)
    # Round a too-large size up so "10.1 MB, limit 10 MB" never reads as "10 MB, limit 10 MB".
    tenths = math.ceil(tenths) if round_up else round(tenths)
    return f"{tenths / 10:.1f}".removesuffix(".0")


def check_upload(filename: str, head: bytes, size: int, max_bytes: int,
                 tail: bytes | None = None) -> tuple[str, str]:
    """Validate an upload by content and size; return (kind, display name) or raise UploadRejected.
    `tail` is the file's last KiB (None: `head` is the whole file)."""
    shown = _clean_base(filename)[:MAX_NAME_CHARS] or "file"
    if size <= 0 or not head:
        raise UploadRejected(Message("upload_empty", N_("File %(name)s is empty"), {"name": shown}))
    if size > max_bytes:
        raise UploadRejected(Message(
            "upload_too_large",
            N_("File %(name)s is %(size)s MB, larger than the limit of %(limit)s MB"),
            {"name": shown, "size": _mb(size, round_up=True), "limit": _mb(max_bytes)},
        ))
    kind = sniff(head, tail)
    if kind is None:
        raise UploadRejected(Message(
            "upload_type",
            N_("File %(name)s is not accepted: only PDF, JPG and PNG files can be uploaded"),
            {"name": shown},
        ))
    return kind, display_name(filename, kind)


def sha256_stream(fp: BinaryIO, chunk: int = 1 << 20) -> tuple[str, int]:
    """Return the SHA-256 hex digest and byte count of a binary file object, read in chunks."""
    digest = hashlib.sha256()
    total = 0
    while block := fp.read(chunk):
        digest.update(block)
        total += len(block)
    return digest.hexdigest(), total


def fsync_dir(folder) -> None:
    """Make renames and new files in a folder durable (POSIX only; Windows cannot open directories)."""
    import os

    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
