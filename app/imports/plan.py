"""What an import would do: row errors, creations, updates with their changed fields, and the counts."""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, Iterable, Iterator

from ..domain.errors import Message
from .columns import SCAN_ROWS, Column, HeaderMap, find_header


@dataclass
class RowError:
    """One problem: the Excel row number (1-based, as Excel shows it), the file's header, the message."""

    row: int
    header: str
    message: Message


@dataclass
class Plan:
    """The outcome of validating and diffing a file; a dry run shows it, a commit applies it."""

    kind: str
    header: HeaderMap | None = None
    rows_total: int = 0
    creates: list[dict] = field(default_factory=list)  # (emptied to None once written, to free memory)
    create_rows: list[int] = field(default_factory=list)  # the Excel row number of each creation
    updates: list[tuple[int, dict, dict]] = field(default_factory=list)  # (resident id, old, new) changed fields
    full_records: dict[int, dict] = field(default_factory=dict)  # resident id → every column from the file
    actions: list[Any] = field(default_factory=list)  # HR: per-row actions applied in order
    unchanged: int = 0
    skipped: list[tuple[int, str, Message]] = field(default_factory=list)  # (row, name, why)
    errors: list[RowError] = field(default_factory=list)
    file_error: Message | None = None
    header_cells: list = field(default_factory=list)  # the file's header row as read (for the error report)
    raw: dict[int, list] = field(default_factory=dict)  # original cells of rows with errors found while reading

    @property
    def counts(self) -> dict[str, int]:
        """new / updated / unchanged / skipped / errors (rows with at least one error)."""
        return {"created": len(self.creates), "updated": self.updated_count, "unchanged": self.unchanged,
                "skipped": len(self.skipped), "errors": len({e.row for e in self.errors}) + bool(self.file_error)}

    @property
    def updated_count(self) -> int:
        """Rows that change an existing record (roster updates or HR actions that change something)."""
        return len(self.updates) if self.kind == "roster" else sum(1 for a in self.actions if a.changes_something)

    @property
    def ok(self) -> bool:
        """No file error and no row error: a commit may write."""
        return self.file_error is None and not self.errors

    @property
    def ignored(self) -> list[str]:
        """Headers of the file that no field uses."""
        return self.header.ignored if self.header else []

    def error(self, row: int, header: str, message: Message) -> None:
        """Add a row error."""
        self.errors.append(RowError(row, header, message))


def _blank(row: list) -> bool:
    """A row with no visible content (blank rows anywhere, e.g. trailing ones, are not data)."""
    return not any(c not in ("", None) and str(c).strip() for c in row)


def data_rows(plan: Plan, rows: Iterable[list], spec: tuple[Column, ...]) -> Iterator[tuple[int, list]]:
    """Find the header among the first rows, then yield (Excel row number, cells) of every non-blank data row;
    nothing when required columns are missing (plan.file_error says which)."""
    it = iter(rows)
    head = list(islice(it, SCAN_ROWS))
    hm = find_header(head, spec)
    if isinstance(hm, Message):
        plan.file_error = hm
        return
    plan.header, plan.header_cells = hm, list(head[hm.row])
    for number, row in enumerate(chain(head[hm.row + 1:], it), start=hm.row + 2):
        if _blank(row):
            continue
        plan.rows_total += 1
        yield number, row
