"""Shared column mixins for the Hukou Desk models."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, func
from sqlalchemy.orm import Mapped, mapped_column


from ..clock import utcnow  # noqa: E402,F401  (the one clock; re-exported for the models)


class TimestampMixin:
    """created_on / changed_on maintained by the database session."""

    created_on: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp(), nullable=False
    )
    changed_on: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, server_default=func.current_timestamp(), nullable=False
    )


class VersionMixin:
    """An integer bumped by every workflow write, used for optimistic concurrency."""

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)


class ChangeLogged:
    """Marker mixin: inserts, updates and deletes of this model are written to the audit trail."""

    __audit_masked__: tuple[str, ...] = ()
