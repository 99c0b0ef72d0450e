"""Export section of the import/export benchmark: our export of N residents (query, masking, Chinese codes,
xlsx constant-memory writer) beside a bare xlsxwriter constant_memory write of the same rows.

Usage: python -m bench.export_section [--rows 100000] [--database-url URL] [--reps 3]
Default database: a temporary SQLite file; with a PostgreSQL URL, a fresh database next to it (dropped
afterwards). Each measurement runs in a fresh child process, so its peak RSS is its own. bench/import_export.py runs this section with the others.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.3


def _rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _app(url: str):
    """The app on an already filled bench database (no migration, no bootstrap)."""
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_STORAGE_URI": "memory://"})


def child_ours(url: str, out: str) -> dict:
    """Our export path (the CLI's and the job's): scoped query → row values → xlsx; audited like the CLI."""
    from app.exports.query import export_query
    from app.exports.service import options_for, record_export, write_export
    from app.exports.specs import SPECS
    from app.security.actor import cli_actor
    from app.uow import unit_of_work

    app = _app(url)
    spec, actor = SPECS["residents"], cli_actor("系统（基准测试）")
    with app.app_context():
        start, cpu = time.perf_counter(), time.process_time()
        with app.test_request_context("/"), unit_of_work(actor, write=False):
            with open(out, "wb") as fp:
                rows = write_export(spec, export_query(spec, actor), options_for(actor, False), "xlsx", fp)
        with unit_of_work(actor) as uow:
            record_export(uow, spec, rows, options_for(actor, False), "xlsx", {}, "cli")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "rows": rows, "rss_mb": _rss_mb()}


def child_bare(url: str, out: str) -> dict:
    """The floor: the same cell values, fetched beforehand (not timed), written by plain xlsxwriter calls."""
    import datetime as dt

    import xlsxwriter

    from app.exports.query import export_query, plain_rows
    from app.exports.service import as_tuples, options_for
    from app.exports.specs import SPECS, row_values
    from app.security.actor import cli_actor

    app = _app(url)
    spec, actor = SPECS["residents"], cli_actor("bench")
    with app.test_request_context("/"):
        opts = options_for(actor, False)
        data = [row_values(spec, r, opts) for r in as_tuples(plain_rows(spec, export_query(spec, actor)).yield_per(2000))]
        headers = [str(c.header) for c in spec.columns]
    start, cpu = time.perf_counter(), time.process_time()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = book.add_worksheet()
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    for c, h in enumerate(headers):
        ws.write_string(0, c, h)
    for r, row in enumerate(data, start=1):
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, v, date_fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, v)
    book.close()
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "rows": len(data),
            "rss_mb": _rss_mb()}


def _run_child(which: str, url: str) -> dict:
    """One measurement in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "bench.export_section", "--child", which, "--database-url",
                               url, "--out", os.path.join(tmp, f"{which}.xlsx")], cwd=ROOT, capture_output=True,
                              text=True)
    if done.returncode:
        raise SystemExit(f"export {which} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def export_section(url: str, reps: int = 1) -> list[str]:
    """Measure both (median of `reps`) on a filled database; the lines to print."""
    ours, bare = [], []
    for _ in range(reps):  # interleaved: a shared machine's load drifts, both sides see the same drift
        ours.append(_run_child("ours", url))
        bare.append(_run_child("bare", url))
    t_ours = statistics.median(m["seconds"] for m in ours)
    t_bare = statistics.median(m["seconds"] for m in bare)
    rows = ours[0]["rows"]
    ratio = t_ours / t_bare
    return [
        f"export floor (bare xlsxwriter constant_memory, rows in memory): {t_bare:6.2f} s  "
        f"{rows / t_bare:8.0f} rows/s",
        f"export ours (query + masking + codes + xlsx, audited):          {t_ours:6.2f} s  "
        f"{rows / t_ours:8.0f} rows/s  peak RSS {max(m['rss_mb'] for m in ours):.0f} MB",
        f"export ratio ours/floor: {ratio:.2f} (target <= {TARGET_RATIO}) {'OK' if ratio <= TARGET_RATIO else 'OVER'}",
    ]


def fill_database(url: str | None, rows: int) -> tuple[str, tempfile.TemporaryDirectory | None]:
    """Fill the given empty database (or a temporary SQLite file) with `rows` residents."""
    from bench.fill import fill, make_app

    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/bench.db"
    fill(make_app(url), rows)
    return url, tmp


def main(argv: list[str] | None = None) -> int:
    """Fill, measure, print."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--database-url", default=None, help="an EMPTY scratch database (default: temp SQLite)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--child", choices=("ours", "bare"), help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        fn = child_ours if args.child == "ours" else child_bare
        print(json.dumps(fn(args.database_url, args.out)))
        return 0
    with contextlib.ExitStack() as stack:
        url = args.database_url
        if url and url.startswith("postgresql"):  # a fresh database next to the given one, dropped afterwards
            from bench.fill import scratch_postgres

            url = stack.enter_context(scratch_postgres(url))
        url, tmp = fill_database(url, args.rows)
        if tmp:
            stack.callback(tmp.cleanup)
        print(f"export of {args.rows} residents on {url.split(':', 1)[0]}")
        for line in export_section(url, args.reps):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
