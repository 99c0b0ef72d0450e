"""`hukou check [--fix]`: orphan files, material rows whose file is missing or altered, the audit chain.

An orphan is a file in UPLOAD_FOLDER that no Material row names: a scan left behind when the process died
between storing the file and committing its row (kill -9 during an upload), or a stray `.part` file.
`--fix` moves orphans to <UPLOAD_FOLDER>/../quarantine/<date>/ and never deletes anything. Files younger
than --min-age minutes are left alone: they may belong to an upload whose row is being committed right now.
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import select

from . import checks, common
from .checks import FAILED, OK, Step

DEFAULT_MIN_AGE_MINUTES = 60


@dataclass
class CheckResult:
    """What the check found and, with --fix, what it moved; `ok` when no problem remains."""

    folder: Path
    files_on_disk: int
    orphans: list[str] = field(default_factory=list)
    recent: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    quarantine: Path | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def remaining_orphans(self) -> list[str]:
        """Orphans that --fix did not (or was not asked to) move."""
        return [name for name in self.orphans if name not in self.moved]

    @property
    def ok(self) -> bool:
        """No orphan left, no file missing or altered, the chain not broken."""
        return not self.remaining_orphans and all(step.status != FAILED for step in self.steps)


def _files_on_disk(folder: Path) -> dict[str, float]:
    """{name: mtime} of everything in the upload folder that is not a folder."""
    if not folder.is_dir():
        return {}
    with os.scandir(folder) as entries:
        return {e.name: e.stat(follow_symlinks=False).st_mtime for e in entries if not e.is_dir(follow_symlinks=False)}


def _material_rows() -> list[tuple[int, str, int, str]]:
    """(id, storage name, size, sha256) of every Material row."""
    from ..extensions import db
    from ..models import Material

    stmt = select(Material.id, Material.storage_name, Material.size, Material.sha256).order_by(Material.id)
    return [tuple(row) for row in db.session.execute(stmt)]


def quarantine_folder(folder: Path) -> Path:
    """<UPLOAD_FOLDER>/../quarantine/<today in the office's time zone>/."""
    from ..clock import today

    return folder.resolve().parent / "quarantine" / today().isoformat()


def _free_name(target: Path, name: str) -> Path:
    """A path in `target` for `name` that does not overwrite an earlier quarantined file."""
    path, n = target / name, 1
    while path.exists() or path.is_symlink():
        path, n = target / f"{name}.{n}", n + 1
    return path


def move_orphans(folder: Path, names: list[str]) -> tuple[Path, list[str]]:
    """Move orphans into the quarantine folder (rename, or copy-then-remove across file systems)."""
    target = quarantine_folder(folder)
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    for name in names:
        source = folder / name
        if not (source.exists() or source.is_symlink()):  # gone meanwhile: nothing to move
            continue
        shutil.move(source, _free_name(target, name))
        moved.append(name)
    common.fsync_dir(target)
    common.fsync_dir(folder)
    return target, moved


def _audit(result: CheckResult) -> None:
    """Record the quarantine move in the audit trail."""
    common.audit_event("quarantine", "系统（文件检查）", detail={"files": result.moved, "to": str(result.quarantine)})


def run_check(fix: bool = False, min_age_minutes: int = DEFAULT_MIN_AGE_MINUTES) -> CheckResult:
    """Find orphans (files first, rows second, so a row committed in between is seen), then files and chain."""
    from ..extensions import db

    folder = common.upload_folder()
    on_disk = _files_on_disk(folder)
    rows = _material_rows()
    named = {row[1] for row in rows}
    cutoff = time.time() - min_age_minutes * 60
    result = CheckResult(folder, len(on_disk))
    for name, mtime in sorted(on_disk.items()):
        if name not in named:
            (result.orphans if mtime <= cutoff else result.recent).append(name)
    result.steps = [checks.files_step(checks.material_files(rows, folder)), checks.chain_step(db.session)]
    db.session.rollback()
    if fix and result.orphans:
        result.quarantine, result.moved = move_orphans(folder, result.orphans)
        _audit(result)
    return result


def orphans_step(result: CheckResult) -> Step:
    """The orphan-file finding as a step (after --fix: what is left)."""
    name = gettext("Orphan files (no material row)")
    left = result.remaining_orphans
    if left:
        return Step(name, FAILED, gettext("%(count)s found: %(names)s; run with --fix to move them to quarantine",
                                          count=len(left), names=checks.few(left)))
    if result.moved:
        return Step(name, OK, gettext("%(count)s moved to %(path)s", count=len(result.moved), path=result.quarantine))
    return Step(name, OK, gettext("none among %(count)s files", count=result.files_on_disk))
