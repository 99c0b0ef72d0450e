"""`flask --app run hukou demo`: realistic demo data — departments, residents, applications in every state, users.

Residents and applications are built in memory first (so every record agrees with its applications), then
written with Core bulk inserts in one transaction; prints nothing and returns counts.
"""
from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from .. import audit
from .. import clock
from ..security.actor import cli_actor
from ..uow import unit_of_work
from ..domain.workflow_table import TYPES
from ..extensions import db
from ..models import Application, ApplicationHistory, MaterialType, Resident, User, UserResident
from ..models.base import utcnow
from .base import Ctx, bulk, insert_with_ids
from .data import COMMENTS, DEPARTMENTS, PATHWAYS
from .people import fates, page_numbers, regions_by_year, resident, set_hired
from .plans import Plan, shape_resident, timeline
from .records import insert_records
from .scans import write_placeholders
from .users import EMPLOYEES, ensure_departments, ensure_users
from .workflow_paths import final_state, random_path, shortest_paths

TYPE_WEIGHTS = {"borrow_page": 30, "certificate": 20, "move_in": 15, "move_out": 15, "info_change": 8, "id_card": 7,
                "page_reissue": 5}
MOVES = frozenset({"move_in", "move_out"})
MAX_EXTRA_APPLICATIONS = 5000


def load_demo(password: str, residents: int = 2000, seed: int = 2026) -> dict:
    """Load the demo data (idempotent for departments and users); return what was added."""
    session = db.session
    depts = ensure_departments()
    users = ensure_users(password, depts)
    existing = session.scalar(select(func.count()).select_from(Resident)) or 0
    cfg = current_app.config
    ctx = Ctx(rng=random.Random(f"{seed}:{existing}"), now=utcnow(), today=clock.today(), depts=depts,
              users=users, approvers={depts[f"D{i:02d}"]: users[f"approver{i}"] for i in range(1, 13)},
              material_types={m.code: (m.id, m.name) for m in session.scalars(select(MaterialType))},
              loan_days=int(cfg.get("HUKOU_LOAN_DAYS", 15)), deposit=Decimal(str(cfg.get("HUKOU_LOAN_DEPOSIT") or 0)))
    with unit_of_work(cli_actor("系统（演示数据）"), session=session):
        _unit_profile(session)
        counts, files = _load_rows(ctx, max(residents, 0))
    write_placeholders(cfg["UPLOAD_FOLDER"], files)
    return {"departments": len(depts), **counts, "users": len(users),
            "usernames": ", ".join(sorted(users, key=_user_order))}


DEMO_UNIT = {"unit_name": "示范科学研究院", "collective_name": "示范科学研究院集体户", "household_no": "110108000001",
             "registered_address": "北京市海淀区中关村南大街 99 号", "office_address": "北京市海淀区中关村南大街 99 号",
             "police_station": "北京市公安局海淀分局中关村派出所", "contact_name": "刘芳", "contact_phone": "010-62000000"}


def _unit_profile(session) -> None:
    """Fill a blank unit profile with the demo unit, so the print forms show a letterhead (a filled one is kept)."""
    from ..models.unit import UnitProfile

    profile = session.scalar(select(UnitProfile).order_by(UnitProfile.id).limit(1)) or UnitProfile()
    if (profile.unit_name or "").strip():
        return
    for name, value in DEMO_UNIT.items():
        setattr(profile, name, value)
    session.add(profile)


def _user_order(name: str) -> tuple[int, str]:
    """admin, role users, approvers (numerically), employees."""
    digits = "".join(ch for ch in name if ch.isdigit())
    return (0 if name == "admin" else 2 if name.startswith("approver") else 3 if name.startswith("employee") else 1,
            f"{name.rstrip('0123456789')}{int(digits or 0):03d}")


def _plans(ctx: Ctx, residents: int) -> list[Plan]:
    """Coverage first (every reachable state of every type, police-returned variants too), then random ones."""
    plans = [Plan(t, path) for t in TYPES for path in shortest_paths(t).values()]
    extra = min(residents // 8, MAX_EXTRA_APPLICATIONS)
    types, weights = list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values())
    for app_type in ctx.rng.choices(types, weights=weights, k=extra):
        plans.append(Plan(app_type, random_path(ctx.rng, app_type)))
    for plan in plans:  # at least one page out past its due date
        if plan.type == "borrow_page" and final_state(plan.path)[0] == "completed":
            plan.overdue = True
            break
    return plans


def _employee_plans(ctx: Ctx, people: list[dict], taken: set[int]) -> tuple[list[Plan], list[tuple[int, int]]]:
    """Link employee1/2 (first run only) to a resident of their department and plan their own applications."""
    plans: list[Plan] = []
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
        set_hired(ctx.rng, people[index], ctx.today - dt.timedelta(days=400))
        for app_type, status in wanted:
            path = shortest_paths(app_type)[(status, False)]
            plans.append(Plan(app_type, path, creator=ctx.users[username], person=index))
    return plans, links


def _assign(ctx: Ctx, plans: list[Plan], people: list[dict], taken: set[int]) -> list[Plan]:
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
    dept_list = [(ctx.depts[code], code) for code, _n, _w in DEPARTMENTS]
    dept_weights = [w for _c, _n, w in DEPARTMENTS]
    regions = regions_by_year(1900, ctx.today.year)
    people = [resident(ctx.rng, ctx.today, d, used, regions)
              for d in ctx.rng.choices(dept_list, weights=dept_weights, k=residents)]
    taken: set[int] = set()
    own, links = _employee_plans(ctx, people, taken) if people else ([], [])
    plans = own + _assign(ctx, _plans(ctx, residents), people, taken) if people else []
    for plan in plans:
        timeline(ctx.rng, ctx.now, plan, ctx.loan_days)
        shape_resident(ctx.rng, plan, people[plan.person])
    fates(ctx.rng, ctx.today, people, {p.person for p in plans})
    page_numbers(people, set(session.scalars(select(Resident.page_number).where(Resident.page_number.isnot(None)))))
    for person in people:  # explicit values: per-row Python defaults are a large share of a Core insert
        person.update(created_on=ctx.now, changed_on=ctx.now, version=1)
    resident_ids = insert_with_ids(Resident, people)
    app_rows = [application_row(ctx, plan, people[plan.person], resident_ids[plan.person]) for plan in plans]
    app_ids = insert_with_ids(Application, app_rows)
    for uid, index in links:
        session.add(UserResident(user_id=uid, resident_id=resident_ids[index]))
        session.get(User, uid).first_name = people[index]["name"]  # the employee's one 姓名
    history = [row for plan, app_id in zip(plans, app_ids)
               for row in history_rows(ctx, plan, app_id, people[plan.person]["department_id"])]
    bulk(ApplicationHistory, history)
    counts, files = insert_records(ctx, plans, app_ids, people, resident_ids)
    counts = {"residents": len(people), "applications": len(app_rows), "history": len(history), **counts}
    audit.record(session, "demo_load", object_type="Demo", detail=counts)
    return counts, files



def _actor(ctx: Ctx, plan: Plan, action: str, dept_id: int) -> tuple[int, str]:
    """Who applied an action: the applicant (or the officer for paper applications), the department's approver,
    the leader, or the officer."""
    if action in ("submit", "withdraw"):
        return plan.creator or ctx.users["officer"]
    if action.startswith("dept_"):
        return ctx.approvers[dept_id]
    if action.startswith("leader_"):
        return ctx.users["leader"]
    return ctx.users["officer"]


def history_rows(ctx: Ctx, plan: Plan, app_id: int, dept_id: int) -> list[dict]:
    """The ApplicationHistory chain from draft to the current status."""
    rows, status = [], "draft"
    for row, at in zip(plan.path, plan.times):
        uid, username = _actor(ctx, plan, row.action, dept_id)
        comment = ctx.rng.choice(COMMENTS.get(row.action, (None,)))
        rows.append({"application_id": app_id, "action": row.action, "from_status": status, "to_status": row.target,
                     "user_id": uid, "username": username, "at": at, "comment": comment})
        status = row.target
    return rows


def application_row(ctx: Ctx, plan: Plan, person: dict, resident_id: int) -> dict:
    """The application table row of a plan."""
    status, returned = final_state(plan.path)
    entered = plan.did("enter")
    planned = None
    if plan.type == "move_out":
        planned = person["leave_date"] + dt.timedelta(days=30)
    elif plan.type == "move_in":
        planned = plan.created.date() + dt.timedelta(days=14)
    return {
        "type": plan.type, "status": status, "resident_id": resident_id, "department_id": person["department_id"],
        "pathway": ctx.rng.choice(PATHWAYS) if plan.type == "move_in" else None,
        "city": (current_app.config.get("HUKOU_CITY") or None) if plan.type == "move_in" else None,
        "reason": plan.reason, "destination": plan.destination, "planned_date": planned,
        "police_ref": f"{entered:%Y%m%d}{ctx.rng.randrange(10 ** 4):04d}" if entered else None,
        "police_returned": returned, "eligibility_json": None, "override_reason": None,
        "change_json": json.dumps(plan.change, ensure_ascii=False) if plan.change else None,
        "submitted_at": plan.did("submit"), "completed_at": plan.time_of("completed"),
        "created_by_id": plan.creator[0] if plan.creator else None, "created_on": plan.created,
        "changed_on": plan.times[-1] if plan.times else plan.created, "version": 1 + len(plan.path),
    }
