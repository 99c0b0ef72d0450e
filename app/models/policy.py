"""Eligibility rules as data (city, pathway, condition, threshold, validity)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import ChangeLogged


class EligibilityRule(ChangeLogged, Model):
    """One configurable policy condition; evaluated by app.domain.eligibility at pre-review."""

    __tablename__ = "eligibility_rule"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    city: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    pathway: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    app_types: Mapped[str] = mapped_column(String(100), nullable=False, default="move_in")
    condition: Mapped[str] = mapped_column(String(40), nullable=False)
    threshold: Mapped[str] = mapped_column(String(40), nullable=False)
    source: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    valid_from: Mapped[Optional[dt.date]] = mapped_column(Date)
    valid_to: Mapped[Optional[dt.date]] = mapped_column(Date)
    is_example: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0", nullable=False)

    def __str__(self) -> str:
        return self.name
