"""Diagnostics for the list benchmark: the SQL of each case with its query plan, and a cProfile of one case."""
from __future__ import annotations

import cProfile
import io
import pstats

from bench.fill import BenchWorld
from bench.list_views import SCREENS, Screen, StatementLog, api_headers, timed_get, url_for_case, web_client

TABLES = {"residents": "FROM resident", "applications": "FROM application", "audit": "FROM audit_log",
          "todo": "FROM application"}


def _clients(app, user_key: str, screen: Screen) -> dict:
    """(client, headers) per channel for one bench user."""
    username = screen.users[user_key]
    n = list(screen.users).index(user_key)
    clients = {"UI": (web_client(app, username, f"10.8.0.{n + 1}"), {})}
    if screen.api_path:
        clients["API"] = (app.test_client(), api_headers(app, username, f"10.8.1.{n + 1}"))
    return clients


def plan(engine, statement: str, parameters) -> list[str]:
    """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN ANALYZE (PostgreSQL: actual rows and times) of one statement."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).fetchall()
    return [str(r[-1]) for r in rows]


def explain_cases(app, world: BenchWorld, screen: Screen = SCREENS["residents"]) -> None:
    """Print every statement of one request per case, with the plan of those that read the screen's table."""
    with app.app_context():
        from app.extensions import db

        engine = db.engine
        log = StatementLog(engine)
    for user_key in screen.users:
        for channel, (client, headers) in _clients(app, user_key, screen).items():
            for case in screen.cases:
                url = url_for_case(channel, case, world.filter_department, screen)
                timed_get(client, url, headers, log)  # warm caches so the kept log is a steady-state one
                ms, _cpu, _resp, count = timed_get(client, url, headers, log, keep=True)
                print(f"\n=== {channel} {user_key} {case}: {ms:.1f} ms, {count} statements  {url}")
                kept = list(log.statements)
                log.reset()
                for statement, params in kept:
                    print("  SQL:", " ".join(statement.split())[:400], params)
                    if TABLES[screen.name] in statement and not statement.startswith("EXPLAIN"):
                        for line in plan(engine, statement, params):
                            print("     plan:", line)


def profile_case(app, world: BenchWorld, spec: str, reps: int = 10, screen: Screen = SCREENS["residents"]) -> None:
    """cProfile `reps` requests of one case given as 'UI|API <user> <case>'."""
    channel, user_key, case = spec.split(" ", 2)
    if case not in screen.cases or user_key not in screen.users or channel not in ("UI", "API"):
        raise SystemExit(f"--profile wants 'UI|API {'|'.join(screen.users)} <case>', case one of {screen.cases}")
    with app.app_context():
        from app.extensions import db

        log = StatementLog(db.engine)
    client, headers = _clients(app, user_key, screen)[channel]
    url = url_for_case(channel, case, world.filter_department, screen)
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
