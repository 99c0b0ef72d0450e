"""Time of the monthly report, the statistics dashboard and the to-do list on a big scratch database.

Usage: python -m bench.reports [--residents 100000] [--applications 200000] [--database-url URL] [--reps 3]
Run from the project root. The default database is a temporary SQLite file that is deleted afterwards; a
PostgreSQL URL must name an empty scratch database. Prints the median of --reps runs per case (target ≤ 1 s).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fill import APPROVER, OFFICER, fill, make_app  # noqa: E402

TARGET_S = 1.0
BATCH = 10_000
# Paths through the workflow: (type, [(action, from, to)]); open ones stop early.
FULL = [("submit", "draft", "submitted"), ("pass_review", "submitted", "dept_review"),
        ("dept_approve", "dept_review", "leader_review"), ("leader_approve", "leader_review", "entry"),
        ("enter", "entry", "at_police"), ("complete", "at_police", "completed")]
MORE = [("submit", "draft", "submitted"), ("request_materials", "submitted", "needs_materials"),
        ("submit", "needs_materials", "submitted")]
TYPES = ("move_in", "move_out", "certificate", "info_change", "id_card", "page_reissue")
DESTINATIONS = ("浙江省杭州市（原籍）", "广东省深圳市（购房地址）", "四川省成都市（配偶户籍地）", "北京市海淀区（新单位集体户）")


def _paths(rnd: random.Random) -> list[tuple[str, str, str]]:
    """One application's steps: most complete, some wait for materials first, a fifth are still open."""
    steps = (MORE[:] if rnd.random() < 0.25 else [FULL[0]]) + FULL[1:]
    if rnd.random() < 0.2:
        steps = steps[: rnd.randrange(1, len(steps))]
    return steps


def fill_work(conn, n_apps: int, today: dt.date, seed: int = 7) -> tuple[int, int]:
    """Core INSERT of n_apps applications over the last three years with their history, plus page loans."""
    from sqlalchemy import select

    from app.models import Application, ApplicationHistory, PageLoan, Resident

    rnd = random.Random(seed)
    residents = conn.execute(select(Resident.id, Resident.department_id)).all()
    app_table, hist_table = Application.__table__, ApplicationHistory.__table__
    next_id, hist_rows = 1, 0
    end = dt.datetime.combine(today, dt.time(8))
    for start in range(0, n_apps, BATCH):
        apps, hist = [], []
        for _ in range(min(BATCH, n_apps - start)):
            rid, dept = residents[rnd.randrange(len(residents))]
            typ = TYPES[rnd.randrange(len(TYPES))]
            steps = _paths(rnd)
            at = end - dt.timedelta(days=rnd.uniform(5, 1100))
            times = []
            for _step in steps:
                at += dt.timedelta(hours=rnd.uniform(4, 120))
                times.append(min(at, end))
            status = steps[-1][2]
            apps.append({"id": next_id, "type": typ, "status": status, "resident_id": rid, "department_id": dept,
                         "pathway": "人才引进" if typ == "move_in" else None,
                         "destination": DESTINATIONS[next_id % 4] if typ == "move_out" else None,
                         "reason": "购房迁出" if typ == "move_out" and next_id % 4 == 1 else "办理",
                         "police_returned": False, "version": 1, "created_on": times[0], "changed_on": times[-1],
                         "submitted_at": times[0], "completed_at": times[-1] if status == "completed" else None})
            hist += [{"application_id": next_id, "action": a, "from_status": f, "to_status": t, "username": "bench",
                      "at": when} for (a, f, t), when in zip(steps, times)]
            next_id += 1
        conn.execute(app_table.insert(), apps)
        conn.execute(hist_table.insert(), hist)
        hist_rows += len(hist)
    loans = []
    for k, (rid, _dept) in enumerate(rnd.sample(residents, min(len(residents), n_apps // 10))):
        lent = today - dt.timedelta(days=rnd.randrange(1, 900))
        back = lent + dt.timedelta(days=rnd.randrange(1, 30))
        loans.append({"resident_id": rid, "lent_on": lent, "due_on": lent + dt.timedelta(days=15),
                      "returned_on": back if back < today or k % 3 else None, "purpose": "办理护照",
                      "pages": "personal", "delivery": "pickup"})
    conn.execute(PageLoan.__table__.insert(), loans)
    return hist_rows, len(loans)


def timed(fn, reps: int) -> float:
    """Median seconds of `reps` calls (a fresh session each time, so nothing is cached in the ORM)."""
    from app.extensions import db

    times = []
    for _ in range(reps):
        db.session.remove()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cases(app, today: dt.date) -> dict:
    """The timed calls, for the officer (whole unit) and an approver (two departments)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.reports import dashboard, monthly, periods
    from app.security.actor import actor_of

    def actor(name):
        return actor_of(db.session.scalar(select(User).where(User.username == name)))

    busy = periods.month(f"{today.year - 1}-{today.month}")
    out = {}
    for who in (OFFICER, APPROVER):
        label = "officer" if who == OFFICER else "approver"
        out[f"monthly report {busy.label} ({label})"] = lambda who=who: monthly.build(
            db.session, actor(who), busy, today)
        out[f"dashboard ({label})"] = lambda who=who: dashboard.build(db.session, actor(who), today, 30)
        try:
            from app.desk.todo import todo_summary
        except ImportError:
            continue
        out[f"to-do list ({label})"] = lambda who=who: todo_summary(actor(who), today, db.session)
    out["annual summary (officer)"] = lambda: monthly.annual(db.session, actor(OFFICER),
                                                             periods.year(str(today.year - 1)), today)
    return out


def work_database(url: str, residents: int, applications: int):
    """Fill an empty database with residents, applications in every stage with their history and page loans;
    ANALYZE, checkpoint SQLite's WAL (a running system does; a fresh 1 GB WAL is slow); print what was built.
    Returns the app and the day the data is built around. Shared with bench/remind.py."""
    t0 = time.perf_counter()
    app = make_app(url)
    fill(app, residents, analyze=False)
    from app import clock
    from app.extensions import db

    today = clock.today()
    with app.app_context():
        with db.engine.begin() as conn:
            hist, loans = fill_work(conn, applications, today)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        if db.engine.dialect.name == "sqlite":
            db.session.remove()
            db.engine.dispose()
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"database: {url.split(':')[0]}, {residents:,} residents, {applications:,} applications, "
          f"{hist:,} history rows, {loans:,} loans (built in {time.perf_counter() - t0:.0f} s)")
    return app, today


def work_arguments(description: str) -> argparse.ArgumentParser:
    """The options of a bench on the work database (shared with bench/remind.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--applications", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reps", type=int, default=3)
    return parser


@contextlib.contextmanager
def scratch_work_database(args, prefix: str):
    """(app, today) of a filled work database: --database-url, else a temporary SQLite file removed afterwards."""
    logging.disable(logging.WARNING)
    tmp = None if args.database_url else tempfile.mkdtemp(prefix=prefix)
    try:
        yield work_database(args.database_url or f"sqlite:///{tmp}/bench.db", args.residents, args.applications)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    """Build the scratch database, time each case, print the figures."""
    parser = work_arguments(__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile the officer's monthly report once")
    args = parser.parse_args()
    with scratch_work_database(args, "hukou-bench-reports-") as (app, today):
        with app.app_context(), app.test_request_context("/"):
            if args.profile:
                import cProfile
                import pstats

                fn = next(iter(cases(app, today).values()))
                cProfile.runctx("fn()", globals(), {"fn": fn}, "/tmp/bench_reports.prof")
                pstats.Stats("/tmp/bench_reports.prof").sort_stats("cumulative").print_stats(25)
            for name, fn in cases(app, today).items():
                seconds = timed(fn, args.reps)
                flag = "" if seconds <= TARGET_S or name.startswith("annual") else "  OVER TARGET"
                print(f"{name:<45} {seconds * 1000:8.0f} ms{flag}", flush=True)
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
