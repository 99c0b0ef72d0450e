"""Sending a stored material file: an audited read inside its own unit of work."""
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
