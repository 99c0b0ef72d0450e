"""The web edge of the OCR, shared by the REST endpoint and the screens: settings, the upload, the answer."""
from __future__ import annotations

from flask import current_app, g
from flask_babel import gettext

from ..clock import today
from ..dao import get_or_refuse, get_visible
from ..domain.codes import ETHNICITY
from ..domain.errors import DomainError, Message, N_, NotPossible
from ..domain.masking import mask_birth_date, mask_id
from ..models import Material
from ..services import materials as material_files
from ..i18n import render, render_error
from ..security.actor import current_actor, request_unit
from . import checks, compare, service

OFF = Message("ocr_off", N_("The ID card recognition is switched off on this system"))


def enabled() -> bool:
    """HUKOU_OCR_ENABLED (default on); templates hide the buttons when off."""
    return bool(current_app.config.get("HUKOU_OCR_ENABLED", True))


def wait_seconds() -> float:
    """How long a request waits for the busy engine (HUKOU_OCR_WAIT_SECONDS, default 10)."""
    return float(current_app.config.get("HUKOU_OCR_WAIT_SECONDS", 10))


def result_json(res: checks.CardResult, actor) -> dict:
    """The result object; the full number only for users who may unmask residents (the others see it masked)."""
    return checks.as_json(res, render, None if actor.can("unmask", "Resident") else mask_id)


def recognise_upload(storage, application_id, via: str) -> tuple[int, dict]:
    """Authorise, read the uploaded card, audit the call; (HTTP status, JSON body) with Chinese messages."""
    if not enabled():
        return 404, {"message": render(OFF)}
    actor = current_actor()
    try:
        with request_unit(write=False) as uow:
            application = service.authorize(actor, uow.session, application_id)
    except DomainError as err:
        return err.http_status, {"message": render_error(err)}
    data = storage.read() if storage is not None else b""
    if not data:
        return 422, {"message": {"file": [gettext("Please choose the scan of the ID card (JPG, PNG or PDF)")]}}
    reading = service.read_card(data, today(), wait_seconds())
    with request_unit() as uow:
        service.audit(uow, reading, application, via)
    if reading.error is not None:
        return reading.error.http_status, {"message": render_error(reading.error)}
    return 200, {"result": result_json(reading.result, actor)}



def _id_card_material(pk, actor, session):
    """The visible material if it is a 居民身份证 scan, else NotPossible."""
    material = get_or_refuse(Material, pk, actor, session)
    if material.material_type.code != compare.ID_CARD_CODE:
        raise NotPossible(Message("ocr_not_id_card", N_("Only a 居民身份证 material can be compared with the register")))
    return material


def compare_material(pk) -> dict:
    """Pre-review: read the material's scan (outside any transaction), then compare, store the expiry date and
    audit in one unit of work. What the panel shows: masked values side by side, differences flagged."""
    actor = current_actor()
    with request_unit(write=False) as uow:
        material = _id_card_material(pk, actor, uow.session)
        svc_path = material_files.file_path(material)
    if svc_path is None or not svc_path.is_file():
        raise NotPossible(Message("ocr_file_missing", N_("The scan's file is missing")))
    reading = service.read_card(svc_path.read_bytes(), today(), wait_seconds())
    with request_unit() as uow:
        rows = compare.apply(uow, _id_card_material(pk, uow.actor, uow.session), reading, "pre_review")
    if reading.error is not None:
        raise reading.error
    shown = [{"label": gettext(r.label), "card": _shown(r.key, r.card), "register": _shown(r.key, r.register),
              "differs": r.differs} for r in rows]
    return {"result": checks.as_json(reading.result, render, mask_id), "rows": shown,
            "differs": sum(r.differs for r in rows)}


def _shown(key: str, value):
    """A compared value as the panel shows it: numbers and birth dates masked, codes as names."""
    if value in (None, ""):
        return "—"
    if key == "id_number":
        return mask_id(value)
    if key == "birth_date":
        return mask_birth_date(value)
    if key == "gender":
        return {"M": gettext("Male"), "F": gettext("Female")}.get(value, value)
    if key == "ethnicity":
        return ETHNICITY.get(value, value)
    return value


def material_panel(pk) -> dict | None:
    """What material_show.html needs for the comparison panel, or None (OCR off, not an ID card, no verify)."""
    actor = current_actor()
    if not enabled() or not actor.can("verify", "Material"):
        return None
    material = get_visible(Material, pk, actor)
    if material is None or material.material_type.code != compare.ID_CARD_CODE:
        return None
    return {"material": material, "outcome": g.get("hk_ocr_outcome")}
