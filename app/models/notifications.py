"""The notification centre: in-app messages per user, their deliveries to external channels, and every attempt."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import utcnow


class Notification(Model):
    """One message to one user (a reminder or a 催办), shown in 「消息」; sent at most once per kind, object and day."""

    __tablename__ = "notification"
    __table_args__ = (
        # the database, not only a check, guarantees "the same reminder is not sent twice on one day"
        # day and recipient first: send() looks up the day's notifications of a batch's recipients
        UniqueConstraint("day", "recipient_id", "kind", "object_type", "object_id", name="uq_notification_once"),
        Index("ix_notification_recipient", "recipient_id", "created_at"),  # 「消息」, newest first
        Index("ix_notification_unread", "recipient_id", "read_at"),  # the menu badge
        Index("ix_notification_created", "created_at"),  # 「催办记录」, the monthly count of reminders
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    link: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    object_type: Mapped[str] = mapped_column(String(30), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    sender: Mapped[Optional[str]] = mapped_column(String(100))  # the actor who sent it (a system actor for jobs)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    read_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    recipient = relationship("User", lazy="joined")
    deliveries = relationship("Delivery", back_populates="notification", passive_deletes=True)


class Delivery(Model):
    """A notification's delivery through one external channel (email / dingtalk / wecom) and its state."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_delivery_channel"),
        Index("ix_delivery_status", "status", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    address: Mapped[Optional[str]] = mapped_column(String(200))  # the e-mail address; robots post to their group
    status: Mapped[str] = mapped_column(String(10), default="pending", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    last_attempt_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    notification = relationship("Notification", back_populates="deliveries", lazy="joined")


class DeliveryAttempt(Model):
    """One try to push a delivery: when, whether it worked, and the channel's error."""

    __tablename__ = "notification_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_delivery.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    ok: Mapped[bool] = mapped_column(Boolean, nullable=False)
    error: Mapped[Optional[str]] = mapped_column(String(500))
