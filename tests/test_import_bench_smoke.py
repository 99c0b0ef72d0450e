"""Smoke test of bench/import_export.py on a few rows: its files are what it claims (valid roster, a few % bad
rows caught by the dry run, HR events) and its report prints rows/s, ratios and RSS (no time thresholds)."""
from __future__ import annotations

import io
import shutil

from bench.import_export import generate, report
from tests.import_support import run
from tests.import_support import import_folder  # noqa: F401  (autouse: files in a temp folder)


def test_generated_files_and_the_dry_run(app, tmp_path, monkeypatch):
    monkeypatch.setattr("bench.import_export.DEPT_NAME", "测试甲部门")  # the test world's department
    generate(tmp_path, 90, 0.1, 20)
    clean = run(app, "roster", tmp_path / "roster.xlsx", dry_run=True)
    bad = run(app, "roster", tmp_path / "roster_bad.xlsx", dry_run=True)
    assert clean.plan.rows_total == 90 and clean.plan.ok and clean.plan.counts["created"] == 90
    assert bad.plan.counts["errors"] == 9 and bad.plan.counts["created"] == 81
    hr = run(app, "hr", tmp_path / "hr.xlsx", dry_run=True)
    assert hr.plan.rows_total == 20 and not hr.plan.errors
    shutil.rmtree(tmp_path)


def test_report_lines():
    results = {"setup": {}, "floor": {"seconds": 2.0, "rows": 1000, "rss_mb": 200},
               "dry run": {"seconds": 2.5, "rows": 1000, "rss_mb": 210, "errors": 30},
               "commit": {"seconds": 3.0, "rows": 1000, "rss_mb": 250},
               "re-import": {"seconds": 3.2, "rows": 1000, "rss_mb": 240},
               "hr": {"seconds": 1.0, "rows": 100, "rss_mb": 150}}
    out = io.StringIO()
    assert report(results, 1000, out) is False  # re-import at 1.6x misses its 1.5x target
    lines = out.getvalue().splitlines()
    assert sum("ratio" in line for line in lines) == 3
    assert "ratio 1.25x floor (target <= 1.5x) ok" in lines[1] and "MISSED" in lines[3]
