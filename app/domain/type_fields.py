"""Which application fields belong to which type: the add/edit forms and the show page use only these."""
from __future__ import annotations

# Requested resident changes (the form's new_* inputs) belong to information changes only.
CHANGES = "changes"
# Type → its own fields, in form order. The reason is the purpose where the type has one (a loan, a certificate).
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "move_in": ("pathway", "city", "reason", "planned_date"),
    "move_out": ("destination", "reason", "planned_date"),
    "borrow_page": ("reason", "planned_date"),
    "certificate": ("reason",),
    "info_change": ("reason", CHANGES),
    "id_card": ("reason",),
    "page_reissue": ("reason",),
}
# Every type-dependent field (the union), so a form knows which inputs to hide or clear.
ALL_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(f for fields in TYPE_FIELDS.values() for f in fields))


def fields_of(app_type: str | None) -> tuple[str, ...]:
    """The fields of one type; an unknown type gets every field (the server refuses the type itself)."""
    return TYPE_FIELDS.get(app_type or "", ALL_FIELDS)


def types_with(field: str) -> tuple[str, ...]:
    """The types a field belongs to (the add form shows the input only for those)."""
    return tuple(t for t, fields in TYPE_FIELDS.items() if field in fields)


def off_type(app_type: str | None) -> tuple[str, ...]:
    """The type-dependent fields that do not belong to this type."""
    own = set(fields_of(app_type))
    return tuple(f for f in ALL_FIELDS if f not in own)
