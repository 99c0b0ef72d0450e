"""Diagnostics for the list benchmark: the SQL of each case with its query plan, and a cProfile of one case."""
from __future__ import annotations

import cProfile
import io
import pstats

from bench.fill import BenchWorld
from bench.list_views import CASES, USERS, StatementLog, api_headers, timed_get, url_for_case, web_client


def _clients(app, user_key: str) -> dict:
    """(client, headers) per channel for one bench user."""
    username = USERS[user_key]
    n = list(USERS).index(user_key)
    return {"UI": (web_client(app, username, f"10.8.0.{n + 1}"), {}),
            "API": (app.test_client(), api_headers(app, username, f"10.8.1.{n + 1}"))}


def plan(engine, statement: str, parameters) -> list[str]:
    """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL) of one statement."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).fetchall()
    return [str(r[-1]) for r in rows]


def explain_cases(app, world: BenchWorld) -> None:
    """Print every statement of one request per case, with the plan of those that read residents."""
    with app.app_context():
        from app.extensions import db

        engine = db.engine
        log = StatementLog(engine)
    for user_key in USERS:
        for channel, (client, headers) in _clients(app, user_key).items():
            for case in CASES:
                url = url_for_case(channel, case, world.filter_department)
                timed_get(client, url, headers, log)  # warm caches so the kept log is a steady-state one
                ms, _cpu, _resp, count = timed_get(client, url, headers, log, keep=True)
                print(f"\n=== {channel} {user_key} {case}: {ms:.1f} ms, {count} statements  {url}")
                kept = list(log.statements)
                log.reset()
                for statement, params in kept:
                    print("  SQL:", " ".join(statement.split())[:400], params)
                    if "FROM resident" in statement:
                        for line in plan(engine, statement, params):
                            print("     plan:", line)


def profile_case(app, world: BenchWorld, spec: str, reps: int = 10) -> None:
    """cProfile `reps` requests of one case given as 'UI|API officer|approver <case>'."""
    channel, user_key, case = spec.split(" ", 2)
    if case not in CASES or user_key not in USERS or channel not in ("UI", "API"):
        raise SystemExit(f"--profile wants 'UI|API officer|approver <case>', case one of {CASES}")
    with app.app_context():
        from app.extensions import db

        log = StatementLog(db.engine)
    client, headers = _clients(app, user_key)[channel]
    url = url_for_case(channel, case, world.filter_department)
    timed_get(client, url, headers, log)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(reps):
        timed_get(client, url, headers, log)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())
