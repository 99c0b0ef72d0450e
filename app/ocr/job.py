"""The background job kind "ocr_check": read every unchecked 居民身份证 material of the open applications, compare
it with the register, store the back side's expiry date. "Unchecked" = not verified yet and no earlier OCR audit
row for it. Each material is its own unit of work (the OCR runs before it, so no write lock is held for seconds).

    flask --app run hukou ocr-check         # queue it (or run it from the jobs page's producer)
"""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from ..clock import today
from ..dao import visible
from ..domain.errors import Message, N_
from ..extensions import db
from ..i18n import render
from ..jobs import JobResult, job_kind
from ..models import Application, AuditLog, Material, MaterialType
from ..domain.workflow import OPEN_STATUSES
from ..services import materials as files
from . import compare, service

KIND = "ocr_check"


def unchecked(actor, limit: int | None = None) -> list[int]:
    """Ids of the actor's visible, unverified ID-card materials of open applications never read by the OCR."""
    read = select(AuditLog.object_id).where(AuditLog.action == service.AUDIT_ACTION,
                                            AuditLog.object_type == "Material")
    stmt = (visible(Material, actor).join(Application, Material.application_id == Application.id)
            .join(MaterialType, Material.material_type_id == MaterialType.id)
            .where(MaterialType.code == compare.ID_CARD_CODE, Material.verified.is_(False),
                   Material.kind.in_(("jpg", "png", "pdf")), Application.status.in_(sorted(OPEN_STATUSES)))
            .order_by(Material.id))
    ids = [m.id for m in db.session.scalars(stmt)]
    done = {str(x) for x in db.session.scalars(read)}
    ids = [i for i in ids if str(i) not in done]
    return ids[:limit] if limit else ids


def check_one(job, material_id: int) -> bool | None:
    """Read and compare one material in its own unit; True when the card differs from the register,
    None when it could not be read."""
    material = db.session.get(Material, material_id)
    path = files.file_path(material) if material else None
    if path is None or not path.is_file():
        return None
    data = path.read_bytes()
    wait = float(current_app.config.get("HUKOU_OCR_WAIT_SECONDS", 10))
    reading = service.read_card(data, today(), max(wait, 60.0))  # a job may wait longer than a request
    with job.unit() as uow:
        material = uow.session.get(Material, material_id)
        rows = compare.apply(uow, material, reading, "job")
    if reading.result is None or reading.result.side is None:  # no card text found: the officer looks at it
        return None
    return any(r.differs for r in rows)


@job_kind(KIND, write=False, label=N_("ID card check"))
def run(job, params: dict) -> JobResult:
    """Check every unchecked ID-card material the job's actor may see."""
    if not job.actor.can("verify", "Material"):
        raise PermissionError(f"{job.actor.username} may not check materials")
    ids = unchecked(job.actor, params.get("limit"))
    db.session.rollback()
    job.total(len(ids))
    differing = unreadable = 0
    for n, material_id in enumerate(ids, start=1):
        outcome = check_one(job, material_id)
        differing += outcome is True
        unreadable += outcome is None
        job.progress(n)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        message = render(Message("ocr_job_done", N_("%(count)d ID card(s) read: %(differs)d differ from the "
                                                    "register, %(unreadable)d could not be read"),
                                 {"count": len(ids), "differs": differing, "unreadable": unreadable}))
    return JobResult(message=message, done=len(ids))
