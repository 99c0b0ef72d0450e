"""Median server time of the list screens (UI and API; officer, approver, auditor) on a scratch database.

Usage: python -m bench.list_views [--residents N] [--screens residents,applications,audit,todo] [--applications N]
       [--audit-rows N] [--database-url URL] [--reuse] [--analyze] [--reps 15] [--sql] [--profile CASE]
Run from the project root. The default database is a temporary SQLite file that is deleted afterwards.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

if __package__ in (None, ""):  # `python bench/list_views.py` as well as `python -m bench.list_views`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fill import APPROVER, BENCH_PASSWORD, OFFICER, BenchWorld, fill, make_app  # noqa: E402
from bench.fill_lists import AUDITOR  # noqa: E402

CASES = ("page 1", "dept filter", "sort name", "page 500", "dept+sort+p500")
USERS = {"officer": OFFICER, "approver": APPROVER}
PAGE_SIZE = 25


@dataclass(frozen=True)
class Result:
    """The timings of one request kind: median/min/max in ms, SQL statements per request, rows returned."""

    channel: str
    user: str
    case: str
    median_ms: float
    cpu_ms: float
    sql_ms: float
    min_ms: float
    max_ms: float
    statements: int
    rows: int | None
    total: int | None


def target_ms(residents: int, base: int = 100_000) -> int:
    """The issue's target: 60 ms up to 100,000 residents (200,000 applications, 1,000,000 audit rows), else 120."""
    return 60 if residents <= base else 120


# The row counts that go with 100,000 residents (issue 11): beyond them the 120 ms target applies.
BASE_ROWS = {"residents": 100_000, "applications": 200_000, "audit": 1_000_000, "todo": 200_000}


def ui_args(case: str, dept: int) -> dict:
    """FAB list-view query arguments for one case."""
    flt = {"_flt_0_department": dept}
    sort = {"_oc_ResidentView": "name", "_od_ResidentView": "asc"}
    page = {"page_ResidentView": 499}
    return {"page 1": {}, "dept filter": flt, "sort name": sort, "page 500": page,
            "dept+sort+p500": {**flt, **sort, **page}}[case]


def api_args(case: str, dept: int) -> dict:
    """FAB REST `q` (rison) arguments for one case."""
    flt = {"filters": [{"col": "department_id", "opr": "eq", "value": dept}]}
    sort = {"order_column": "name", "order_direction": "asc"}
    base = {"page_size": PAGE_SIZE, "page": 0}
    return {"page 1": base, "dept filter": {**base, **flt}, "sort name": {**base, **sort},
            "page 500": {**base, "page": 499}, "dept+sort+p500": {**base, **flt, **sort, "page": 499}}[case]


def app_ui_args(case: str, dept: int) -> dict:
    """Application list (FAB view) arguments: newest first by default, as the screen opens."""
    flt, status = {"_flt_0_department": dept}, {"_flt_0_status": "submitted"}
    sort = {"_oc_ApplicationView": "submitted_at", "_od_ApplicationView": "desc"}
    page = {"page_ApplicationView": 499}
    return {"page 1": {}, "dept filter": flt, "status filter": status, "sort submitted": sort,
            "page 500": page, "dept+sort+p500": {**flt, **sort, **page}}[case]


def app_api_args(case: str, dept: int) -> dict:
    """Application REST arguments for one case."""
    base = {"page_size": PAGE_SIZE, "page": 0}
    flt = {"filters": [{"col": "department_id", "opr": "eq", "value": dept}]}
    status = {"filters": [{"col": "status", "opr": "eq", "value": "submitted"}]}
    sort = {"order_column": "submitted_at", "order_direction": "desc"}
    return {"page 1": base, "dept filter": {**base, **flt}, "status filter": {**base, **status},
            "sort submitted": {**base, **sort}, "page 500": {**base, "page": 499},
            "dept+sort+p500": {**base, **flt, **sort, "page": 499}}[case]


def audit_ui_args(case: str, _dept: int) -> dict:
    """Audit trail (FAB view, no API) arguments: newest first; action and object filters as the form sends."""
    action, obj = {"_flt_0_action": "update"}, {"_flt_0_object_type": "Resident"}
    sort = {"_oc_AuditLogView": "username", "_od_AuditLogView": "asc"}
    page = {"page_AuditLogView": 499}
    return {"page 1": {}, "action filter": action, "object filter": obj, "sort user": sort, "page 500": page,
            "action+p500": {**action, **page}}[case]


@dataclass(frozen=True)
class Screen:
    """One list screen: its paths, cases, users and how the request arguments of a case are built."""

    name: str
    ui_path: str
    api_path: str | None
    cases: tuple[str, ...]
    users: dict
    ui: object
    api: object


def todo_args(_case: str, _dept: int) -> dict:
    """The to-do list (home page and /api/v1/todo/) takes no arguments: every queue's count and oldest items."""
    return {}


SCREENS = {
    "residents": Screen("residents", "/residentview/list/", "/api/v1/residents/", CASES, USERS, ui_args, api_args),
    "applications": Screen("applications", "/applicationview/list/", "/api/v1/applications/",
                           ("page 1", "dept filter", "status filter", "sort submitted", "page 500", "dept+sort+p500"),
                           USERS, app_ui_args, app_api_args),
    "audit": Screen("audit", "/auditlogview/list/", None,
                    ("page 1", "action filter", "object filter", "sort user", "page 500", "action+p500"),
                    {"auditor": AUDITOR}, audit_ui_args, None),
    "todo": Screen("todo", "/", "/api/v1/todo/", ("page 1",), USERS, todo_args, todo_args),
}


def url_for_case(channel: str, case: str, dept: int, screen: Screen | None = None) -> str:
    """The request path of one case."""
    import prison

    screen = screen or SCREENS["residents"]
    if channel == "UI":
        args = screen.ui(case, dept)
        return screen.ui_path + (f"?{urlencode(args)}" if args else "")
    args = screen.api(case, dept)
    return screen.api_path + (f"?{urlencode({'q': prison.dumps(args)})}" if args else "")


def web_client(app, username: str, ip: str):
    """A test client logged into the web UI."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = ip
    page = c.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = c.post("/login/", data={"username": username, "password": BENCH_PASSWORD, "csrf_token": token})
    if r.status_code != 302:
        raise RuntimeError(f"web login of {username} failed: {r.status_code}")
    return c


def api_headers(app, username: str, ip: str) -> dict:
    """JWT headers for the REST API."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = ip
    r = c.post("/api/v1/security/login", json={"username": username, "password": BENCH_PASSWORD,
                                                "provider": "db"})
    if r.status_code != 200:
        raise RuntimeError(f"API login of {username} failed: {r.status_code}")
    return {"Authorization": f"Bearer {r.get_json()['access_token']}"}


class StatementLog:
    """Counts (and optionally keeps) the SQL statements the engine runs."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count, self.keep, self.statements, self.sql_s, self._t0 = 0, False, [], 0.0, 0.0
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(engine, "after_cursor_execute", self._on_done)

    def _on_execute(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        """Count every statement; keep it with its parameters while `keep` is on."""
        self.count += 1
        self._t0 = time.perf_counter()
        if self.keep:
            self.statements.append((statement, parameters))

    def _on_done(self, *_args) -> None:
        """Add the statement's wall time (the database's share of the request, plus the driver's)."""
        self.sql_s += time.perf_counter() - self._t0

    def reset(self, keep: bool = False) -> None:
        """Start a new request's log."""
        self.count, self.keep, self.statements, self.sql_s = 0, keep, [], 0.0


def timed_get(client, url: str, headers: dict, log: StatementLog, keep: bool = False):
    """One GET: (wall ms, CPU ms of this process, response, statements run)."""
    log.reset(keep)
    c0, t0 = time.process_time(), time.perf_counter()
    resp = client.get(url, headers=headers)
    elapsed, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
    if resp.status_code != 200:
        raise RuntimeError(f"GET {url} → {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
    return elapsed, cpu, resp, log.count


def measure(app, world: BenchWorld, reps: int = 15, warmup: int = 2, cases=None, log=None,
            screen: Screen | None = None) -> list[Result]:
    """Median server time of every channel × user × case of one screen (the residents list by default)."""
    screen = screen or SCREENS["residents"]
    with app.app_context():
        from app.extensions import db

        log = log or StatementLog(db.engine)
    results = []
    for n, (user_key, username) in enumerate(screen.users.items()):
        clients = {"UI": (web_client(app, username, f"10.9.{len(screen.name)}.{n + 1}"), {})}
        if screen.api_path:
            clients["API"] = (app.test_client(), api_headers(app, username, f"10.10.{len(screen.name)}.{n + 1}"))
        for channel, (client, headers) in clients.items():
            for case in cases or screen.cases:
                url = url_for_case(channel, case, world.filter_department, screen)
                results.append(_measure_one(client, headers, log, channel, user_key, case, url, reps, warmup))
    return results


def _measure_one(client, headers, log, channel, user_key, case, url, reps, warmup) -> Result:
    """Warm up, then time `reps` requests of one case."""
    for _ in range(warmup):
        timed_get(client, url, headers, log)
    times, cpu, sql, statements, resp = [], [], [], 0, None
    for _ in range(reps):
        ms, cpu_ms, resp, statements = timed_get(client, url, headers, log)
        times.append(ms)
        cpu.append(cpu_ms)
        sql.append(log.sql_s * 1000)
    rows = total = None
    if channel == "API":
        body = resp.get_json()
        rows, total = len(body["result"] if "result" in body else body["items"]), body["count"]
    return Result(channel, user_key, case, statistics.median(times), statistics.median(cpu), statistics.median(sql),
                  min(times), max(times), statements, rows, total)


def report(results: list[Result], residents: int, dialect: str, out=sys.stdout, screen: str = "residents",
           size: int | None = None) -> bool:
    """Print the table and the targets; True when every median meets the target (`residents`: the screen's rows,
    `size`: the size asked for, which sets the target; the audit trail also holds the bench's own login rows)."""
    base = BASE_ROWS[screen]
    target = target_ms(size or residents, base)
    print(f"\n{screen}: {residents:,} rows   database: {dialect}   page size: {PAGE_SIZE}", file=out)
    print(f"target: median <= 60 ms at {base:,} {screen}, <= 120 ms at {base * 10:,} "
          f"-> {target} ms here", file=out)
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"(cpu = median CPU time of this process, sql = median wall time inside SQL statements; "
          f"wall medians inflate when other work shares the CPUs)",
          file=out)
    head = f"{'channel':7} {'user':8} {'case':15} {'median':>8} {'cpu':>7} {'sql':>7} {'min':>7} {'max':>7} {'SQL':>4} " \
           f"{'rows':>5} {'count':>8}  meets"
    print(head, "-" * len(head), sep="\n", file=out)
    all_ok = True
    for r in results:
        ok = r.median_ms <= target
        all_ok &= ok
        rows = "" if r.rows is None else r.rows
        total = "" if r.total is None else f"{r.total:,}"
        print(f"{r.channel:7} {r.user:8} {r.case:15} {r.median_ms:8.1f} {r.cpu_ms:7.1f} {r.sql_ms:7.1f} {r.min_ms:7.1f} "
              f"{r.max_ms:7.1f} "
              f"{r.statements:4d} {rows:>5} {total:>8}  {'yes' if ok else 'NO'}", file=out)
    print(f"\nall medians within {target} ms: {'yes' if all_ok else 'NO'}", file=out)
    return all_ok


def guard_url(url: str) -> None:
    """Never run against the developer's instance database or the configured DATABASE_URL."""
    import config

    if url in (config.SQLALCHEMY_DATABASE_URI, os.environ.get("DATABASE_URL")):
        raise SystemExit("refusing to fill the application's own database; pass a scratch --database-url")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--residents", type=int, default=100_000)
    p.add_argument("--screens", default="residents",
                   help="comma-separated: " + ", ".join(SCREENS) + " (default: residents)")
    p.add_argument("--applications", type=int, default=200_000, help="applications for the applications screen")
    p.add_argument("--audit-rows", type=int, default=1_000_000, help="audit rows for the audit screen")
    p.add_argument("--database-url", default=None, help="an EMPTY scratch database (default: temp SQLite)")
    p.add_argument("--reuse", action="store_true", help="measure a database an earlier --database-url run filled")
    p.add_argument("--reps", type=int, default=15, help="timed repetitions per case (after 2 warm-ups)")
    p.add_argument("--analyze", action="store_true",
                   help="after filling: ANALYZE (SQLite) / VACUUM ANALYZE (PostgreSQL, what autovacuum does)")
    p.add_argument("--sql", action="store_true", help="print each case's SQL and query plan")
    p.add_argument("--profile", metavar="CASE", help="cProfile one case, e.g. 'API approver page 500'")
    args = p.parse_args(argv)
    args.screens = [name.strip() for name in args.screens.split(",") if name.strip()]
    if not args.screens or set(args.screens) - set(SCREENS):
        p.error(f"--screens: choose from {', '.join(SCREENS)}")
    return args


def prepare(app, args) -> tuple[BenchWorld, dict]:
    """Fill (or reuse) the residents and whatever the chosen screens need; the row count of each screen."""
    from bench.fill_lists import create_auditor, existing_world, fill_applications, fill_audit, maintain

    world = existing_world(app) if args.reuse else None
    world = world or fill(app, args.residents)
    sizes = {"residents": world.residents}
    if "applications" in args.screens or "todo" in args.screens:
        sizes["applications"] = fill_applications(app, args.applications)
    if "audit" in args.screens:
        create_auditor(app)
        sizes["audit"] = fill_audit(app, args.audit_rows)
    if args.analyze:
        maintain(app)
    return world, sizes


def main(argv: list[str] | None = None) -> int:
    """Fill, measure, print; exit status 0 when every median meets the target."""
    args = parse_args(argv)
    os.environ.setdefault("HUKOU_SECRET_KEY", "bench-only-secret-" + "0" * 32)  # keeps instance/ untouched
    logging.basicConfig(level=logging.ERROR)  # FAB's start-up chatter would bury the table
    tmp = None
    url = args.database_url
    if url is None:
        tmp = tempfile.mkdtemp(prefix="hukou-bench-")
        url = f"sqlite:///{tmp}/bench.db"
    guard_url(url)
    try:
        t0 = time.perf_counter()
        app = make_app(url)
        world, sizes = prepare(app, args)
        print(f"ready in {time.perf_counter() - t0:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()),
              file=sys.stderr)
        if args.sql or args.profile:
            from bench.inspect_sql import explain_cases, profile_case

            for name in args.screens:
                if args.sql:
                    explain_cases(app, world, SCREENS[name])
                if args.profile:
                    profile_case(app, world, args.profile, screen=SCREENS[name])
            return 0
        with app.app_context():
            from app.extensions import db

            dialect = db.engine.dialect.name
        ok = True
        for name in args.screens:
            results = measure(app, world, reps=args.reps, screen=SCREENS[name])
            asked = {"residents": sizes["residents"], "applications": args.applications, "audit": args.audit_rows,
                     "todo": args.applications}
            ok &= report(results, sizes.get(name, sizes.get("applications", 0)), dialect, screen=name,
                         size=asked[name])
        return 0 if ok else 1
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
