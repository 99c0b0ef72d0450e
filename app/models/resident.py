"""The register: one row per member of the unit's collective household (常住人口登记表)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.errors import N_
from .base import ChangeLogged, TimestampMixin, VersionMixin

RESIDENT_STATUSES = {
    "pending_in": N_("Moving in"),  # created at the counter; 在户 once the move-in is completed
    "active": N_("In household"),
    "leaving": N_("Moving out"),
    "moved_out": N_("Moved out"),
    "frozen": N_("Frozen"),
}
STATUS_CHECK = "status in ('pending_in','active','leaving','moved_out','frozen')"
GENDERS = {"M": N_("Male"), "F": N_("Female")}


class Resident(ChangeLogged, TimestampMixin, VersionMixin, Model):
    """A member of the collective household; id_number is the normalised 18-character 公民身份号码."""

    __tablename__ = "resident"
    __audit_masked__ = ("id_number", "phone")
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="ck_resident_status"),
        CheckConstraint("gender in ('M','F')", name="ck_resident_gender"),
        Index("ix_resident_dept_name", "department_id", "name", "id"),
        Index("ix_resident_name", "name", "id"),
        Index("ix_resident_status_leave", "status", "leave_date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    former_name: Mapped[Optional[str]] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(1), nullable=False)
    ethnicity: Mapped[Optional[str]] = mapped_column(String(2))
    birth_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    birthplace: Mapped[Optional[str]] = mapped_column(String(100))
    native_place: Mapped[Optional[str]] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    education: Mapped[Optional[str]] = mapped_column(String(2))
    marital_status: Mapped[Optional[str]] = mapped_column(String(2))
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("department.id"))
    occupation: Mapped[Optional[str]] = mapped_column(String(100))
    moved_from: Mapped[Optional[str]] = mapped_column(String(200))
    former_address: Mapped[Optional[str]] = mapped_column(String(200))
    move_in_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    move_in_reason: Mapped[Optional[str]] = mapped_column(String(100))
    page_number: Mapped[Optional[str]] = mapped_column(String(30), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="active", server_default="active", nullable=False)
    move_out_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    move_out_to: Mapped[Optional[str]] = mapped_column(String(200))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    hire_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    leave_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    retire_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    id_valid_to: Mapped[Optional[dt.date]] = mapped_column(Date)  # 有效期限 on the card's back (None: 长期 or unknown)
    social_security_months: Mapped[Optional[int]] = mapped_column(Integer)
    residence_permit_years: Mapped[Optional[float]] = mapped_column(Float)

    department = relationship("Department", lazy="joined")
    applications = relationship("Application", back_populates="resident", lazy="select")
    loans = relationship("PageLoan", back_populates="resident", lazy="select")

    def __str__(self) -> str:
        return self.name
