"""人事变动: hires, leavers, transfers and retirements, one event per row, planned against the register.

Transfers (调动): an open application follows the person to the new department only while no department approver
has approved it (draft … dept_review); one already approved (leader_review and later) keeps the department whose
approver signed it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.errors import Message, N_
from ..domain.workflow_table import OPEN_STATUSES
from ..models import Application, Resident
from . import cells
from .columns import CHANGES, HR
from .plan import Plan, data_rows
from .roster import departments

NOT_YET_APPROVED = frozenset({"draft", "submitted", "needs_materials", "dept_review"})
_CHUNK = 1000
_FIELDS = ("name", "status", "department_id", "hire_date", "leave_date", "retire_date")


@dataclass
class HrAction:
    """What one row does: resident column changes, a move-out application to open, applications to move."""

    row: int
    resident_id: int
    change: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    move_out_due: dt.date | None = None
    note: str | None = None
    follow: list[int] = field(default_factory=list)

    @property
    def changes_something(self) -> bool:
        """Whether applying the row writes anything."""
        return bool(self.changes or self.move_out_due or self.follow)


def _load(session: Session, numbers: list[str]) -> tuple[dict[str, dict], dict[int, list[dict]]]:
    """Residents by ID number (their state as dicts) and their open applications by resident id."""
    people: dict[str, dict] = {}
    for start in range(0, len(numbers), _CHUNK):
        stmt = select(Resident.id, Resident.id_number, *(getattr(Resident, f) for f in _FIELDS)).where(
            Resident.id_number.in_(numbers[start:start + _CHUNK]))
        people.update({r["id_number"]: dict(r) for r in session.execute(stmt).mappings()})
    ids = [p["id"] for p in people.values()]
    apps: dict[int, list[dict]] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(Application.id, Application.resident_id, Application.type, Application.status,
                      Application.department_id).where(Application.resident_id.in_(ids[start:start + _CHUNK]),
                                                       Application.status.in_(OPEN_STATUSES))
        for r in session.execute(stmt).mappings():
            apps.setdefault(r["resident_id"], []).append(dict(r))
    return people, apps


def _parse(row: list, hm, rownum: int, plan: Plan, depts: dict[str, int], today: dt.date) -> dict | None:
    """One row → {id_number, name, change, date, department_id, note}, or None after adding its errors."""
    def cell(key):
        pos = hm.fields.get(key)
        return row[pos] if pos is not None and pos < len(row) else None
    before = len(plan.errors)
    check, problem = cells.id_number(cell("id_number"), today)
    if problem:
        plan.error(rownum, hm.labels["id_number"], problem)
    out: dict[str, Any] = {"id_number": check.number if check else None}
    try:
        out["name"] = cells.limited(cell("name"), 50)
        out["change"] = CHANGES.get(cells.text(cell("change")) or "")
        if out["change"] is None:
            plan.error(rownum, hm.labels["change"], Message("imp_change_type", N_(
                "The change type must be one of 入职, 离职, 调动, 退休 (found \"%(value)s\")"),
                {"value": cells.text(cell("change")) or ""}))
    except cells.CellError as err:
        plan.error(rownum, hm.labels["change"], err.message)
    try:
        out["date"] = cells.date(cell("date"))
        if out["date"] is None:
            plan.error(rownum, hm.labels["date"], Message("imp_required", N_("This column must not be empty")))
    except cells.CellError as err:
        plan.error(rownum, hm.labels["date"], err.message)
    _department(out, cell("department"), hm, rownum, plan, depts)
    try:
        out["note"] = cells.limited(cell("note"), 200)
    except cells.CellError as err:
        plan.error(rownum, hm.labels["note"], err.message)
    return out if len(plan.errors) == before else None


def _department(out: dict, value: Any, hm, rownum: int, plan: Plan, depts: dict[str, int]) -> None:
    """The department of the row (required for a transfer) as an id."""
    try:
        name = cells.text(value)
    except cells.CellError as err:
        plan.error(rownum, hm.labels["department"], err.message)
        return
    out["department_id"] = depts.get(name) if name else None
    if name and out["department_id"] is None:
        plan.error(rownum, hm.labels["department"], Message(
            "imp_dept_unknown", N_("There is no department \"%(value)s\""), {"value": name}))
    elif not name and out.get("change") == "transfer":
        plan.error(rownum, hm.labels.get("department", "部门"), Message(
            "imp_dept_required", N_("A transfer needs the new department")))


def _set(action: HrAction, person: dict, key: str, value: Any) -> None:
    """Change one field of the simulated person, noting the change when it differs."""
    if person[key] != value:
        action.changes[key] = (person[key], value)
        person[key] = value


def _event(rec: dict, person: dict, apps: list[dict], rownum: int, move_out_days: int) -> HrAction:
    """Apply one event to the simulated state of a person and return what it changes."""
    action = HrAction(rownum, person["id"], rec["change"], note=rec.get("note"))
    if rec["change"] == "leave":
        if person["status"] == "active":
            _set(action, person, "status", "leaving")
        _set(action, person, "leave_date", rec["date"])
        if not any(a["type"] == "move_out" for a in apps):
            action.move_out_due = rec["date"] + dt.timedelta(days=move_out_days)
            apps.append({"id": None, "type": "move_out", "status": "submitted",
                         "department_id": person["department_id"]})
    elif rec["change"] == "transfer":
        _set(action, person, "department_id", rec["department_id"])
        for a in apps:
            if a["status"] in NOT_YET_APPROVED and a["department_id"] != rec["department_id"] and a["id"]:
                action.follow.append(a["id"])
                a["department_id"] = rec["department_id"]
    elif rec["change"] == "retire":
        _set(action, person, "retire_date", rec["date"])
    else:
        if rec["department_id"]:
            _set(action, person, "department_id", rec["department_id"])
        _set(action, person, "hire_date", rec["date"])
    return action


def plan_hr(session: Session, rows: Iterable[list], today: dt.date, move_out_days: int) -> Plan:
    """Validate every event and simulate it against the register, in file order (nothing is written)."""
    plan = Plan("hr")
    records = []
    depts: dict[str, int] | None = None
    for number, row in data_rows(plan, rows, HR):
        depts = departments(session) if depts is None else depts
        before = len(plan.errors)
        rec = _parse(row, plan.header, number, plan, depts, today)
        if len(plan.errors) > before:
            plan.raw[number] = list(row)
        if rec is not None:
            records.append((number, rec))
    if plan.header is None:
        return plan
    hm = plan.header
    people, apps = _load(session, sorted({r["id_number"] for _, r in records}))
    for rownum, rec in records:
        _plan_row(plan, hm, rownum, rec, people, apps, move_out_days)
    return plan


def _plan_row(plan: Plan, hm, rownum: int, rec: dict, people: dict, apps: dict, move_out_days: int) -> None:
    """Sort one valid event into error / skipped / unchanged / an action."""
    person = people.get(rec["id_number"])
    if person is None:
        plan.skipped.append((rownum, rec["name"] or "", Message(
            "imp_not_member", N_("Not in the collective household; nothing was changed (invite the person to move "
                                 "in if needed)"))))
        return
    if rec["name"] and rec["name"] != person["name"]:
        plan.error(rownum, hm.labels["name"], Message("imp_name_mismatch", N_(
            "The name \"%(name)s\" differs from the register (%(registered)s) for this ID number"),
            {"name": rec["name"], "registered": person["name"]}))
        return
    if person["status"] == "moved_out":
        plan.skipped.append((rownum, rec["name"] or "", Message(
            "imp_moved_out", N_("Moved out of the collective household; the register row was not changed"))))
        return
    action = _event(rec, person, apps.setdefault(person["id"], []), rownum, move_out_days)
    if action.changes_something:
        plan.actions.append(action)
    else:
        plan.unchanged += 1
