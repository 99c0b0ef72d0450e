"""Checks shared by `hukou restore` and `hukou check`: material files against their rows, the audit chain."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext

from . import common

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@dataclass
class Step:
    """One verification step: its name, ok / failed / skipped, and what was found (all translated)."""

    name: str
    status: str
    detail: str


@dataclass
class FileFindings:
    """Material rows whose file is missing, or whose content differs from the stored size and sha256."""

    checked: int
    missing: list[str]
    altered: list[str]


def material_files(rows, folder: Path) -> FileFindings:
    """Compare every (id, storage name, size, sha256) row with the file in `folder`."""
    missing, altered = [], []
    for material_id, name, size, sha256 in rows:
        label = f"#{material_id} {name}"
        path = folder / name if common.is_stored_name(name) else None
        if path is None or not path.is_file():
            missing.append(label)
            continue
        digest, found = common.sha256_file(path)
        if found != size or digest != sha256:
            altered.append(label)
    return FileFindings(len(rows), missing, altered)


def files_step(findings: FileFindings) -> Step:
    """The material-file check as a step."""
    name = gettext("Material files (present, sha256)")
    if not findings.missing and not findings.altered:
        return Step(name, OK, gettext("%(count)s files present with the stored sha256", count=findings.checked))
    parts = []
    if findings.missing:
        parts.append(gettext("missing: %(names)s", names=few(findings.missing)))
    if findings.altered:
        parts.append(gettext("content altered: %(names)s", names=few(findings.altered)))
    return Step(name, FAILED, "; ".join(parts))


def few(items: list[str], limit: int = 10) -> str:
    """The first few items, and how many more."""
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        return gettext("%(items)s and %(count)s more", items=shown, count=len(items) - limit)
    return shown


def chain_step(session) -> Step:
    """The audit chain through app.audit.chain.verify; skipped (with a note) while that module does not exist."""
    name = gettext("Audit chain")
    try:
        from ..audit.chain import verify
    except ImportError:
        return Step(name, SKIPPED, gettext("not checked: this version has no audit-chain verification yet"))
    report = verify(session)
    if report.ok:
        return Step(name, OK, gettext("intact, %(rows)s rows", rows=report.rows))
    return Step(name, FAILED, gettext("broken at row %(id)s: %(message)s", id=report.first_broken_id,
                                      message=report.message))

