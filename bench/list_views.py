"""Median server time of the residents list (UI and API, officer and approver) on a scratch database.

Usage: python -m bench.list_views [--residents N] [--database-url URL] [--reps 15] [--sql] [--profile CASE]
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
    min_ms: float
    max_ms: float
    statements: int
    rows: int | None
    total: int | None


def target_ms(residents: int) -> int:
    """The issue's SQLite target: 60 ms up to 100,000 residents, 120 ms up to 1,000,000."""
    return 60 if residents <= 100_000 else 120


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


def url_for_case(channel: str, case: str, dept: int) -> str:
    """The request path of one case."""
    import prison

    if channel == "UI":
        args = ui_args(case, dept)
        return "/residentview/list/" + (f"?{urlencode(args)}" if args else "")
    return "/api/v1/residents/?" + urlencode({"q": prison.dumps(api_args(case, dept))})


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

        self.count, self.keep, self.statements = 0, False, []
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        """Count every statement; keep it with its parameters while `keep` is on."""
        self.count += 1
        if self.keep:
            self.statements.append((statement, parameters))

    def reset(self, keep: bool = False) -> None:
        """Start a new request's log."""
        self.count, self.keep, self.statements = 0, keep, []


def timed_get(client, url: str, headers: dict, log: StatementLog, keep: bool = False):
    """One GET: (wall ms, CPU ms of this process, response, statements run)."""
    log.reset(keep)
    c0, t0 = time.process_time(), time.perf_counter()
    resp = client.get(url, headers=headers)
    elapsed, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
    if resp.status_code != 200:
        raise RuntimeError(f"GET {url} → {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
    return elapsed, cpu, resp, log.count


def measure(app, world: BenchWorld, reps: int = 15, warmup: int = 2, cases=CASES, log=None) -> list[Result]:
    """Median server time of every channel × user × case."""
    with app.app_context():
        from app.extensions import db

        log = log or StatementLog(db.engine)
    results = []
    for n, (user_key, username) in enumerate(USERS.items()):
        clients = {"UI": (web_client(app, username, f"10.9.0.{n + 1}"), {}),
                   "API": (app.test_client(), api_headers(app, username, f"10.9.1.{n + 1}"))}
        for channel, (client, headers) in clients.items():
            for case in cases:
                results.append(_measure_one(client, headers, log, channel, user_key, case, world, reps, warmup))
    return results


def _measure_one(client, headers, log, channel, user_key, case, world, reps, warmup) -> Result:
    """Warm up, then time `reps` requests of one case."""
    url = url_for_case(channel, case, world.filter_department)
    for _ in range(warmup):
        timed_get(client, url, headers, log)
    times, cpu, statements, resp = [], [], 0, None
    for _ in range(reps):
        ms, cpu_ms, resp, statements = timed_get(client, url, headers, log)
        times.append(ms)
        cpu.append(cpu_ms)
    rows = total = None
    if channel == "API":
        body = resp.get_json()
        rows, total = len(body["result"]), body["count"]
    return Result(channel, user_key, case, statistics.median(times), statistics.median(cpu), min(times),
                  max(times), statements, rows, total)


def report(results: list[Result], residents: int, dialect: str, out=sys.stdout) -> bool:
    """Print the table and the targets; True when every median meets the target."""
    target = target_ms(residents)
    print(f"\nresidents: {residents:,}   database: {dialect}   page size: {PAGE_SIZE}", file=out)
    print(f"target (SQLite): median <= 60 ms at 100,000 residents, <= 120 ms at 1,000,000 "
          f"-> {target} ms here", file=out)
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"(cpu = median CPU time of this process; wall medians inflate when other work shares the CPUs)",
          file=out)
    head = f"{'channel':7} {'user':8} {'case':15} {'median':>8} {'cpu':>7} {'min':>7} {'max':>7} {'SQL':>4} " \
           f"{'rows':>5} {'count':>8}  meets"
    print(head, "-" * len(head), sep="\n", file=out)
    all_ok = True
    for r in results:
        ok = r.median_ms <= target
        all_ok &= ok
        rows = "" if r.rows is None else r.rows
        total = "" if r.total is None else f"{r.total:,}"
        print(f"{r.channel:7} {r.user:8} {r.case:15} {r.median_ms:8.1f} {r.cpu_ms:7.1f} {r.min_ms:7.1f} {r.max_ms:7.1f} "
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
    p.add_argument("--database-url", default=None, help="an EMPTY scratch database (default: temp SQLite)")
    p.add_argument("--reps", type=int, default=15, help="timed repetitions per case (after 2 warm-ups)")
    p.add_argument("--analyze", action="store_true", help="run ANALYZE after filling")
    p.add_argument("--sql", action="store_true", help="print each case's SQL and query plan")
    p.add_argument("--profile", metavar="CASE", help="cProfile one case, e.g. 'API approver page 500'")
    return p.parse_args(argv)


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
        world = fill(app, args.residents, analyze=args.analyze)
        print(f"filled {args.residents:,} residents in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if args.sql or args.profile:
            from bench.inspect_sql import explain_cases, profile_case

            if args.sql:
                explain_cases(app, world)
            if args.profile:
                profile_case(app, world, args.profile)
            return 0
        results = measure(app, world, reps=args.reps)
        with app.app_context():
            from app.extensions import db

            dialect = db.engine.dialect.name
        return 0 if report(results, args.residents, dialect) else 1
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
