"""Materials of an application: checklist, missing items, upload, verify / stamp / return, delete (files: material_files)."""
from __future__ import annotations

from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from ..domain import files
from ..domain.errors import DomainError, Message, N_
from ..domain.workflow_table import TYPES
from ..clock import utcnow
from ..domain.actor import Actor
from ..extensions import db
from ..models import Application, ChecklistItem, Material, MaterialType
from ..uow import UnitOfWork
from . import material_files as stored, material_state as state
from .material_files import UploadTooLarge, file_path, upload_folder  # noqa: F401 (screens, API, jobs)

APPLICANT_UPLOAD_STATUSES = frozenset({"draft", "needs_materials", "submitted"})
UPLOADER_DELETE_STATUSES = frozenset({"draft", "needs_materials"})
LOCKED_STATUSES = frozenset({"archived"})


class MaterialForbidden(DomainError):
    """The user may not do this to this material (wrong role, not theirs, or the status forbids it)."""

    http_status = 403


# --- checklist and missing items --------------------------------------------------------------------------

def checklist_items(app_type: str) -> list[ChecklistItem]:
    """The checklist rows of an application type, required first, then in checklist order."""
    stmt = (select(ChecklistItem).where(ChecklistItem.app_type == app_type)
            .order_by(ChecklistItem.required.desc(), ChecklistItem.id))
    return list(db.session.scalars(stmt))


def checklist(app_type: str) -> list[tuple[MaterialType, bool]]:
    """(material type, required) for an application type, required first."""
    return [(item.material_type, item.required) for item in checklist_items(app_type)]


def materials_of(application: Application) -> list[Material]:
    """The materials of an application, oldest first (fresh from the database)."""
    stmt = select(Material).where(Material.application_id == application.id).order_by(Material.id)
    return list(db.session.scalars(stmt))


def checklist_state(application: Application) -> list[state.Line]:
    """One line per checklist item with its state (missing / pending / verified / returned) and materials."""
    return state.lines_of(checklist_items(application.type), materials_of(application))


def missing_materials(application: Application) -> list[str]:
    """Names of required material types that have no verified material (what the pre-review guard refuses)."""
    return state.not_verified(checklist_state(application))


def not_verified(application: Application) -> list[str]:
    """The same as missing_materials, under a name that says what it means."""
    return missing_materials(application)


def not_uploaded(application: Application) -> list[str]:
    """Names of required material types with nothing usable uploaded (缺少, or every scan returned)."""
    return state.not_uploaded(checklist_state(application))


# --- who may do what --------------------------------------------------------------------------------------

def is_officer(actor: Actor) -> bool:
    """The officer (and Admin): whoever holds Material can_verify."""
    return actor.can("verify", "Material")


def is_applicant(actor: Actor, application: Application) -> bool:
    """The employee whose own application this is, with Material write permission."""
    return actor.resident_id == application.resident_id and actor.can("write", "Material")


def _app_label(application: Application) -> str:
    """How messages name an application."""
    return f"#{application.id}"


def _check_not_locked(application: Application) -> None:
    """Materials of an archived application are frozen."""
    if application.status in LOCKED_STATUSES:
        raise MaterialForbidden(Message("material_application_archived", N_(
            "Application %(app)s is archived; its materials can no longer be changed"),
            {"app": _app_label(application)}))


def check_may_upload(actor: Actor, application: Application) -> None:
    """Raise MaterialForbidden unless the actor may upload to this application now."""
    _check_not_locked(application)
    if is_officer(actor):
        return
    if not is_applicant(actor, application):
        raise MaterialForbidden(Message("material_upload_forbidden", N_(
            "You may not upload materials to application %(app)s"), {"app": _app_label(application)}))
    if application.status not in APPLICANT_UPLOAD_STATUSES:
        raise MaterialForbidden(Message("material_upload_status", N_(
            "Materials can be added to application %(app)s only while it is a draft, awaiting pre-review "
            "or awaiting supplementary materials"), {"app": _app_label(application)}))


def check_may_delete(actor: Actor, material: Material) -> None:
    """Raise MaterialForbidden unless the actor may delete this material now."""
    application = material.application
    _check_not_locked(application)
    if is_officer(actor):
        return
    if actor.user_id is None or material.uploaded_by_id != actor.user_id or not is_applicant(actor, application):
        raise MaterialForbidden(Message("material_delete_forbidden", N_(
            "You may not delete material %(name)s"), {"name": material.original_name}))
    if application.status not in UPLOADER_DELETE_STATUSES:
        raise MaterialForbidden(Message("material_delete_status", N_(
            "Material %(name)s can be deleted only while application %(app)s is a draft or awaiting "
            "supplementary materials"), {"name": material.original_name, "app": _app_label(application)}))


def check_may_verify(actor: Actor, material: Material) -> None:
    """Raise MaterialForbidden unless the actor is the officer and the application is not archived."""
    if not is_officer(actor):
        raise MaterialForbidden(Message("material_verify_forbidden", N_(
            "Only the hukou officer may verify or return materials")))
    _check_not_locked(material.application)


def allowed(check, *args) -> bool:
    """True when a check_may_* function passes (for showing buttons)."""
    try:
        check(*args)
    except DomainError:
        return False
    return True


# --- upload -----------------------------------------------------------------------------------------------

def _checklist_type(application: Application, material_type_id) -> MaterialType:
    """The material type, which must be on the checklist of the application's type."""
    try:
        type_id = int(material_type_id)
    except (TypeError, ValueError):
        type_id = None
    if type_id is not None:
        for mtype, _required in checklist(application.type):
            if mtype.id == type_id:
                return mtype
    mtype = db.session.get(MaterialType, type_id) if type_id is not None else None
    if mtype is None:
        raise DomainError(Message("material_type_unknown", N_("Material type: please choose a material type")))
    raise DomainError(Message("material_type_not_in_checklist", N_(
        "Material type %(material)s is not on the checklist of %(type)s applications"),
        {"material": mtype.name, "type": TYPES.get(application.type, application.type)}))


def upload(uow: UnitOfWork, application: Application, material_type_id, filename: str | None,
           stream: BinaryIO | None) -> Material:
    """Store an uploaded scan and add its row to the unit; the file is removed again if the unit rolls back."""
    check_may_upload(uow.actor, application)
    mtype = _checklist_type(application, material_type_id)
    if stream is None or not filename:
        raise files.UploadRejected(Message("upload_no_file", N_("File: please choose a file to upload")))
    max_bytes = current_app.config["HUKOU_UPLOAD_MAX_MB"] * 1024 * 1024
    known = stored.stream_size(stream)
    head = stream.read(stored.HEAD_BYTES)
    tail = stored.tail(stream, known)
    stream.seek(0)
    kind, shown = stored.check(filename, head, known if known is not None else len(head), max_bytes, tail)
    name, digest, size = stored.store(stream, filename, head, max_bytes)
    uow.on_rollback(lambda: stored.remove(name))
    material = Material(application_id=application.id, material_type_id=mtype.id, original_name=shown,
                        storage_name=name, size=size, sha256=digest, kind=kind,
                        uploaded_by_id=uow.actor.user_id, uploaded_at=utcnow())
    uow.session.add(material)
    uow.session.flush()
    return material


def upload_many(uow: UnitOfWork, application: Application, entries: list[tuple]) -> list[Material]:
    """Several (material type id, filename, stream) at once: all stored, or none (the unit rolls back);
    a refusal names the file it is about."""
    if not entries:
        raise files.UploadRejected(Message("upload_no_file", N_("File: please choose a file to upload")))
    out = []
    for type_id, filename, stream in entries:
        try:
            out.append(upload(uow, application, type_id, filename, stream))
        except MaterialForbidden:
            raise  # about the application, not the file
        except DomainError as err:
            if any("name" in (m.params or {}) for m in err.messages) or not filename:
                raise
            named = Message("upload_file_failed", N_("File %(name)s was not uploaded"), {"name": filename})
            raise type(err)(named, *err.messages) from None
    return out


# --- verify / stamp / return / delete ---------------------------------------------------------------------

def _mark(uow: UnitOfWork, material: Material, verified: bool) -> None:
    """Who checked it and when."""
    material.verified = verified
    material.verified_by_id = uow.actor.user_id
    material.verified_at = utcnow()


def verify(uow: UnitOfWork, material: Material, note: str | None = None, stamped: bool = False,
           valid_to=None) -> Material:
    """The officer checked the scan against the original; `stamped` = copy stamped 「与原件一致」; a
    certificate's validity date comes from `valid_to` or the note (「有效期至YYYY-MM-DD」)."""
    check_may_verify(uow.actor, material)
    _mark(uow, material, True)
    material.stamped = bool(stamped or material.stamped)
    material.returned_reason = None
    if note is not None and note.strip():
        material.verify_note = note.strip()[:500]
    until = state.parse_valid_to(valid_to, material.verify_note)
    if until is not None:
        material.valid_to = until
    uow.session.flush()
    return material


def stamp(uow: UnitOfWork, material: Material, note: str | None = None, valid_to=None) -> Material:
    """Stamp the copy 「与原件一致」; a stamped copy is a verified one."""
    return verify(uow, material, note, stamped=True, valid_to=valid_to)


def verify_all(uow: UnitOfWork, application: Application) -> list[Material]:
    """「全部核验通过」: verify every uploaded, unverified, unreturned material of the application at once."""
    if not is_officer(uow.actor):
        raise MaterialForbidden(Message("material_verify_forbidden", N_(
            "Only the hukou officer may verify or return materials")))
    _check_not_locked(application)
    done = [verify(uow, m) for m in state.verifiable(materials_of(application))]
    return done


def return_material(uow: UnitOfWork, material: Material, reason: str | None) -> Material:
    """Send a material back with a reason; it is no longer verified or stamped."""
    check_may_verify(uow.actor, material)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(Message("material_return_reason", N_(
            "Return of material %(name)s: a reason is required"), {"name": material.original_name}))
    _mark(uow, material, False)
    material.stamped = False
    material.returned_reason = reason[:500]
    uow.session.flush()
    return material


def delete(uow: UnitOfWork, material: Material) -> None:
    """Delete the row; the file goes once the unit has committed (a failed commit leaves both)."""
    check_may_delete(uow.actor, material)
    name = material.storage_name
    uow.session.delete(material)
    uow.session.flush()
    if stored.is_storage_name(name):
        uow.after_commit(lambda: stored.remove(name))
