"""Archive records, page loans and fees: what an application leaves behind."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.errors import N_
from .base import ChangeLogged, utcnow

FEE_KINDS = {"affiliation": N_("Affiliation fee"), "deposit": N_("Deposit"), "other": N_("Other fee")}
FEE_STATUSES = {"unpaid": N_("Unpaid"), "paid": N_("Paid"), "refunded": N_("Refunded"), "waived": N_("Waived")}
PAY_METHODS = {"cash": N_("Cash"), "transfer": N_("Bank transfer"), "other": N_("Other method")}
LOAN_PAGES = {"personal": N_("Own page"), "first": N_("Household first page"),
              "both": N_("First page and own page")}
DELIVERIES = {"pickup": N_("Collected in person"), "post": N_("Sent by post")}


class ArchiveRecord(ChangeLogged, Model):
    """The paper file of a finished application: a never-reused number and its cabinet location."""

    __tablename__ = "archive_record"
    __table_args__ = (Index("uq_archive_year_seq", "year", "seq", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    archive_no: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True, nullable=False)
    location: Mapped[str] = mapped_column(String(100), nullable=False)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    application = relationship("Application", lazy="joined")

    def __str__(self) -> str:
        return self.archive_no


class ArchiveSequence(Model):
    """Last archive sequence issued per year; incremented under a row lock so numbers are never reused."""

    __tablename__ = "archive_sequence"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class PageLoan(ChangeLogged, Model):
    """The household page lent to a member and (later) returned."""

    __tablename__ = "page_loan"
    __table_args__ = (
        Index("ix_loan_open", "returned_on", "due_on"),
        # one page per member: at most one open loan per resident, whatever races the checks miss
        Index("uq_loan_one_open", "resident_id", unique=True, sqlite_where=text("returned_on IS NULL"),
              postgresql_where=text("returned_on IS NULL")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True, nullable=False)
    application_id: Mapped[Optional[int]] = mapped_column(ForeignKey("application.id"))
    purpose: Mapped[Optional[str]] = mapped_column(String(200))
    lent_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    returned_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    deposit: Mapped[Optional[Decimal]] = mapped_column(Numeric(10, 2))
    note: Mapped[Optional[str]] = mapped_column(String(200))
    pages: Mapped[Optional[str]] = mapped_column(String(10))  # LOAN_PAGES
    delivery: Mapped[Optional[str]] = mapped_column(String(10))  # DELIVERIES; "post" needs mail_address
    mail_address: Mapped[Optional[str]] = mapped_column(String(200))
    deposit_refunded_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    resident = relationship("Resident", back_populates="loans", lazy="joined")
    application = relationship("Application")


class Fee(ChangeLogged, Model):
    """A fee or deposit owed by a member (挂靠费, 押金), tracked by Finance."""

    __tablename__ = "fee"
    __table_args__ = (
        CheckConstraint("status in ('unpaid','paid','refunded','waived')", name="ck_fee_status"),
        CheckConstraint("amount >= 0", name="ck_fee_amount"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True, nullable=False)
    application_id: Mapped[Optional[int]] = mapped_column(ForeignKey("application.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="unpaid", server_default="unpaid", nullable=False)
    due_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    paid_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    paid_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(10, 2))
    pay_method: Mapped[Optional[str]] = mapped_column(String(10))  # PAY_METHODS
    receipt_no: Mapped[Optional[str]] = mapped_column(String(50))
    resident = relationship("Resident", lazy="joined")
    application = relationship("Application")
