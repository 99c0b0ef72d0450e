"""The unit's own data (集体户 profile), issued household certificates and the office handbook's tips."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import ChangeLogged, utcnow


class UnitProfile(ChangeLogged, Model):
    """The one row describing the collective household and its unit; every print form shows it."""

    __tablename__ = "unit_profile"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_name: Mapped[str] = mapped_column(String(100), default="", server_default="", nullable=False)
    collective_name: Mapped[str] = mapped_column(String(100), default="", server_default="", nullable=False)
    household_no: Mapped[str] = mapped_column(String(40), default="", server_default="", nullable=False)
    registered_address: Mapped[str] = mapped_column(String(200), default="", server_default="", nullable=False)
    office_address: Mapped[str] = mapped_column(String(200), default="", server_default="", nullable=False)
    police_station: Mapped[str] = mapped_column(String(100), default="", server_default="", nullable=False)
    contact_name: Mapped[str] = mapped_column(String(50), default="", server_default="", nullable=False)
    contact_phone: Mapped[str] = mapped_column(String(30), default="", server_default="", nullable=False)

    def __str__(self) -> str:
        return self.collective_name or self.unit_name or "—"


class CertificateSequence(Model):
    """Last certificate sequence issued per year; bumped under a row lock so numbers are never reused."""

    __tablename__ = "certificate_sequence"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Certificate(ChangeLogged, Model):
    """A numbered 户籍证明 issued when a certificate application completes; printable again and again."""

    __tablename__ = "certificate"
    __table_args__ = (Index("uq_certificate_year_seq", "year", "seq", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True, nullable=False)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True, nullable=False)
    purpose: Mapped[Optional[str]] = mapped_column(String(500))
    issued_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    print_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    last_printed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    application = relationship("Application", lazy="joined")
    resident = relationship("Resident", lazy="joined")

    def __str__(self) -> str:
        return self.number


class HandbookTip(ChangeLogged, Model):
    """The officers' own tips for one application type, shown in the office handbook (SOP)."""

    __tablename__ = "handbook_tip"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_type: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    tips: Mapped[str] = mapped_column(Text, default="", server_default="", nullable=False)
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
