"""The working-day calendar: days that deviate from "Mon–Fri work, Sat/Sun off", and the years holding official data."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import ChangeLogged, utcnow

DAY_KINDS = ("holiday", "workday")
DAY_SOURCES = ("official", "law", "admin")
YEAR_SOURCES = ("official", "admin")


class CalendarDay(ChangeLogged, Model):
    """One deviating day: a weekday off (holiday) or a weekend day worked (workday, 调休上班).
    An Admin's edits are audited row by row; seeding and file imports write one audit row per year."""

    __tablename__ = "calendar_day"
    __table_args__ = (
        CheckConstraint("kind IN ('holiday', 'workday')", name="ck_calendar_day_kind"),
        CheckConstraint("source IN ('official', 'law', 'admin')", name="ck_calendar_day_source"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="admin")

    def __repr__(self) -> str:
        return f"{self.day.isoformat()} {self.name}"


class CalendarYear(Model):
    """A year whose holiday arrangement is official (seeded from the package, or imported by the Admin)."""

    __tablename__ = "calendar_year"
    __table_args__ = (CheckConstraint("source IN ('official', 'admin')", name="ck_calendar_year_source"),)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    loaded_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:
        return str(self.year)
