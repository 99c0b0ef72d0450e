"""Mixed concurrent load against Hukou Desk on loopback: per endpoint the 2xx/3xx/4xx/5xx counts and p50/p95,
then checks that no write was lost and that every logout revoked its session.

Usage (from the project root):
  python bench/load.py [--threads 10] [--seconds 20]               # spawn a scratch instance on SQLite
  python bench/load.py --database-url postgresql+psycopg://root@127.0.0.1:5432/postgres --create-database
  python bench/load.py --url http://127.0.0.1:5000 --password 'Demo-2026'   # a running app with demo users

--spawn (the default without --url) loads the demo (`flask --app run hukou demo`) into an EMPTY database
(a SQLite file in a temp dir, or --database-url; --create-database makes a fresh PostgreSQL database next to
that URL and drops it afterwards) and serves it with gunicorn; everything is torn down at the end.
Against a running app (--url) every web login comes from 127.0.0.1: raise HUKOU_LOGIN_RATE_LIMIT there.
Exit status 0 only with no 5xx (or broken connection), no lost write and every logout revoked.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import requests

if __package__ in (None, ""):  # `python bench/load.py` as well as `python -m bench.load`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fill import scratch_postgres  # noqa: E402  (re-exported: the other benches' scratch database)
from bench.load_work import (  # noqa: E402  (re-exported for tests/test_load_short.py)
    DEFAULT_PASSWORD, LOGIN_WAIT, TIMEOUT, Edit, Ledger, Run, Stats, Worker, check_edits, check_logouts,
    check_loopback, check_uploads, discover, lost_edits, officer_api, pdf_bytes, png_bytes,
)

__all__ = ["Edit", "check_loopback", "lost_edits", "pdf_bytes", "png_bytes", "percentile", "report", "run_load",
           "spawned"]

ROOT = Path(__file__).resolve().parent.parent
BACKGROUND_WAIT = 1200  # seconds the --office run waits for its background import and export after the users


# --- running and reporting ----------------------------------------------------------------------------------

@dataclass
class Outcome:
    """Everything a run measured and checked."""

    threads: int
    seconds: float
    stats: Stats
    ledger: Ledger
    lost_edits: list[str]
    lost_uploads: list[str]
    unrevoked: list[str]
    double_transitions: list[str] = field(default_factory=list)
    background: dict = field(default_factory=dict)
    background_errors: list[str] = field(default_factory=list)
    p95_limit_ms: float | None = None  # --office: every endpoint but the background work within this
    window: tuple[float, float] | None = None  # --office: while the background import and export ran

    def slow(self) -> list[str]:
        """Endpoints whose p95 is over the limit (the background import/export steps are not held to it)."""
        if self.p95_limit_ms is None:
            return []
        slow = [f"{label}: p95 {percentile([m for _s, m in rows], 95):.0f} ms" for label, rows in
                sorted(self.stats.samples.items()) if not label.startswith("background: ") and rows
                and percentile([m for _s, m in rows], 95) > self.p95_limit_ms]
        during = self.during_background()
        if during and percentile(during, 95) > self.p95_limit_ms:
            slow.append(f"all users' requests while the import and export ran: p95 {percentile(during, 95):.0f} ms")
        return slow

    def during_background(self) -> list[float]:
        """The users' request times (ms) that ended while the background import and export were running."""
        return self.stats.between(*self.window, skip="background: ") if self.window else []

    def server_errors(self) -> dict[str, int]:
        """Per endpoint: responses 5xx plus requests with no answer."""
        out = {}
        for label, samples in self.stats.samples.items():
            bad = sum(1 for status, _ms in samples if status >= 500 or status == 0)
            if bad:
                out[label] = bad
        return out

    def problems(self) -> dict[str, list[str]]:
        """Why the run fails, by kind (every list empty when it passes)."""
        return {
            "responses 5xx or none": [f"{n} × {label}" for label, n in sorted(self.server_errors().items())],
            "lost writes": self.lost_edits + self.lost_uploads + self.ledger.bad_downloads,
            "logouts that did not revoke": self.unrevoked,
            "double transitions": self.double_transitions,
            "p95 over the target": self.slow(),
            "background import/export": self.background_errors,
            "bench errors": self.ledger.bench_errors,
        }

    @property
    def ok(self) -> bool:
        """No 5xx, no lost write, every logout revoked, and the bench itself ran cleanly."""
        return not any(self.problems().values())


def run_load(base: str, password: str, threads: int = 10, seconds: float = 20, seed: int = 1,
             max_requests: int = 200_000) -> Outcome:
    """Discover the data, run `threads` workers for `seconds`, then check writes and logouts."""
    base = check_loopback(base)
    world = discover(base, password)
    run = Run(base, password, world, seed, seconds, max_requests, threads)
    workers = [Worker(n, run) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=LOGIN_WAIT + seconds + 2 * TIMEOUT + 30)
    elapsed = time.perf_counter() - (run.deadline - seconds) if run.deadline < math.inf else 0.0
    checker = officer_api(base, password)
    try:
        edits = check_edits(checker, run.ledger.edits)
        uploads = check_uploads(checker, run.ledger.uploads)
    finally:
        checker.close()
    return Outcome(threads, elapsed, run.stats, run.ledger, edits, uploads, check_logouts(base, run.ledger.logouts))


def run_office(base: str, password: str, office, database_url: str, users: int = 50, seconds: float = 60,
               seed: int = 1, max_requests: int = 400_000, p95_limit_ms: float = 1000,
               think: float = 0.0) -> Outcome:
    """The issue-11 office mix (bench/load_office.py): users by role plus the background import and export;
    afterwards the usual checks and the double transitions in the history."""
    import threading

    from bench.load_office import Background, OfficeWorker, background, double_transitions, last_history_id, \
        role_plan, transitions_done, warm_up

    base = check_loopback(base)
    world = discover(base, password)
    before = last_history_id(database_url)
    run = Run(base, password, world, seed, seconds, max_requests, users + 1, think=think)  # + background officer
    warm_up(run, office)
    workers = [OfficeWorker(n, run, role, account, office) for n, (role, account) in enumerate(role_plan(users))]
    bg = Background()
    bg_thread = threading.Thread(target=background, args=(run, office, bg), name="load-background", daemon=True)
    for w in workers + [bg_thread]:
        w.start()
    for w in workers:
        w.join(timeout=LOGIN_WAIT + seconds + 2 * TIMEOUT + 30)
    elapsed = time.perf_counter() - (run.deadline - seconds) if run.deadline < math.inf else 0.0
    bg_thread.join(timeout=BACKGROUND_WAIT)  # the import and export may outlast the users' minute: bounded
    checker = officer_api(base, password)
    try:
        edits = check_edits(checker, run.ledger.edits)
        uploads = check_uploads(checker, run.ledger.uploads)
    finally:
        checker.close()
    bg.results["transitions"] = transitions_done(database_url, before)
    return Outcome(users, elapsed, run.stats, run.ledger, edits, uploads, check_logouts(base, run.ledger.logouts),
                   double_transitions(database_url), bg.results, bg.errors, p95_limit_ms, bg.window)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def table(samples: dict[str, list[tuple[int, float]]]) -> list[str]:
    """Lines: per endpoint the answer classes and p50/p95, then the totals."""
    head = f"{'endpoint':52} {'n':>6} {'2xx':>6} {'3xx':>5} {'4xx':>5} {'5xx':>5} {'none':>5} {'p50 ms':>8} " \
           f"{'p95 ms':>8} {'p99 ms':>8}"
    lines = [head, "-" * len(head)]
    every: list[tuple[int, float]] = []
    for label in sorted(samples):
        lines.append(_row(label, samples[label]))
        every += samples[label]
    if every:
        lines += ["-" * len(head), _row("total", every)]
    return lines


def _row(label: str, samples: list[tuple[int, float]]) -> str:
    """One table line."""
    classes = Counter(status // 100 for status, _ms in samples)
    ms = [m for _s, m in samples]
    return (f"{label:52} {len(samples):6d} {classes[2]:6d} {classes[3]:5d} {classes[4]:5d} {classes[5]:5d} "
            f"{classes[0]:5d} {percentile(ms, 50):8.0f} {percentile(ms, 95):8.0f} {percentile(ms, 99):8.0f}")


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception))(?::\s*(.*))?$")
_CHAINED = ("The above exception was the direct cause", "During handling of the above exception")


def log_errors(path: Path | None) -> Counter:
    """The final exception line of each traceback in a server log (chained causes skipped), counted."""
    if path is None or not path.exists():
        return Counter()
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    found: Counter = Counter()
    for i, line in enumerate(lines):
        if _EXC_LINE.match(line):
            after = " ".join(lines[i + 1:i + 6])
            if not any(marker in after for marker in _CHAINED):
                found[line[:200]] += 1
    return found


def report(outcome: Outcome, title: str, log: Path | None = None, out=sys.stdout) -> None:
    """Print the table, the checks, the server log's errors and the verdict."""
    led = outcome.ledger
    ok_edits = [e for e in led.edits if 200 <= e.status < 300]
    print(f"\n{title}: {outcome.threads} threads, {outcome.seconds:.1f} s of work after their logins", file=out)
    print("\n".join(table(outcome.stats.samples)), file=out)
    for (label, error), n in sorted(outcome.stats.no_answer.items()):
        print(f"no answer: {n} × {label}: {error}", file=out)
    print(f"\nresident edits: {len(ok_edits)} answered 2xx on {len({e.resident_id for e in ok_edits})} "
          f"residents; lost writes: {len(outcome.lost_edits)}", file=out)
    print(f"uploads: {len(led.uploads)} answered 2xx; not downloadable with the same sha256: "
          f"{len(outcome.lost_uploads) + len(led.bad_downloads)}", file=out)
    kinds = Counter((lo.kind, lo.status // 100) for lo in led.logouts)
    print(f"logouts: {len(led.logouts)} ({', '.join(f'{k} {c}xx: {n}' for (k, c), n in sorted(kinds.items()))}); "
          f"still signed in afterwards: {len(outcome.unrevoked)}", file=out)
    if outcome.p95_limit_ms is not None:
        print(f"transitions in the run: {outcome.background.get('transitions', 0)}; double transitions: "
              f"{len(outcome.double_transitions)}", file=out)
        print("background: " + ", ".join(f"{k} {v}" for k, v in outcome.background.items() if k != "transitions"),
              file=out)
        during = outcome.during_background()
        if during:
            print(f"users' requests while the import and export ran ({outcome.window[1] - outcome.window[0]:.0f} s): "
                  f"{len(during)}, p50 {percentile(during, 50):.0f} ms, p95 {percentile(during, 95):.0f} ms, "
                  f"p99 {percentile(during, 99):.0f} ms", file=out)
    errors = log_errors(log)
    if log is not None:
        print(f"server log {log}: {sum(errors.values())} exception lines", file=out)
        for line, n in errors.most_common(10):
            print(f"  {n:5d} × {line}", file=out)
    for kind, items in outcome.problems().items():
        if items:
            print(f"FAIL {kind}:", *[f"  {item}" for item in items[:8]], sep="\n", file=out)
            if len(items) > 8:
                print(f"  … and {len(items) - 8} more", file=out)
    print(f"\nRESULT: {'OK' if outcome.ok else 'FAIL'}", file=out)


# --- a spawned scratch instance -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    """A spawned app: its base URL, log file and database kind (and what `prepare` returned)."""

    base: str
    log: Path
    dialect: str
    url: str = ""
    prepared: object = None


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_empty(url: str) -> None:
    """Refuse a database that already has tables: the demo must not be loaded into real data."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise SystemExit(f"refusing to load the demo into a database with tables ({len(tables)}); "
                         "pass an empty scratch --database-url or --create-database")


def server_env(tmp: Path, url: str, password: str, redis_url: str | None = None) -> dict:
    """The environment of the scratch instance: its own folder, database, key and a login limit that 127.0.0.1
    cannot reach (every simulated browser shares that address); with `redis_url`, Redis under a key prefix of
    its own (limits, revoked tokens, the job queue)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HUKOU_UPLOAD_DIR", "HUKOU_QUEUE")}
    env.update(HUKOU_INSTANCE_DIR=str(tmp), DATABASE_URL=url, HUKOU_SECRET_KEY=uuid.uuid4().hex * 2,
               HUKOU_ADMIN_PASSWORD=password, HUKOU_LOGIN_RATE_LIMIT="100000 per minute",
               HUKOU_UPLOAD_DIR=str(tmp / "uploads"), PYTHONUNBUFFERED="1")
    if redis_url:
        env.update(REDIS_URL=redis_url, HUKOU_REDIS_PREFIX=f"hukou-load-{uuid.uuid4().hex[:10]}:")
    return env


def load_demo(env: dict, password: str, residents: int, log: Path) -> None:
    """`flask --app run hukou demo` into the scratch database (it also migrates and bootstraps)."""
    with open(log, "ab") as out:
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "hukou", "demo", "--password",
                               password, "--residents", str(residents)], cwd=ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"loading the demo failed; see {log}:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    """The end of a log file."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def start_gunicorn(env: dict, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    """gunicorn -w W -k gthread --threads T on 127.0.0.1:port, in its own process group, logging to `log`."""
    out = open(log, "ab")
    try:
        return subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread",
                                 "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--timeout", "120",
                                 "--graceful-timeout", "5", "--keep-alive", "75", "--capture-output", "run:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()


def wait_ready(base: str, proc: subprocess.Popen, log: Path, limit: float = 90) -> None:
    """Poll the login page until it answers 200 a few times in a row (workers booted)."""
    end, good = time.monotonic() + limit, 0
    while time.monotonic() < end and good < 4:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{tail(log)}")
        try:
            good = good + 1 if requests.get(base + "/login/", timeout=5).status_code == 200 else 0
        except requests.RequestException:
            good = 0
        time.sleep(0.25)
    if good < 4:
        raise RuntimeError(f"the app did not answer on {base} within {limit} s:\n{tail(log)}")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the gunicorn process group this bench started; SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    """`flask --app run hukou worker` (the queue consumer) in its own process group, logging to `log`."""
    out = open(log, "ab")
    try:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "run", "hukou", "worker", "--workers", "2"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()


@contextlib.contextmanager
def spawned(database_url: str | None, password: str = DEFAULT_PASSWORD, residents: int = 500, workers: int = 4,
            threads: int = 4, keep: bool = False, redis_url: str | None = None, queue_worker: bool = False,
            prepare=None, env_extra: dict | None = None) -> Iterator[Server]:
    """A scratch instance with the demo data served by gunicorn (and, with `queue_worker`, `hukou worker`);
    `prepare(url, folder)` adds data before the servers start, `env_extra` settings to the environment;
    removed (but for --keep) afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="hukou-load-"))
    url = database_url or f"sqlite:///{tmp / 'load.db'}"
    log = tmp / "server.log"
    procs: list[subprocess.Popen] = []
    try:
        ensure_empty(url)
        env = server_env(tmp, url, password, redis_url) | (env_extra or {})
        if queue_worker:
            env["HUKOU_QUEUE"] = "redis" if redis_url else "sqlite"
        t0 = time.perf_counter()
        load_demo(env, password, residents, log)
        prepared = prepare(url, tmp) if prepare else None
        t1 = time.perf_counter()
        port = free_port()
        procs.append(start_gunicorn(env, port, workers, threads, log))
        if queue_worker:
            procs.append(start_worker(env, tmp / "worker.log"))
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, procs[0], log)
        if queue_worker and procs[1].poll() is not None:
            raise RuntimeError(f"the queue worker exited with {procs[1].returncode}:\n{tail(tmp / 'worker.log')}")
        print(f"demo loaded and prepared in {t1 - t0:.1f} s, gunicorn ready in {time.perf_counter() - t1:.1f} s",
              file=sys.stderr)
        yield Server(base, log, url.split(":", 1)[0].split("+", 1)[0], url, prepared)
    finally:
        for proc in procs:
            stop(proc)
        if keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running app on loopback, e.g. http://127.0.0.1:5000 (default: --spawn)")
    p.add_argument("--spawn", action="store_true", help="spawn a scratch instance (the default)")
    p.add_argument("--threads", "--users", dest="threads", type=int, default=None)
    p.add_argument("--seconds", type=float, default=None)
    p.add_argument("--password", default=DEFAULT_PASSWORD, help="the demo users' password")
    p.add_argument("--database-url", help="spawn on this EMPTY database (default: SQLite in a temp dir)")
    p.add_argument("--create-database", action="store_true",
                   help="with a PostgreSQL --database-url: create a fresh database next to it, drop it after")
    p.add_argument("--residents", type=int, default=500)
    p.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    p.add_argument("--server-threads", type=int, default=4, help="gthread threads per worker")
    p.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="keep the scratch folder (database, log) for a look")
    p.add_argument("--office", action="store_true",
                   help="issue 11: the office mix by role (--threads users, default 50, --seconds default 60) "
                        "with a --background-rows import and export through a queue worker; needs --database-url")
    p.add_argument("--background-rows", type=int, default=100_000, help="--office: rows imported and exported")
    p.add_argument("--redis-url", default=os.environ.get("HUKOU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
                   help="--office: the Redis of the spawned app (a private key prefix is used); '' for none")
    p.add_argument("--p95-ms", type=float, default=1000, help="--office: the p95 target of every endpoint")
    p.add_argument("--think", type=float, default=None,
                   help="--office: a user's mean pause between actions in s (default 2: 1-3 s, as people work at "
                        "a desk); 0 sends each user's requests back to back (a stress test, not an office)")
    args = p.parse_args(argv)
    if args.url and (args.spawn or args.database_url):
        p.error("--url runs against a running app; --spawn/--database-url start one")
    args.threads = args.threads or (50 if args.office else 10)
    args.seconds = args.seconds or (60 if args.office else 20)
    args.think = (2.0 if args.office else 0.0) if args.think is None else args.think
    if args.think < 0:
        p.error("--think must not be negative")
    if args.office and (args.url or not args.database_url):
        p.error("--office spawns its own instance: give --database-url (PostgreSQL) and --create-database")
    if args.threads < 1 or args.seconds <= 0:
        p.error("--threads and --seconds must be positive")
    if args.create_database and not (args.database_url or "").startswith("postgresql"):
        p.error("--create-database needs a PostgreSQL --database-url")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run against --url or a spawned instance, print the figures; 0 when nothing failed."""
    args = parse_args(argv)
    if args.url:
        outcome = run_load(args.url, args.password, args.threads, args.seconds, args.seed, args.max_requests)
        report(outcome, f"Hukou Desk at {check_loopback(args.url)}")
        return 0 if outcome.ok else 1
    with contextlib.ExitStack() as stack:
        url = args.database_url
        if args.create_database:
            url = stack.enter_context(scratch_postgres(url))
        if args.office:
            return office_main(args, url, stack)
        server = stack.enter_context(spawned(url, args.password, args.residents, args.workers,
                                             args.server_threads, args.keep))
        outcome = run_load(server.base, args.password, args.threads, args.seconds, args.seed, args.max_requests)
        report(outcome, f"Hukou Desk ({server.dialect}, {args.residents} demo residents, gunicorn "
                        f"{args.workers} workers × {args.server_threads} threads)", server.log)
    return 0 if outcome.ok else 1


def office_main(args: argparse.Namespace, url: str, stack: contextlib.ExitStack) -> int:
    """--office: spawn with Redis and a queue worker, prepare the 100k rows, run the mix, print the figures."""
    from bench.load_office import prepare

    t0 = time.perf_counter()
    server = stack.enter_context(spawned(
        url, args.password, args.residents, args.workers, args.server_threads, args.keep, args.redis_url or None,
        queue_worker=True, prepare=lambda db_url, folder: prepare(db_url, folder, args.background_rows)))
    print(f"instance ready in {time.perf_counter() - t0:.0f} s (demo {args.residents} residents + "
          f"{args.background_rows} filled, roster of {args.background_rows} written)", file=sys.stderr)
    outcome = run_office(server.base, args.password, server.prepared, server.url, args.threads, args.seconds,
                         args.seed, args.max_requests, args.p95_ms, args.think)
    report(outcome, f"Hukou Desk office mix ({server.dialect}, Redis {'on' if args.redis_url else 'off'}, "
                    f"gunicorn {args.workers} workers × {args.server_threads} threads + 1 queue worker, "
                    f"{args.threads} users thinking {args.think:g} s on average between actions, "
                    f"{args.background_rows} rows imported and exported meanwhile)",
           server.log)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
