"""The state of each checklist line of an application (no Flask): 缺少 / 待核验 / 已核验 / 已退回.

    lines = lines_of(checklist_items, materials)      # one Line per checklist item (+ types no longer on it)
    not_uploaded(lines)   # required items with nothing usable uploaded (missing, or every scan returned)
    not_verified(lines)   # required items not yet verified (= what the materials_complete guard refuses)

The panel, the REST checklist, the submit confirmation and the workflow guard all read these, so that
"missing" means the same thing everywhere: nothing (usable) was uploaded.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..domain.errors import DomainError, Message, N_

MISSING, PENDING, VERIFIED, RETURNED = "missing", "pending", "verified", "returned"
# state code → English msgid (translated at the web boundary); the order is the order of the API's enum
STATE_LABELS = {MISSING: N_("Missing"), PENDING: N_("Awaiting verification"), VERIFIED: N_("Verified"),
                RETURNED: N_("Returned")}
# Material codes whose validity date matters (the reminders chase lapsing ones; app/desk/remind.py)
CERTIFICATES = frozenset({"destination_permit", "migration_cert", "admission_cert"})


@dataclass
class Line:
    """One checklist line: the material type, whether it is required, its state and its materials."""

    material_type_id: int
    code: str
    name: str
    required: bool
    note: str | None
    state: str = MISSING
    material_ids: list[int] = field(default_factory=list)
    materials: list[Any] = field(default_factory=list)
    reason: str | None = None  # the last return reason, when the line is returned
    on_checklist: bool = True

    @property
    def state_label(self) -> str:
        """The English msgid of the state (translate before showing)."""
        return STATE_LABELS[self.state]

    @property
    def is_certificate(self) -> bool:
        """A migration certificate, whose validity date the officer records when verifying."""
        return self.code in CERTIFICATES


def material_state(material: Any) -> str:
    """The state of one material: verified, returned (with a reason) or pending."""
    if material.verified:
        return VERIFIED
    return RETURNED if material.returned_reason else PENDING


def line_state(materials: list[Any]) -> tuple[str, str | None]:
    """A line's state from its materials: verified > pending > returned > missing, and the return reason."""
    states = [material_state(m) for m in materials]
    if VERIFIED in states:
        return VERIFIED, None
    if PENDING in states:
        return PENDING, None
    if states:
        return RETURNED, materials[-1].returned_reason
    return MISSING, None


def _line(mtype: Any, required: bool, note: str | None, mats: list[Any], on_checklist: bool = True) -> Line:
    """Build one line from its material type and its materials."""
    state, reason = line_state(mats)
    return Line(material_type_id=mtype.id, code=mtype.code, name=mtype.name, required=required, note=note,
                state=state, material_ids=[m.id for m in mats], materials=list(mats), reason=reason,
                on_checklist=on_checklist)


def lines_of(items: Iterable[Any], materials: Iterable[Any]) -> list[Line]:
    """One Line per checklist item (in the items' order), then optional lines for uploaded types that are
    no longer on the checklist (their files must stay visible)."""
    mats = sorted(materials, key=lambda m: m.id)
    lines = [_line(item.material_type, bool(item.required), item.note,
                   [m for m in mats if m.material_type_id == item.material_type_id]) for item in items]
    listed = {line.material_type_id for line in lines}
    extra: dict[int, list[Any]] = {}
    for m in mats:
        if m.material_type_id not in listed:
            extra.setdefault(m.material_type_id, []).append(m)
    for of_type in extra.values():
        lines.append(_line(of_type[0].material_type, False, None, of_type, on_checklist=False))
    return lines


def not_uploaded(lines: Iterable[Line]) -> list[str]:
    """Names of required items with nothing usable uploaded: 缺少, or every scan 已退回 (upload again)."""
    return [line.name for line in lines if line.required and line.state in (MISSING, RETURNED)]


def not_verified(lines: Iterable[Line]) -> list[str]:
    """Names of required items that have no verified material (uploaded or not)."""
    return [line.name for line in lines if line.required and line.state != VERIFIED]


def pending(lines: Iterable[Line]) -> list[str]:
    """Names of items (required or optional) uploaded and waiting for the officer."""
    return [line.name for line in lines if line.state == PENDING]


def verifiable(materials: Iterable[Any]) -> list[Any]:
    """The materials 「全部核验通过」 verifies: uploaded, not verified, not returned."""
    return [m for m in materials if material_state(m) == PENDING]


def parse_valid_to(value: Any, note: str | None) -> dt.date | None:
    """The validity date typed on the verify form (YYYY-MM-DD), else the one written in the check note
    (「有效期至YYYY-MM-DD」, as the reminders read it); a malformed date is refused naming the field."""
    from ..desk.remind import valid_to as from_note

    if isinstance(value, dt.date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return from_note(note)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError(Message("material_valid_to", N_(
            "Valid until: please enter a date as YYYY-MM-DD"))) from None
