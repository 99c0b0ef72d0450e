"""Placeholder scans of the demo materials: a tiny PDF per material type, written once and hard-linked."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=None)
def placeholder(code: str) -> bytes:
    """A tiny valid one-page PDF saying it stands in for a scan of this material type."""
    text = f"Hukou Desk demo placeholder scan: {code}".encode("ascii")
    stream = b"BT /F1 16 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def write_placeholders(folder: str, files: list[tuple[str, str]]) -> None:
    """Write each material's file; files of one type share their bytes through hard links where possible."""
    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    first: dict[str, Path] = {}
    for name, code in files:
        target = base / name
        source = first.get(code)
        if source is not None:
            try:
                os.link(source, target)
                continue
            except OSError:  # no hard links on this filesystem: write a copy
                pass
        target.write_bytes(placeholder(code))
        first.setdefault(code, target)
