"""Scratch data for the other list screens: applications of the bench residents and audit-trail rows, plus the
auditor who reads them; and the reuse of a database an earlier bench run filled (--reuse)."""
from __future__ import annotations

import datetime as dt
import random
from typing import Iterator

from sqlalchemy import func, insert, select

from bench.fill import APPROVER, BATCH, BENCH_PASSWORD, BenchWorld

AUDITOR = "bench_auditor"
TYPES = ("move_in", "move_out", "borrow_page", "certificate", "info_change", "id_card", "page_reissue")
# Mostly finished work, some in flight: a real office's application table after a few years.
STATUSES = (("completed", 40), ("archived", 25), ("rejected", 6), ("withdrawn", 4), ("draft", 5),
            ("submitted", 6), ("needs_materials", 3), ("dept_review", 4), ("leader_review", 3), ("entry", 2),
            ("at_police", 2))
AUDIT_ACTIONS = (("update", 30), ("create", 15), ("login", 20), ("logout", 10), ("unmask", 8), ("download", 6),
                 ("transition", 8), ("export", 2), ("login_failed", 1))
AUDIT_OBJECTS = ("Resident", "Application", "Material", "User")
_T0 = dt.datetime(2023, 1, 1)


def _weighted(pairs) -> list[str]:
    """A list in which each value appears as often as its weight (random.choice over it is weighted)."""
    return [value for value, weight in pairs for _ in range(weight)]


def existing_world(app) -> BenchWorld | None:
    """The BenchWorld of a database an earlier run filled (departments B01…, the bench approver), else None."""
    from app.extensions import db
    from app.models import Department, Resident, UserDepartment

    with app.app_context():
        residents = db.session.scalar(select(func.count()).select_from(Resident))
        ids = tuple(db.session.scalars(select(Department.id).where(Department.code.like("B%"))
                                       .order_by(Department.code)))
        approver = app.appbuilder.sm.find_user(username=APPROVER)
        if not residents or not ids or approver is None:
            return None
        mine = tuple(sorted(db.session.scalars(select(UserDepartment.department_id)
                                               .where(UserDepartment.user_id == approver.id))))
    return BenchWorld(department_ids=ids, filter_department=ids[0], approver_departments=mine, residents=residents)


def application_rows(start: int, stop: int, residents: list[tuple[int, int]], seed: int = 7) -> Iterator[dict]:
    """Applications of random bench residents (department copied from the resident, as the workflow does)."""
    rnd = random.Random(seed + start)
    statuses = _weighted(STATUSES)
    for i in range(start, stop):
        resident_id, department_id = residents[rnd.randrange(len(residents))]
        created = _T0 + dt.timedelta(minutes=i * 5 + rnd.randrange(5))
        status = rnd.choice(statuses)
        yield {"type": rnd.choice(TYPES), "status": status, "resident_id": resident_id,
               "department_id": department_id, "reason": "工作调动", "police_returned": False, "version": 1,
               "submitted_at": None if status == "draft" else created + dt.timedelta(hours=2),
               "completed_at": created + dt.timedelta(days=9) if status in ("completed", "archived") else None,
               "created_on": created, "changed_on": created + dt.timedelta(days=rnd.randrange(12))}


def fill_applications(app, n: int) -> int:
    """Insert n applications (refuses a table that already has some); returns how many the table holds."""
    from app.extensions import db
    from app.models import Application, Resident

    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(Application))
        if have:
            return have
        residents = list(db.session.execute(select(Resident.id, Resident.department_id)))
        db.session.remove()
        with db.engine.begin() as conn:
            for start in range(0, n, BATCH):
                conn.execute(insert(Application.__table__),
                             list(application_rows(start, min(n, start + BATCH), residents)))
    return n


def audit_rows(start: int, stop: int, users: list[tuple[int, str]], seed: int = 11) -> Iterator[tuple]:
    """Audit rows as tuples in AUDIT_COLUMNS order, one every ~20 seconds from 2023 on."""
    rnd = random.Random(seed + start)
    actions = _weighted(AUDIT_ACTIONS)
    for i in range(start, stop):
        user_id, username = users[rnd.randrange(len(users))]
        action = rnd.choice(actions)
        obj = None if action.startswith("log") else rnd.choice(AUDIT_OBJECTS)
        yield (_T0 + dt.timedelta(seconds=i * 20 + rnd.randrange(20)), user_id, username,
               f"10.{rnd.randrange(4)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}", action, obj,
               None if obj is None else str(rnd.randrange(1, 100_000)), rnd.random() > 0.02,
               '{"fields": ["phone"]}' if action == "update" else None)


AUDIT_COLUMNS = ("at", "user_id", "username", "ip", "action", "object_type", "object_id", "success", "detail")


def fill_audit(app, n: int) -> int:
    """Add n audit rows by COPY (PostgreSQL) or executemany (SQLite), unless the trail already holds n."""
    from app.extensions import db
    from app.models import AuditLog

    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(AuditLog))
        if have >= n:
            return have
        users = [(u.id, u.username) for u in app.appbuilder.sm.get_all_users()]
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                with conn.connection.driver_connection.cursor() as cur:
                    with cur.copy(f"COPY audit_log ({', '.join(AUDIT_COLUMNS)}) FROM STDIN") as copy:
                        for row in audit_rows(0, n - have, users):
                            copy.write_row(row)
            else:
                for start in range(0, n - have, BATCH):
                    conn.execute(insert(AuditLog.__table__), [dict(zip(AUDIT_COLUMNS, r)) for r in
                                                              audit_rows(start, min(n - have, start + BATCH), users)])
    return n


def create_auditor(app) -> None:
    """The Auditor who reads the audit trail (once)."""
    sm = app.appbuilder.sm
    with app.app_context():
        if sm.find_user(username=AUDITOR) is None and not sm.add_user(
                AUDITOR, "Bench", "Auditor", "auditor@bench.test", sm.find_role("Auditor"), password=BENCH_PASSWORD):
            raise RuntimeError("could not create the bench auditor")


def maintain(app) -> None:
    """What a maintained database has: PostgreSQL's VACUUM ANALYZE (autovacuum's work), SQLite's ANALYZE."""
    from app.extensions import db

    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE")
