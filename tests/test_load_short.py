"""Issue 6 §6, proof under load: a short run of bench/load.py (6 threads × 6 s of resident edits, uploads,
downloads, unmask reads, exports, transitions, logins and logouts) against a spawned gunicorn on this run's
database kind: no 5xx, no lost write, every logout revoked. The full run is `python bench/load.py`."""
from __future__ import annotations

import io
import struct
import zlib

import pytest

from app.domain.files import sniff
from bench.load import Edit, check_loopback, lost_edits, pdf_bytes, percentile, png_bytes, report, run_load, spawned
from tests.conftest import scratch_database

PASSWORD = "Load-short-2026"
# Every kind of work the issue names, by the endpoint label the bench records.
WORK = ("PUT /api/v1/residents/<id>", "POST /api/v1/materials/", "GET /api/v1/materials/<id>/file",
        "GET /materialview/download/<id>", "GET /api/v1/residents/<id>?unmask=1", "POST /residentview/unmask/<id>",
        "GET /export/residents/xlsx", "POST /api/v1/applications/<id>/transition", "POST /login/",
        "POST /api/v1/security/login")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One short load run on a spawned scratch instance: (outcome, printed report)."""
    with scratch_database(tmp_path_factory.mktemp("load"), "hukou_load") as url, \
            spawned(url, PASSWORD, residents=150, workers=2, threads=4) as server:
        outcome = run_load(server.base, PASSWORD, threads=6, seconds=6, seed=6)
        out = io.StringIO()
        report(outcome, f"short load ({server.dialect})", server.log, out)
    return outcome, out.getvalue()


def test_every_kind_of_work_was_sent(run):
    outcome, text = run
    samples = outcome.stats.samples
    assert all(samples.get(label) for label in WORK), text
    assert any("logout" in label for label in samples), text
    assert not outcome.ledger.bench_errors, text


def test_no_response_is_a_server_error(run):
    outcome, text = run
    assert outcome.server_errors() == {}, text


def test_no_write_is_lost(run):
    outcome, text = run
    led = outcome.ledger
    assert any(200 <= e.status < 300 for e in led.edits) and led.uploads, text
    assert outcome.lost_edits == [] and outcome.lost_uploads == [] and led.bad_downloads == [], text


def test_every_logout_revokes_the_session(run):
    outcome, text = run
    assert outcome.ledger.logouts, text
    assert outcome.unrevoked == [], text


@pytest.mark.parametrize("url", ["http://10.0.0.5:5000", "http://example.org", "http://127.0.0.2:80",
                                 "ftp://127.0.0.1/", "http://localhost.evil.example:5000"])
def test_only_loopback_is_accepted(url):
    with pytest.raises(SystemExit):
        check_loopback(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000/", "http://localhost:8000", "http://[::1]:5000"])
def test_loopback_is_accepted(url):
    assert check_loopback(url) == url.rstrip("/")


def _edit(value: str, status: int, t0: float, t1: float) -> Edit:
    return Edit(1, value, status, t0, t1)


@pytest.mark.parametrize("edits, stored, lost", [
    ([_edit("a", 200, 0, 1), _edit("b", 200, 2, 3)], "b", False),          # sequential: the last one stays
    ([_edit("a", 200, 0, 1), _edit("b", 200, 2, 3)], "a", True),           # an overwritten value came back
    ([_edit("a", 200, 0, 5), _edit("b", 200, 1, 2)], "a", False),          # overlapping: either may win
    ([_edit("a", 200, 0, 1), _edit("b", 200, 2, 3), _edit("c", 422, 4, 5)], "c", True),  # a refusal wrote
    ([_edit("a", 200, 0, 1), _edit("b", 500, 2, 3)], "b", False),          # a 500 may have committed
    ([_edit("a", 200, 0, 1)], "other", True),
    ([_edit("a", 409, 0, 1)], "other", False),                             # nothing was acknowledged
])
def test_lost_write_rule(edits, stored, lost):
    assert bool(lost_edits(edits, {1: stored})) is lost


def test_upload_files_are_valid_and_unique():
    png, pdf = png_bytes("n1"), pdf_bytes("n1")
    assert sniff(png[:1024]) == "png" and sniff(pdf[:1024]) == "pdf"
    assert png != png_bytes("n2") and pdf != pdf_bytes("n2")
    pos = 8
    while pos < len(png):  # every chunk's CRC is right and IEND ends the file
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
        pos += 12 + length
    assert pos == len(png) and kind == b"IEND"
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[startxref:startxref + 4] == b"xref" and pdf.startswith(b"%PDF-1.4")


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95 and percentile([7.0], 95) == 7


def test_office_roles_add_up():
    from bench.load_office import role_plan

    plan = role_plan(50)
    roles = {role: sum(1 for r, _a in plan if r == role) for role in ("officer", "approver", "leader", "employee")}
    assert len(plan) == 50 and roles == {"officer": 24, "approver": 16, "leader": 2, "employee": 8}
    approvers = [a for r, a in plan if r == "approver"]
    assert all(approvers.count(a) == 2 for a in set(approvers))  # two threads per account: they race


@pytest.mark.parametrize("steps, doubles", [
    ([("submit", "draft", "submitted"), ("pass_review", "submitted", "dept_review")], 0),
    ([("dept_approve", "dept_review", "leader_review"), ("dept_approve", "dept_review", "leader_review")], 1),
    ([("enter", "entry", "at_police"), ("police_reject", "at_police", "needs_materials"),
      ("submit_police", "needs_materials", "at_police")], 0),
])
def test_double_transitions_are_found_in_the_history(tmp_path, steps, doubles):
    from sqlalchemy import create_engine, text

    from bench.load_office import double_transitions

    url = f"sqlite:///{tmp_path / 'h.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE application_history (id INTEGER PRIMARY KEY, application_id INTEGER, "
                          "action TEXT, from_status TEXT, to_status TEXT)"))
        for app_id in (1, 2):  # the second application's history is always clean
            for action, old, new in (steps if app_id == 1 else steps[:1]):
                conn.execute(text("INSERT INTO application_history (application_id, action, from_status, to_status) "
                                  "VALUES (:a, :x, :f, :t)"), {"a": app_id, "x": action, "f": old, "t": new})
    engine.dispose()
    found = double_transitions(url)
    assert len(found) == doubles and all(f.startswith("application 1:") for f in found)
