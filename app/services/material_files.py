"""Where material files live: streamed to a temp name, fsynced, hashed and renamed into the upload folder."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from ..domain import files
from ..models import Material

HEAD_BYTES = 1024
CHUNK = 1 << 20
_STORAGE_NAME = re.compile(r"[0-9a-f]{32}")


class UploadTooLarge(files.UploadRejected):
    """The upload exceeds HUKOU_UPLOAD_MAX_MB."""

    http_status = 413


def check(filename: str, head: bytes, size: int, max_bytes: int, tail: bytes | None = None) -> tuple[str, str]:
    """files.check_upload, with "too large" turned into a 413."""
    try:
        return files.check_upload(filename, head, size, max_bytes, tail)
    except files.UploadRejected as err:
        if err.code == "upload_too_large":
            raise UploadTooLarge(*err.messages) from None
        raise


def upload_folder() -> Path:
    """UPLOAD_FOLDER (outside static/), created on first use."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(stream: BinaryIO, filename: str, head: bytes, max_bytes: int) -> tuple[str, str, int]:
    """Copy to a temp name in UPLOAD_FOLDER, fsync, hash, rename; return (storage name, sha256, size)."""
    folder = upload_folder()
    name = files.storage_name()
    tmp = folder / f".{name}.part"
    try:
        size = 0
        with open(tmp, "xb") as out:
            while block := stream.read(CHUNK):
                size += len(block)
                if size > max_bytes:  # the exact limit, whatever the request said its length was
                    check(filename, head, size, max_bytes)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        with open(tmp, "rb") as written:
            digest, size = files.sha256_stream(written)
        os.replace(tmp, folder / name)
        files.fsync_dir(folder)
    finally:
        tmp.unlink(missing_ok=True)
    return name, digest, size


def tail(stream: BinaryIO, size: int | None) -> bytes | None:
    """The last KiB of a seekable stream (a PDF's %%EOF, a JPEG's EOI), or None when it cannot seek."""
    if size is None:
        return None
    stream.seek(max(size - files.TAIL_BYTES, 0))
    return stream.read(files.TAIL_BYTES)


def stream_size(stream: BinaryIO) -> int | None:
    """The byte size of a seekable stream (rewound), or None."""
    try:
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def file_path(material: Material) -> Path | None:
    """Where the material's file lives, or None for a storage name that is not ours."""
    if not is_storage_name(material.storage_name):
        return None
    return Path(current_app.config["UPLOAD_FOLDER"]) / material.storage_name


def remove(name: str) -> None:
    """Delete a stored file if it is there."""
    (Path(current_app.config["UPLOAD_FOLDER"]) / name).unlink(missing_ok=True)


def is_storage_name(name: str | None) -> bool:
    """True for a name this module gave a stored file (never a path the database could smuggle in)."""
    return bool(_STORAGE_NAME.fullmatch(name or ""))
