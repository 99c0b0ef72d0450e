"""Background jobs (imports, exports) with progress, and the record of every Excel import."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import utcnow

JOB_STATUSES = {"queued": "Queued", "running": "Running", "done": "Done", "failed": "Failed"}


class Job(Model):
    """One background job: who started it, what it does, how far it got, and where its result file is."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_user_created", "created_by_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued", nullable=False)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    total: Mapped[Optional[int]] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    params: Mapped[Optional[str]] = mapped_column(Text)
    message: Mapped[Optional[str]] = mapped_column(Text)
    result_path: Mapped[Optional[str]] = mapped_column(String(500))
    result_name: Mapped[Optional[str]] = mapped_column(String(200))
    heartbeat_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)  # last sign of life of its worker
    worker: Mapped[Optional[str]] = mapped_column(String(100))  # host:pid running it


class ImportBatch(Model):
    """One Excel/CSV import (dry run or committed): who, when, which file, the counts and the error report."""

    __tablename__ = "import_batch"
    __table_args__ = (Index("ix_import_batch_created", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    created_by_name: Mapped[Optional[str]] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    rows_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    created: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    job_id: Mapped[Optional[int]] = mapped_column(ForeignKey("job.id"))
    report_path: Mapped[Optional[str]] = mapped_column(String(500))
    summary: Mapped[Optional[str]] = mapped_column(Text)
