"""Time of finding the day's reminders (`hukou remind --dry-run`'s work) on a big scratch database.

Usage: python -m bench.remind [--residents 100000] [--applications 200000] [--database-url URL] [--reps 3]
Run from the project root. Same scratch database as bench/reports.py (a temporary SQLite file by default; a
PostgreSQL URL must name an empty scratch database). Prints the median of --reps runs and the reminder count.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reports import scratch_work_database, work_arguments  # noqa: E402

TARGET_S = 10.0  # a daily batch job: seconds, not the 1 s of a page


def main() -> None:
    """Build the scratch database, time collect + render + dry-run send, print the figures."""
    args = work_arguments(__doc__.splitlines()[0]).parse_args()
    with scratch_work_database(args, "hukou-bench-remind-") as (app, today):
        from app.desk.remind_run import run_reminders

        with app.app_context():
            times, found = [], 0
            for _ in range(args.reps):
                start = time.perf_counter()
                found = len(run_reminders(today, dry_run=True).outcomes)
                times.append(time.perf_counter() - start)
            start = time.perf_counter()
            recorded = run_reminders(today).new  # the real run: find (read), then record in one write unit
            real = time.perf_counter() - start
        median = statistics.median(times)
        flag = "" if median <= TARGET_S else "  OVER TARGET"
        print(f"remind --dry-run (find, render, check duplicates): {median * 1000:.0f} ms median, "
              f"{found:,} reminders{flag}")
        print(f"remind (find + record {recorded:,} notifications, no channel configured): {real * 1000:.0f} ms; "
              f"the write lock is held for about the difference")
    sys.exit(0 if median <= TARGET_S else 1)


if __name__ == "__main__":
    main()
