"""`flask --app run hukou demo`: realistic demo data — departments, residents, applications in every state, users.

Residents and applications are built in memory first (so every record agrees with its applications), then
written with Core bulk inserts in one transaction; prints nothing and returns counts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from . import audit
from . import demo_data as dd
from .db import write_transaction
from .domain.files import storage_name
from .domain.workflow_table import TYPES
from .extensions import db
from .models import (Application, ApplicationHistory, ArchiveRecord, ArchiveSequence, Department, Fee, Material,
                     MaterialType, PageLoan, Resident, User, UserDepartment, UserResident)
from .models.base import utcnow
from .seed import CHECKLISTS

ROLE_USERS = (("officer", "HukouOfficer", "户籍管理员", "刘芳"), ("leader", "Leader", "分管领导", "陈建国"),
              ("hr", "HR", "人事专员", "赵敏"), ("finance", "Finance", "财务", "孙丽华"),
              ("auditor", "Auditor", "审计", "周平"))
APPROVER_NAMES = ("王磊", "李静", "张伟", "杨帆", "黄海涛", "吴婷", "徐明", "孙浩", "马丽", "朱峰", "胡军", "郭晓燕")
# employee → (department code, the applications of their own: (type, status) reached by the shortest path).
EMPLOYEES = {
    "employee1": ("D01", (("borrow_page", "completed"), ("certificate", "submitted"), ("info_change", "draft"))),
    "employee2": ("D02", (("id_card", "dept_review"), ("certificate", "archived"),
                          ("page_reissue", "needs_materials"))),
}
TYPE_WEIGHTS = {"borrow_page": 30, "certificate": 20, "move_in": 15, "move_out": 15, "info_change": 8, "id_card": 7,
                "page_reissue": 5}
MOVES = frozenset({"move_in", "move_out"})
MAX_EXTRA_APPLICATIONS = 5000


@dataclass
class Ctx:
    """What the builders share: randomness, clock, ids of departments, users and material types."""

    rng: random.Random
    now: dt.datetime
    today: dt.date
    depts: dict[str, int]
    users: dict[str, tuple[int, str]]
    approvers: dict[int, tuple[int, str]]
    material_types: dict[str, tuple[int, str]]
    loan_days: int
    deposit: Decimal


def load_demo(password: str, residents: int = 2000, seed: int = 2026) -> dict:
    """Load the demo data (idempotent for departments and users); return what was added."""
    session = db.session
    depts = ensure_departments()
    users = ensure_users(password, depts)
    existing = session.scalar(select(func.count()).select_from(Resident)) or 0
    cfg = current_app.config
    ctx = Ctx(rng=random.Random(f"{seed}:{existing}"), now=utcnow(), today=dt.date.today(), depts=depts,
              users=users, approvers={depts[f"D{i:02d}"]: users[f"approver{i}"] for i in range(1, 13)},
              material_types={m.code: (m.id, m.name) for m in session.scalars(select(MaterialType))},
              loan_days=int(cfg.get("HUKOU_LOAN_DAYS", 15)), deposit=Decimal(str(cfg.get("HUKOU_LOAN_DEPOSIT") or 0)))
    with write_transaction(session):
        counts, files = _load_rows(ctx, max(residents, 0))
    write_placeholders(cfg["UPLOAD_FOLDER"], files)
    return {"departments": len(depts), **counts, "users": len(users),
            "usernames": ", ".join(sorted(users, key=_user_order))}


def _user_order(name: str) -> tuple[int, str]:
    """admin, role users, approvers (numerically), employees."""
    digits = "".join(ch for ch in name if ch.isdigit())
    return (0 if name == "admin" else 2 if name.startswith("approver") else 3 if name.startswith("employee") else 1,
            f"{name.rstrip('0123456789')}{int(digits or 0):03d}")


def ensure_departments() -> dict[str, int]:
    """The 12 demo departments by code (found by code, else by name, else created); code → id."""
    session = db.session
    out: dict[str, int] = {}
    for code, name, _weight in dd.DEPARTMENTS:
        dept = session.scalar(select(Department).where(Department.code == code)) or \
            session.scalar(select(Department).where(Department.name == name))
        if dept is None:
            dept = Department(code=code, name=name, active=True)
            session.add(dept)
            session.flush()
        out[code] = dept.id
    session.commit()
    return out


def _ensure_user(username: str, role: str, first: str, last: str, hashed: str) -> tuple[int, str]:
    """Create the user with one role, or give an existing one that role back; set the (hashed) password."""
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username, first, last, f"{username}@demo.hukou.local", sm.find_role(role),
                           hashed_password=hashed)
        if not user:
            raise RuntimeError(f"could not create the demo user {username}")
        return user.id, username
    if username != "admin" and [r.name for r in user.roles] != [role]:
        user.roles = [sm.find_role(role)]
    user.password = hashed
    sm.update_user(user)
    return user.id, username


def ensure_users(password: str, depts: dict[str, int]) -> dict[str, tuple[int, str]]:
    """admin, one user per role, an approver per department, two employees; all with `password`."""
    cfg = current_app.config
    # One hash for all: the demo users share the password anyway, and scrypt costs ~0.2 s per call.
    hashed = generate_password_hash(password, method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                    salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
    users = {"admin": _ensure_user("admin", "Admin", "系统", "管理员", hashed)}
    for username, role, first, last in ROLE_USERS:
        users[username] = _ensure_user(username, role, first, last, hashed)
    for i, name in enumerate(APPROVER_NAMES, start=1):
        users[f"approver{i}"] = _ensure_user(f"approver{i}", "DeptApprover", "部门审批人", name, hashed)
    for username in EMPLOYEES:
        users[username] = _ensure_user(username, "Employee", "员工", username, hashed)
    session = db.session
    for i in range(1, len(APPROVER_NAMES) + 1):
        uid, dept_id = users[f"approver{i}"][0], depts[f"D{i:02d}"]
        if session.get(UserDepartment, (uid, dept_id)) is None:
            session.add(UserDepartment(user_id=uid, department_id=dept_id))
    session.commit()
    return users


def _plans(ctx: Ctx, residents: int) -> list[dd.Plan]:
    """Coverage first (every reachable state of every type, police-returned variants too), then random ones."""
    plans = [dd.Plan(t, path) for t in TYPES for path in dd.shortest_paths(t).values()]
    extra = min(residents // 8, MAX_EXTRA_APPLICATIONS)
    types, weights = list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values())
    for app_type in ctx.rng.choices(types, weights=weights, k=extra):
        plans.append(dd.Plan(app_type, dd.random_path(ctx.rng, app_type)))
    for plan in plans:  # at least one page out past its due date
        if plan.type == "borrow_page" and dd.final_state(plan.path)[0] == "completed":
            plan.overdue = True
            break
    return plans


def _employee_plans(ctx: Ctx, people: list[dict], taken: set[int]) -> tuple[list[dd.Plan], list[tuple[int, int]]]:
    """Link employee1/2 (first run only) to a resident of their department and plan their own applications."""
    plans: list[dd.Plan] = []
    links: list[tuple[int, int]] = []
    for username, (dept_code, wanted) in EMPLOYEES.items():
        uid = ctx.users[username][0]
        if db.session.get(UserResident, uid) is not None:
            continue
        index = next((i for i, p in enumerate(people)
                      if p["department_id"] == ctx.depts[dept_code] and i not in taken), None)
        if index is None:
            continue
        taken.add(index)
        links.append((uid, index))
        dd.set_hired(ctx.rng, people[index], ctx.today - dt.timedelta(days=400))
        for app_type, status in wanted:
            path = dd.shortest_paths(app_type)[(status, False)]
            plans.append(dd.Plan(app_type, path, creator=ctx.users[username], person=index))
    return plans, links


def _assign(ctx: Ctx, plans: list[dd.Plan], people: list[dict], taken: set[int]) -> list[dd.Plan]:
    """Give each plan its own resident; moves need one exclusively, other types may share when people run out."""
    free = [i for i in range(len(people)) if i not in taken]
    ctx.rng.shuffle(free)
    shareable = list(free)
    moving: set[int] = set()
    kept = []
    for plan in plans:
        if plan.person < 0 and free:
            plan.person = free.pop()
        elif plan.person < 0:
            candidates = [i for i in shareable if i not in moving]
            if plan.type in MOVES or not candidates:
                continue
            plan.person = ctx.rng.choice(candidates)
        if plan.type in MOVES:
            moving.add(plan.person)
        kept.append(plan)
    return kept


def _load_rows(ctx: Ctx, residents: int) -> tuple[dict, list[tuple[str, str]]]:
    """Build and insert everything in the current transaction; return counts and the files to write."""
    session = db.session
    used = set(session.scalars(select(Resident.id_number)))
    dept_list = [(ctx.depts[code], code) for code, _n, _w in dd.DEPARTMENTS]
    dept_weights = [w for _c, _n, w in dd.DEPARTMENTS]
    regions = dd.regions_by_year(1900, ctx.today.year)
    people = [dd.resident(ctx.rng, ctx.today, d, used, regions)
              for d in ctx.rng.choices(dept_list, weights=dept_weights, k=residents)]
    taken: set[int] = set()
    own, links = _employee_plans(ctx, people, taken) if people else ([], [])
    plans = own + _assign(ctx, _plans(ctx, residents), people, taken) if people else []
    for plan in plans:
        dd.timeline(ctx.rng, ctx.now, plan, ctx.loan_days)
        dd.shape_resident(ctx.rng, plan, people[plan.person])
    dd.fates(ctx.rng, ctx.today, people, {p.person for p in plans})
    dd.page_numbers(people, set(session.scalars(select(Resident.page_number).where(Resident.page_number.isnot(None)))))
    for person in people:  # explicit values: per-row Python defaults are a large share of a Core insert
        person.update(created_on=ctx.now, changed_on=ctx.now, version=1)
    resident_ids = _insert_with_ids(Resident, people)
    app_rows = [application_row(ctx, plan, people[plan.person], resident_ids[plan.person]) for plan in plans]
    app_ids = _insert_with_ids(Application, app_rows)
    for uid, index in links:
        session.add(UserResident(user_id=uid, resident_id=resident_ids[index]))
        session.get(User, uid).last_name = people[index]["name"]
    history = [row for plan, app_id in zip(plans, app_ids)
               for row in history_rows(ctx, plan, app_id, people[plan.person]["department_id"])]
    _bulk(ApplicationHistory, history)
    counts, files = records(ctx, plans, app_ids, people, resident_ids)
    counts = {"residents": len(people), "applications": len(app_rows), "history": len(history), **counts}
    audit.record(session, "demo_load", object_type="Demo", detail=counts)
    return counts, files


def _insert_with_ids(model, rows: list[dict]) -> list[int]:
    """Bulk insert with Core under primary keys reserved up front; return them in row order.

    Reserving the keys keeps the insert a plain executemany (RETURNING per row is several times slower).
    """
    if not rows:
        return []
    session = db.session
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        seq = func.pg_get_serial_sequence(table.name, "id")
        ids = list(session.scalars(select(func.nextval(seq)).select_from(func.generate_series(1, len(rows)))))
    else:  # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so max(id) cannot move
        start = (session.scalar(select(func.max(table.c.id))) or 0) + 1
        ids = list(range(start, start + len(rows)))
    for row, pk in zip(rows, ids):
        row["id"] = pk
    session.execute(insert(table), rows)
    return ids


def _bulk(model, rows: list[dict]) -> None:
    """Bulk insert with Core (no per-row ORM work, no change-log rows)."""
    if rows:
        db.session.execute(insert(model.__table__), rows)


# ---- rows derived from the plans ----

def _actor(ctx: Ctx, plan: dd.Plan, action: str, dept_id: int) -> tuple[int, str]:
    """Who applied an action: the applicant (or the officer for paper applications), the department's approver,
    the leader, or the officer."""
    if action in ("submit", "withdraw"):
        return plan.creator or ctx.users["officer"]
    if action.startswith("dept_"):
        return ctx.approvers[dept_id]
    if action.startswith("leader_"):
        return ctx.users["leader"]
    return ctx.users["officer"]


def history_rows(ctx: Ctx, plan: dd.Plan, app_id: int, dept_id: int) -> list[dict]:
    """The ApplicationHistory chain from draft to the current status."""
    rows, status = [], "draft"
    for row, at in zip(plan.path, plan.times):
        uid, username = _actor(ctx, plan, row.action, dept_id)
        comment = ctx.rng.choice(dd.COMMENTS.get(row.action, (None,)))
        rows.append({"application_id": app_id, "action": row.action, "from_status": status, "to_status": row.target,
                     "user_id": uid, "username": username, "at": at, "comment": comment})
        status = row.target
    return rows


def application_row(ctx: Ctx, plan: dd.Plan, person: dict, resident_id: int) -> dict:
    """The application table row of a plan."""
    status, returned = dd.final_state(plan.path)
    entered = plan.did("enter")
    planned = None
    if plan.type == "move_out":
        planned = person["leave_date"] + dt.timedelta(days=30)
    elif plan.type == "move_in":
        planned = plan.created.date() + dt.timedelta(days=14)
    return {
        "type": plan.type, "status": status, "resident_id": resident_id, "department_id": person["department_id"],
        "pathway": ctx.rng.choice(dd.PATHWAYS) if plan.type == "move_in" else None,
        "city": (current_app.config.get("HUKOU_CITY") or None) if plan.type == "move_in" else None,
        "reason": plan.reason, "destination": plan.destination, "planned_date": planned,
        "police_ref": f"{entered:%Y%m%d}{ctx.rng.randrange(10 ** 4):04d}" if entered else None,
        "police_returned": returned, "eligibility_json": None, "override_reason": None,
        "change_json": json.dumps(plan.change, ensure_ascii=False) if plan.change else None,
        "submitted_at": plan.did("submit"), "completed_at": plan.time_of("completed"),
        "created_by_id": plan.creator[0] if plan.creator else None, "created_on": plan.created,
        "changed_on": plan.times[-1] if plan.times else plan.created, "version": 1 + len(plan.path),
    }


def records(ctx: Ctx, plans: list[dd.Plan], app_ids: list[int], people: list[dict],
            resident_ids: list[int]) -> tuple[dict, list[tuple[str, str]]]:
    """Materials, archive records, page loans and fees of the plans; counts and (storage name, type) files."""
    materials, files = [], []
    for plan, app_id in zip(plans, app_ids):
        rows = _materials(ctx, plan, app_id, people[plan.person]["name"])
        materials += rows
        files += [(row["storage_name"], row.pop("_code")) for row in rows]
    _bulk(Material, materials)
    archives = _archive_records(ctx, plans, app_ids)
    loans, fees = loan_rows(ctx, plans, app_ids, resident_ids)
    fees += _fees(ctx, plans, app_ids, people, resident_ids)
    _bulk(PageLoan, loans)
    _bulk(Fee, fees)
    return {"materials": len(materials), "archive_records": len(archives), "page_loans": len(loans),
            "overdue_loans": sum(1 for loan in loans if loan["returned_on"] is None and loan["due_on"] < ctx.today),
            "fees": len(fees), "unpaid_fees": sum(1 for fee in fees if fee["status"] == "unpaid")}, files


def _materials(ctx: Ctx, plan: dd.Plan, app_id: int, name: str) -> list[dict]:
    """Scans on file: complete and verified once pre-review passed, partial or returned before."""
    rng = ctx.rng
    checklist = CHECKLISTS[plan.type]
    required = [code for code, needed in checklist if needed]
    status = dd.final_state(plan.path)[0]
    reviewed = plan.did("pass_review")
    if reviewed:
        codes = required + [code for code, needed in checklist if not needed and rng.random() < 0.3]
    elif status in ("needs_materials", "submitted", "rejected", "withdrawn"):
        codes = required[:-1] if len(required) > 1 and rng.random() < 0.4 else required
    else:
        codes = required[:rng.randint(0, len(required))]
    returned = rng.randrange(len(codes)) if status == "needs_materials" and not reviewed and codes else -1
    uploader = (plan.creator or ctx.users["officer"])[0]
    rows = []
    for i, code in enumerate(codes):
        type_id, type_name = ctx.material_types[code]
        content = _placeholder(code)
        stamped = bool(reviewed) and rng.random() < 0.7
        rows.append({
            "application_id": app_id, "material_type_id": type_id, "original_name": f"{type_name}-{name}.pdf",
            "storage_name": storage_name(), "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
            "kind": "pdf", "verified": bool(reviewed), "stamped": stamped,
            "verify_note": "与原件一致" if stamped else None,
            "returned_reason": plan_comment(plan, "request_materials") if i == returned else None,
            "verified_by_id": ctx.users["officer"][0] if reviewed else None,
            "verified_at": reviewed - dt.timedelta(minutes=rng.randint(5, 180)) if reviewed else None,
            "uploaded_by_id": uploader,
            "uploaded_at": min(plan.created + dt.timedelta(minutes=rng.randint(1, 240)), ctx.now), "_code": code,
        })
    return rows


def plan_comment(plan: dd.Plan, action: str) -> str:
    """A reason text for a returned material (the officer's request)."""
    return dd.COMMENTS[action][len(plan.path) % len(dd.COMMENTS[action])]


def _archive_records(ctx: Ctx, plans: list[dd.Plan], app_ids: list[int]) -> list[dict]:
    """Archive numbers YYYY-NNNNN in archiving order per year, continuing ArchiveSequence (never reused)."""
    session = db.session
    events = sorted((plan.did("archive"), app_id) for plan, app_id in zip(plans, app_ids) if plan.did("archive"))
    last: dict[int, int] = {}
    for year in {at.year for at, _a in events}:
        seq_row = session.get(ArchiveSequence, year)
        used = session.scalar(select(func.max(ArchiveRecord.seq)).where(ArchiveRecord.year == year)) or 0
        last[year] = max(seq_row.last if seq_row else 0, used)
    rows = []
    for at, app_id in events:
        last[at.year] += 1
        seq = last[at.year]
        location = f"{'ABCDEF'[seq % 6]}柜{seq % 5 + 1}层{(seq // 30) % 40 + 1:02d}盒"
        rows.append({"archive_no": f"{at.year}-{seq:05d}", "year": at.year, "seq": seq, "application_id": app_id,
                     "location": location, "created_by_id": ctx.users["officer"][0], "created_at": at})
    _bulk(ArchiveRecord, rows)
    for year, value in last.items():
        seq_row = session.get(ArchiveSequence, year)
        if seq_row is None:
            session.add(ArchiveSequence(year=year, last=value))
        else:
            seq_row.last = value
    return rows


def loan_rows(ctx: Ctx, plans: list[dd.Plan], app_ids: list[int],
           resident_ids: list[int]) -> tuple[list[dict], list[dict]]:
    """A page loan per completed page-borrowing (returned once archived; some overdue), plus deposits.

    A resident has at most one open loan (the page is in one place): later loans of a resident whose page is
    still out count as returned.
    """
    loans, fees = [], []
    out: set[int] = set()
    for plan, app_id in zip(plans, app_ids):
        done = plan.time_of("completed")
        if plan.type != "borrow_page" or done is None:
            continue
        lent = done.date()
        due = lent + dt.timedelta(days=ctx.loan_days)
        back = lent + dt.timedelta(days=ctx.rng.randint(1, max(ctx.loan_days, 1)))
        archived = plan.did("archive")
        if archived:
            returned = min(back, archived.date())
        elif plan.overdue or back > ctx.today or ctx.rng.random() < 0.4:
            returned = None
        else:
            returned = back
        if returned is None and plan.person in out:
            returned = min(back, ctx.today)
        elif returned is None:
            out.add(plan.person)
        rid = resident_ids[plan.person]
        loans.append({"resident_id": rid, "application_id": app_id, "purpose": plan.reason, "lent_on": lent,
                      "due_on": due, "returned_on": returned, "deposit": ctx.deposit or None, "note": None})
        if ctx.deposit:
            fees.append(_fee(rid, app_id, "deposit", ctx.deposit, "refunded" if returned else "paid", due, lent,
                             "借用户口页押金"))
    return loans, fees


def _fee(rid: int, app_id: int | None, kind: str, amount: Decimal, status: str, due: dt.date | None,
         paid: dt.date | None, note: str) -> dict:
    """One fee row."""
    return {"resident_id": rid, "application_id": app_id, "kind": kind, "amount": amount, "status": status,
            "due_on": due, "paid_on": paid if status in ("paid", "refunded") else None, "note": note}


def _fees(ctx: Ctx, plans: list[dd.Plan], app_ids: list[int], people: list[dict],
          resident_ids: list[int]) -> list[dict]:
    """Management fees: settled for finished move-outs, often unpaid for open ones, yearly for a fifth of members."""
    rng, today = ctx.rng, ctx.today
    fees = []
    for plan, app_id in zip(plans, app_ids):
        status = dd.final_state(plan.path)[0]
        if plan.type != "move_out" or status in ("rejected", "withdrawn"):
            continue
        done = plan.time_of("completed")
        settled = done is not None or rng.random() < 0.5
        kind = "waived" if settled and rng.random() < 0.1 else "paid" if settled else "unpaid"
        paid = (done or ctx.now).date() - dt.timedelta(days=rng.randint(1, 10))
        fees.append(_fee(resident_ids[plan.person], app_id, "affiliation", Decimal("600.00"), kind,
                         plan.created.date() + dt.timedelta(days=30), paid, "迁出前结清集体户管理费"))
    year_start = dt.date(today.year, 1, 1)
    for person, rid in zip(people, resident_ids):
        if person["status"] == "moved_out" or rng.random() >= 0.2:
            continue
        r = rng.random()
        status = "paid" if r < 0.65 else "unpaid" if r < 0.95 else "waived"
        paid = year_start + dt.timedelta(days=rng.randrange(max((today - year_start).days, 1)))
        fees.append(_fee(rid, None, "affiliation", Decimal(rng.choice(("600.00", "1200.00"))), status,
                         dt.date(today.year, 3, 31), paid, f"{today.year}年度集体户管理费"))
    return fees


# ---- placeholder scans ----

@lru_cache(maxsize=None)
def _placeholder(code: str) -> bytes:
    """A tiny valid one-page PDF saying it stands in for a scan of this material type."""
    text = f"Hukou Desk demo placeholder scan: {code}".encode("ascii")
    stream = b"BT /F1 16 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def write_placeholders(folder: str, files: list[tuple[str, str]]) -> None:
    """Write each material's file; files of one type share their bytes through hard links where possible."""
    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    first: dict[str, Path] = {}
    for name, code in files:
        target = base / name
        source = first.get(code)
        if source is not None:
            try:
                os.link(source, target)
                continue
            except OSError:  # no hard links on this filesystem: write a copy
                pass
        target.write_bytes(_placeholder(code))
        first.setdefault(code, target)
