"""花名册: validate each row, key it on the normalised ID number and diff it against the register (no writes)."""
from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import one_of
from ..domain import codes, idnumber
from ..domain.errors import Message, N_
from ..models import Department, Resident
from . import cells
from .columns import ROSTER
from .plan import Plan, data_rows

# field → converter(cell) (department and the ID are handled apart)
CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "name": partial(cells.limited, limit=50), "former_name": partial(cells.limited, limit=50),
    "gender": partial(cells.coded, codes.GENDER), "birth_date": cells.date,
    "ethnicity": partial(cells.coded, codes.ETHNICITY), "education": partial(cells.coded, codes.EDUCATION),
    "marital_status": partial(cells.coded, codes.MARITAL), "birthplace": partial(cells.limited, limit=100),
    "native_place": partial(cells.limited, limit=100), "occupation": partial(cells.limited, limit=100),
    "moved_from": partial(cells.limited, limit=200), "former_address": partial(cells.limited, limit=200),
    "move_in_date": cells.date, "move_in_reason": partial(cells.limited, limit=100),
    "page_number": lambda v: (lambda t: t[:31] if t else t)(cells.ascii_text(v)), "phone": cells.phone,
    "hire_date": cells.date,
}
_CHUNK = 1000


def departments(session: Session) -> dict[str, int]:
    """Department name or code → id (both spellings accepted in the file)."""
    out: dict[str, int] = {}
    for dep_id, code, name in session.execute(select(Department.id, Department.code, Department.name)):
        out[code] = dep_id
        out[name] = dep_id
    return out


def _steps(hm) -> list[tuple[str, int, str, Callable | None]]:
    """(field, column index, header, converter) of the file's columns, built once per file."""
    steps = getattr(hm, "steps", None)
    if steps is None:
        steps = hm.steps = [(key, pos, hm.labels[key], CONVERTERS.get(key)) for key, pos in hm.fields.items()
                            if key != "id_number"]
    return steps


def _convert(record: dict, row: list, hm, rownum: int, plan: Plan, depts: dict[str, int]) -> None:
    """Fill `record` from the row's cells; cell problems become row errors."""
    width = len(row)
    for key, pos, label, convert in _steps(hm):
        value = row[pos] if pos < width else None
        try:
            if convert is not None:
                record[key] = convert(value)
                continue
            name = cells.text(value)
            record["department_id"] = None if name is None else depts.get(name)
            if name is not None and record["department_id"] is None:
                plan.error(rownum, label, Message(
                    "imp_dept_unknown", N_("There is no department \"%(value)s\""), {"value": name}))
        except cells.CellError as err:
            plan.error(rownum, label, err.message)


def parse_row(row: list, hm, rownum: int, plan: Plan, depts: dict[str, int], today: dt.date) -> dict | None:
    """One row → the resident's column values, or None when the ID number is unusable (errors added)."""
    pos = hm.fields["id_number"]
    check, problem = cells.id_number(row[pos] if pos < len(row) else None, today)
    if problem is not None:
        plan.error(rownum, hm.labels["id_number"], problem)
        return None
    record: dict[str, Any] = {"id_number": check.number}
    before = len(plan.errors)
    _convert(record, row, hm, rownum, plan, depts)
    if not record.get("name") and not any(e.header == hm.labels["name"] for e in plan.errors[before:]):
        plan.error(rownum, hm.labels["name"], Message("imp_required", N_("This column must not be empty")))
    for msg in idnumber.consistency(check, record.get("birth_date"), record.get("gender")):
        header = hm.labels["birth_date" if msg.code == "id_birth_mismatch" else "gender"]
        plan.error(rownum, header, msg)
    record["birth_date"], record["gender"] = check.birth_date, check.gender
    return record


def _existing(session: Session, numbers: list[str], keys: list[str]) -> dict[str, tuple]:
    """The register rows of these ID numbers: id_number → (id, status, the compared columns in `keys` order)."""
    table = Resident.__table__
    cols = [table.c.id_number, table.c.id, table.c.status] + [table.c[k] for k in keys]
    dialect = session.get_bind().dialect.name
    out: dict[str, tuple] = {}
    for start in range(0, len(numbers), _CHUNK):
        stmt = select(*cols).where(one_of(table.c.id_number, numbers[start:start + _CHUNK], dialect))
        out.update((row[0], tuple(row[1:])) for row in session.execute(stmt))
    return out


def _page_owners(session: Session, pages: list[str]) -> dict[str, str]:
    """Page number → ID number of the resident who holds it now."""
    table = Resident.__table__
    dialect = session.get_bind().dialect.name
    out: dict[str, str] = {}
    for start in range(0, len(pages), _CHUNK):
        stmt = select(table.c.page_number, table.c.id_number).where(
            one_of(table.c.page_number, pages[start:start + _CHUNK], dialect))
        out.update(dict(session.execute(stmt).all()))
    return out


def _duplicates(records: list[tuple[int, dict]], plan: Plan, hm) -> list[tuple[int, dict]]:
    """Drop (as errors) later rows repeating an ID number or a page number of an earlier row."""
    seen: dict[str, int] = {}
    pages: dict[str, int] = {}
    kept = []
    for rownum, rec in records:
        first = seen.setdefault(rec["id_number"], rownum)
        if first != rownum:
            plan.error(rownum, hm.labels["id_number"], Message(
                "imp_duplicate_id", N_("The same ID number is already in row %(row)d of this file"), {"row": first}))
            continue
        page = rec.get("page_number")
        if page and pages.setdefault(page, rownum) != rownum:
            plan.error(rownum, hm.labels["page_number"], Message(
                "imp_duplicate_page", N_("The same page number is already in row %(row)d of this file"),
                {"row": pages[page]}))
            continue
        kept.append((rownum, rec))
    return kept


def plan_roster(session: Session, rows: Iterable[list], today: dt.date) -> Plan:
    """Validate every row and diff it against the register: what a commit would create and change."""
    plan = Plan("roster")
    records = []
    depts: dict[str, int] | None = None
    for number, row in data_rows(plan, rows, ROSTER):
        if depts is None:
            depts = departments(session) if "department" in plan.header.fields else {}
        before = len(plan.errors)
        rec = parse_row(row, plan.header, number, plan, depts, today)
        if len(plan.errors) > before:
            plan.raw[number] = list(row)
        if rec is not None:
            records.append((number, rec))  # rows with errors still count for duplicates
    if plan.header is None:
        return plan
    records = _duplicates(records, plan, plan.header)
    _diff(session, records, plan, plan.header)
    return plan


def _diff(session: Session, records: list[tuple[int, dict]], plan: Plan, hm) -> None:
    """Sort valid rows into new / changed / unchanged / skipped (moved out) against the register, a chunk of
    rows at a time (only one chunk of register rows in memory; unchanged records are let go at once)."""
    keys = sorted({"department_id" if k == "department" else k for k in hm.fields} | {"gender", "birth_date"})
    for start in range(0, len(records), _CHUNK):
        chunk = records[start:start + _CHUNK]
        records[start:start + _CHUNK] = [None] * len(chunk)
        found = _existing(session, [rec["id_number"] for _, rec in chunk], keys)
        owners = _page_owners(session, [r["page_number"] for _, r in chunk if r.get("page_number")]) \
            if "page_number" in keys else {}
        for rownum, rec in chunk:
            _sort(plan, hm, keys, rownum, rec, found.get(rec["id_number"]), owners)


def _sort(plan: Plan, hm, keys: list[str], rownum: int, rec: dict, old: tuple | None, owners: dict) -> None:
    """One valid row: error (page number taken), new, skipped (moved out), unchanged or changed."""
    page = rec.get("page_number")
    if page and owners.get(page, rec["id_number"]) != rec["id_number"]:
        plan.error(rownum, hm.labels["page_number"], Message(
            "imp_page_taken", N_("The page number %(page)s already belongs to another resident"), {"page": page}))
        return
    if rownum in plan.raw:
        return
    if old is None:
        plan.creates.append(rec)
        plan.create_rows.append(rownum)
    elif old[1] == "moved_out":
        plan.skipped.append((rownum, rec.get("name") or "", Message(
            "imp_moved_out", N_("Moved out of the collective household; the register row was not changed"))))
    else:
        values = [rec[k] for k in keys]
        if values == list(old[2:]):
            plan.unchanged += 1
            return
        changed = {k: v for k, v, was in zip(keys, values, old[2:]) if v != was}
        plan.updates.append((old[0], {k: old[2 + keys.index(k)] for k in changed}, changed))
        plan.full_records[old[0]] = rec
