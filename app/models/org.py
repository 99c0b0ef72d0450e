"""Departments and the links from FAB users to departments (approver scope) and residents (self)."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import ChangeLogged, TimestampMixin


class Department(ChangeLogged, TimestampMixin, Model):
    """服务处所: a department of the unit."""

    __tablename__ = "department"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1", nullable=False)

    def __str__(self) -> str:
        return self.name


class UserDepartment(ChangeLogged, Model):
    """A department whose applications a user (DeptApprover) may see and approve."""

    __tablename__ = "user_department"
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    user = relationship("User")
    department = relationship("Department")


class UserResident(ChangeLogged, Model):
    """The resident record that is the user's own (Employee self-service)."""

    __tablename__ = "user_resident"
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    user = relationship("User")
    resident = relationship("Resident")
