"""The unit profile: the one row every print form shows, and the registered-vs-actual address check."""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.unit import UnitProfile

# Characters that do not make two addresses different: spaces and punctuation (both widths after NFKC).
_IGNORED = re.compile(r"[\s,，.。、;；:：·\-—_()（）\[\]【】\"'“”‘’]+")


def get_profile(session: Session) -> UnitProfile:
    """The unit profile row (migration 0013 creates it); a blank unsaved one if it was removed."""
    row = session.scalar(select(UnitProfile).order_by(UnitProfile.id).limit(1))
    return row if row is not None else UnitProfile(unit_name="", collective_name="", household_no="",
                                                   registered_address="", office_address="",
                                                   police_station="", contact_name="", contact_phone="")


def normalise_address(text: str | None) -> str:
    """An address reduced for comparison: full-width folded, spaces and punctuation dropped, lower case."""
    folded = unicodedata.normalize("NFKC", text or "")
    return _IGNORED.sub("", folded).lower()


def address_mismatch(profile: UnitProfile) -> bool:
    """True when both addresses are filled in and differ (a unit that moved without updating its household)."""
    registered = normalise_address(profile.registered_address)
    actual = normalise_address(profile.office_address)
    return bool(registered and actual and registered != actual)


def is_complete(profile: UnitProfile) -> bool:
    """Whether the fields the forms print (unit, household, number, registered address) are filled in."""
    return all((getattr(profile, name) or "").strip()
               for name in ("unit_name", "collective_name", "household_no", "registered_address"))
