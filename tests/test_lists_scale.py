"""Lists at scale (issue 11): the approver's per-department merge returns exactly the rows plain SQL would
(applications too, newest first), counts above HUKOU_EXACT_COUNT_LIMIT are PostgreSQL estimates that the screen
calls 「约」, status and type filter by exact code, and the bench measures the application, audit and to-do lists."""
from __future__ import annotations

import contextlib
import io
import re

import prison
import pytest
from sqlalchemy import text

from bench.fill import fill, make_app
from bench.fill_lists import create_auditor, fill_applications, fill_audit, maintain
from bench.list_views import SCREENS, USERS, api_headers, measure, report, web_client
from tests.conftest import scratch_database

RESIDENTS, APPLICATIONS, AUDIT = 400, 900, 1500


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """The bench's app on a scratch database of this run's kind, with residents, applications and audit rows."""
    with scratch_database(tmp_path_factory.mktemp("lists"), "hukou_lists") as url:
        app = make_app(url)
        world = fill(app, RESIDENTS)
        fill_applications(app, APPLICATIONS)
        create_auditor(app)
        fill_audit(app, AUDIT)
        maintain(app)  # statistics, so PostgreSQL's estimates are those of a maintained database
        yield app, world
        from app.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def headers(bench):
    """JWT headers per bench user."""
    app, _world = bench
    return {key: api_headers(app, name, f"10.78.0.{n + 1}") for n, (key, name) in enumerate(USERS.items())}


def _sql_ids(app, sql: str) -> list[int]:
    """Ids from plain SQL on the bench database."""
    with app.app_context():
        from app.extensions import db

        return list(db.session.scalars(text(sql)))


def _api(app, headers, path: str, **q):
    """GET a list through the REST API."""
    r = app.test_client().get(f"{path}?q={prison.dumps(q)}", headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r


@pytest.mark.parametrize("user", list(USERS))
@pytest.mark.parametrize("order, direction, page, status", [
    ("id", "desc", 0, None), ("id", "desc", 3, None), ("id", "asc", 2, None),
    ("submitted_at", "desc", 1, None), ("submitted_at", "asc", 0, "completed"), ("id", "desc", 1, "completed"),
])
def test_application_pages_match_plain_sql(bench, headers, user, order, direction, page, status):
    app, world = bench
    q = {"order_column": order, "order_direction": direction, "page": page, "page_size": 25}
    if status:
        q["filters"] = [{"col": "status", "opr": "eq", "value": status}]
    got = [row["id"] for row in _api(app, headers[user], "/api/v1/applications/", **q).get_json()["result"]]
    where = ["1=1"]
    if user == "approver":
        where.append(f"department_id IN ({','.join(map(str, world.approver_departments))})")
    if status:
        where.append(f"status = '{status}'")
    # NULL submitted_at: SQLite sorts NULL first ascending, PostgreSQL last; the database decides, as in the app
    sql = (f"SELECT id FROM application WHERE {' AND '.join(where)} ORDER BY {order} {direction}, id {direction} "
           f"LIMIT 25 OFFSET {page * 25}")
    expected = _sql_ids(app, sql)
    assert got == expected and len(got) == 25


@contextlib.contextmanager
def _count_with_limit(app, limit: int):
    """HUKOU_EXACT_COUNT_LIMIT set for the duration of a block."""
    old = app.config.get("HUKOU_EXACT_COUNT_LIMIT")
    app.config["HUKOU_EXACT_COUNT_LIMIT"] = limit
    try:
        yield
    finally:
        app.config["HUKOU_EXACT_COUNT_LIMIT"] = old


def _is_postgres(app) -> bool:
    """Whether the bench database is PostgreSQL."""
    with app.app_context():
        from app.extensions import db

        return db.engine.dialect.name == "postgresql"


@pytest.mark.parametrize("limit", [50, 100_000, 0])
def test_count_exact_or_called_an_estimate(bench, headers, limit):
    app, _world = bench
    estimated = limit == 50 and _is_postgres(app)  # only PostgreSQL estimates, and only above the limit
    with _count_with_limit(app, limit):
        r = _api(app, headers["officer"], "/api/v1/residents/", page=0, page_size=25)
        page = web_client(app, USERS["officer"], "10.78.1.1").get("/residentview/list/").get_data(as_text=True)
    assert (r.headers.get("X-Count-Estimated") == "1") is estimated
    count = r.get_json()["count"]
    if estimated:
        assert count > limit and abs(count - RESIDENTS) <= RESIDENTS * 0.2  # the planner's figure, near the truth
        assert f"约 {count:,}" in page
    else:
        assert count == RESIDENTS and "约 " not in page
        assert re.search(r"记录数:</strong>\s*(\d+)\s*</div>", page).group(1) == str(RESIDENTS)


def test_big_filtered_list_is_checked_then_estimated(bench, headers):
    app, world = bench
    (dept_rows,) = _sql_ids(app, f"SELECT count(*) FROM resident WHERE department_id = {world.department_ids[0]}")
    assert dept_rows > 50
    with _count_with_limit(app, 50):
        r = _api(app, headers["officer"], "/api/v1/residents/", page=0, page_size=25,
                 filters=[{"col": "department_id", "opr": "eq", "value": world.department_ids[0]}])
    count, estimated = r.get_json()["count"], r.headers.get("X-Count-Estimated") == "1"
    assert estimated is _is_postgres(app)
    assert count == dept_rows if not estimated else (count > 50 and abs(count - dept_rows) <= dept_rows * 0.2)


def test_small_filtered_list_is_counted_exactly_under_a_low_limit(bench, headers):
    app, world = bench
    (dept_rows,) = _sql_ids(app, f"SELECT count(*) FROM resident WHERE department_id = {world.department_ids[5]}")
    assert dept_rows < 50
    with _count_with_limit(app, 50):
        r = _api(app, headers["officer"], "/api/v1/residents/", page=0, page_size=25,
                 filters=[{"col": "department_id", "opr": "eq", "value": world.department_ids[5]}])
    assert r.get_json()["count"] == dept_rows and "X-Count-Estimated" not in r.headers


@pytest.mark.parametrize("flt, value, expected_sql", [
    ("_flt_0_status", "completed", "status = 'completed'"),
    ("_flt_1_status", "completed", "status <> 'completed'"),
    ("_flt_0_type", "move_in", "type = 'move_in'"),
])
def test_status_and_type_filter_by_exact_code(bench, flt, value, expected_sql):
    app, _world = bench
    client = web_client(app, USERS["officer"], "10.78.2.1")
    page = client.get(f"/applicationview/list/?{flt}={value}&psize_ApplicationView=100").get_data(as_text=True)
    (expected,) = _sql_ids(app, f"SELECT count(*) FROM application WHERE {expected_sql}")
    assert re.search(r"记录数:</strong>\s*(\d+)\s*</div>", page).group(1) == str(expected)


@pytest.mark.parametrize("screen", ["applications", "audit", "todo"])
def test_bench_measures_the_other_lists(bench, screen):
    app, world = bench
    results = measure(app, world, reps=1, warmup=0, screen=SCREENS[screen])
    spec = SCREENS[screen]
    channels = ("UI", "API") if spec.api_path else ("UI",)
    assert {(r.channel, r.user, r.case) for r in results} == {
        (c, u, k) for c in channels for u in spec.users for k in spec.cases}
    assert all(r.median_ms > 0 and r.sql_ms > 0 and r.statements > 0 for r in results)
    out = io.StringIO()
    rows = AUDIT if screen == "audit" else APPLICATIONS
    report(results, rows, "any", out, screen=screen)
    assert f"{screen}: {rows:,} rows" in out.getvalue() and "-> 60 ms here" in out.getvalue()
