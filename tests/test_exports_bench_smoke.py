"""Smoke test of bench/export_section.py on 200 residents (no time thresholds): both measurements run and
print a ratio line; our file and the bare one hold the same rows."""
from __future__ import annotations

import pytest

from bench.export_section import child_bare, child_ours, export_section, fill_database


@pytest.fixture(scope="module")
def bench_url():
    """A temporary SQLite bench database with 200 residents."""
    url, tmp = fill_database(None, 200)
    yield url
    tmp.cleanup()


def test_both_sides_write_the_same_rows(bench_url, tmp_path):
    ours = child_ours(bench_url, str(tmp_path / "ours.xlsx"))
    bare = child_bare(bench_url, str(tmp_path / "bare.xlsx"))
    assert ours["rows"] == bare["rows"] == 200 and ours["seconds"] > 0 and bare["rss_mb"] > 0


def test_section_prints_a_ratio(bench_url):
    lines = export_section(bench_url, reps=1)
    assert len(lines) == 3 and "ratio" in lines[2] and "peak RSS" in lines[1]
