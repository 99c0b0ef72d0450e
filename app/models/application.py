"""Applications, their transition history, material checklists and uploaded materials."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import ChangeLogged, TimestampMixin, VersionMixin, utcnow


class Application(ChangeLogged, TimestampMixin, VersionMixin, Model):
    """One request (move in/out, page loan, certificate …) driven through the workflow table."""

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_dept_status", "department_id", "status", "id"),
        Index("ix_application_status_type", "status", "type"),
        Index("ix_application_resident", "resident_id", "id"),
        # the to-do list's oldest-first pick per status (migration 0007, app/desk/todo_queries.py)
        Index("ix_application_status_changed", "status", "changed_on", "id"),
        # List orders (migration 0010): newest first, by submission, and per department for the approver's merge.
        Index("ix_application_dept_id", "department_id", "id"),
        Index("ix_application_submitted", "submitted_at", "id"),
        Index("ix_application_dept_submitted", "department_id", "submitted_at", "id"),
        # the statistics dashboard's 12-month trend of moves (migration 0009, app/reports/dashboard.py)
        Index("ix_application_type_completed", "type", "completed_at"),
        # the list's exact search by the police system's 受理号 (migration 0011)
        Index("ix_application_police_ref", "police_ref"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft", nullable=False)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), nullable=False)
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("department.id"))
    pathway: Mapped[Optional[str]] = mapped_column(String(50))
    city: Mapped[Optional[str]] = mapped_column(String(50))
    reason: Mapped[Optional[str]] = mapped_column(String(500))
    destination: Mapped[Optional[str]] = mapped_column(String(200))
    planned_date: Mapped[Optional[dt.date]] = mapped_column()
    due_on: Mapped[Optional[dt.date]] = mapped_column()  # e.g. a leaver's move-out deadline
    police_ref: Mapped[Optional[str]] = mapped_column(String(50))
    police_returned: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0", nullable=False)
    eligibility_json: Mapped[Optional[str]] = mapped_column(Text)
    override_reason: Mapped[Optional[str]] = mapped_column(String(500))
    change_json: Mapped[Optional[str]] = mapped_column(Text)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    completed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))

    resident = relationship("Resident", back_populates="applications", lazy="joined")
    department = relationship("Department", lazy="joined")
    created_by = relationship("User")
    history = relationship("ApplicationHistory", order_by="ApplicationHistory.id", lazy="select")
    materials = relationship("Material", back_populates="application", lazy="select")

    def __str__(self) -> str:
        return f"#{self.id}"


class ApplicationHistory(Model):
    """One applied transition: who moved the application from which status to which, and why."""

    __tablename__ = "application_history"
    # The reports find a period's transitions and completions by time and each row's predecessor, reading the
    # indexes only (app/reports/figures.py): covering indexes, history rows are written once per transition.
    __table_args__ = (Index("ix_history_at", "at", "from_status", "action", "application_id"),
                      Index("ix_history_to_status_at", "to_status", "at"),
                      Index("ix_history_app_seq", "application_id", "id", "at", "action", "to_status"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True, nullable=False
    )
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    from_status: Mapped[str] = mapped_column(String(20), nullable=False)
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    username: Mapped[Optional[str]] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    comment: Mapped[Optional[str]] = mapped_column(String(1000))


class MaterialType(ChangeLogged, Model):
    """A kind of document (身份证, 劳动合同 …) that checklists require."""

    __tablename__ = "material_type"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)

    def __str__(self) -> str:
        return self.name


class ChecklistItem(ChangeLogged, Model):
    """A material an application type needs (required) or may carry (optional)."""

    __tablename__ = "checklist_item"
    __table_args__ = (UniqueConstraint("app_type", "material_type_id", name="uq_checklist_type_material"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_type: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    material_type_id: Mapped[int] = mapped_column(ForeignKey("material_type.id"), nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1", nullable=False)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    material_type = relationship("MaterialType", lazy="joined")


class Material(ChangeLogged, Model):
    """An uploaded scan: stored under a random name outside static/, original file name kept."""

    __tablename__ = "material"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True, nullable=False
    )
    material_type_id: Mapped[int] = mapped_column(ForeignKey("material_type.id"), nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0", nullable=False)
    stamped: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0", nullable=False)
    verify_note: Mapped[Optional[str]] = mapped_column(String(500))
    returned_reason: Mapped[Optional[str]] = mapped_column(String(500))
    valid_to: Mapped[Optional[dt.date]] = mapped_column(Date)  # a certificate's 有效期至 (migration 0012)
    verified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    verified_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    application = relationship("Application", back_populates="materials", lazy="joined")
    material_type = relationship("MaterialType", lazy="joined")
    verified_by = relationship("User", foreign_keys=[verified_by_id])

    def __str__(self) -> str:
        return self.original_name
