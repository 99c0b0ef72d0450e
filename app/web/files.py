"""Sending files: a stored material file (an audited read inside its own unit of work), and the downloads that
are made for the user (exports, reports, import reports and templates), which no browser or proxy may keep."""
from __future__ import annotations

from flask import abort, send_file

from ..dao import get_or_refuse
from ..domain import files
from ..models import Material
from ..security.actor import request_unit
from ..services import materials as svc


def send_material(pk) -> object:
    """The visible material's file as an attachment with its original name; the download is audited first."""
    with request_unit() as uow:  # SQLite: the write lock is taken before the read, so the audit row cannot fail
        material = get_or_refuse(Material, pk, uow.actor, uow.session)
        path = svc.file_path(material)
        if path is None or not path.is_file():
            abort(404)  # a missing file is "not found", never a 500
        uow.record("download", object_type="Material", object_id=material.id,
                   detail={"name": material.original_name, "application_id": material.application_id})
        name, kind = material.original_name, material.kind
    response = send_file(path, mimetype=files.ALLOWED.get(kind, "application/octet-stream"),
                         conditional=False, etag=False, max_age=0)
    response.headers["Content-Disposition"] = files.content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "csv": "text/csv; charset=utf-8"}
NO_STORE = "no-store, private"


def send_download(fp, name: str, fmt: str):
    """A file as an attachment (RFC 5987 filename* for the Chinese name) that nobody may cache."""
    response = send_file(fp, as_attachment=True, download_name=name, mimetype=MIMETYPES[fmt], etag=False,
                         last_modified=None, max_age=None)
    response.headers["Cache-Control"] = NO_STORE
    response.headers["Pragma"] = "no-cache"
    response.headers.pop("Expires", None)
    return response
