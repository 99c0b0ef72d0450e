"""The fixed cost of a list request (issue 11): how many SQL statements one authenticated list page, list API
call and to-do API call runs, for an officer and a department approver, on this run's database. Not timed: the
count is deterministic. Also: the shortcuts that bring the count down keep revocation, scope and locale."""
from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event, update

from tests.conftest import api_token, make_client, web_login

# Statements per request after the fixed cost was cut, plus one of margin (measured: 8, 9, 8, 8 on both databases;
# SQLite counts its explicit BEGIN, PostgreSQL an EXPLAIN for the bounded count). Before: 13-14 per list page, 12 per
# list API call. Fixed part now: the user with roles and groups (+ the browser session row), the row scope; pages
# add the unread badge and the department filter's choices; the API adds the Public-role and revoked-token checks.
BOUNDS = {
    ("web", "/residentview/list/"): 9,
    ("web", "/applicationview/list/"): 10,
    ("api", "/api/v1/residents/"): 9,
    ("api", "/api/v1/applications/"): 9,
}
# The to-do API: the fixed part (4-5) plus each queue's count, and items and history for each non-empty queue
# (other modules add applications, so this is the bound with every queue of the role non-empty; was 27-28).
TODO_BOUNDS = {"t_officer": 24, "t_approver_a": 10}
USERS = ("t_officer", "t_approver_a")


@pytest.fixture(scope="module", autouse=True)
def one_application(app):
    """An application in the first department, so both users' application lists have a page to load (an empty
    list stops after its count; other modules may or may not have added applications)."""
    from app.extensions import db
    from app.models import Application

    world = app.config["WORLD"]
    with app.app_context():
        row = Application(type="move_in", status="submitted", resident_id=world["res_a"],
                          department_id=world["dept_a"], created_by_id=world["users"]["t_officer"])
        db.session.add(row)
        db.session.commit()
        return row.id


@contextlib.contextmanager
def statements(app):
    """Collect the SQL statements the engine runs inside the block."""
    from app.extensions import db

    seen: list[str] = []

    def _on_execute(_conn, _cursor, statement, _params, _ctx, _many):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _on_execute)


def _count(app, client, path: str, headers: dict | None = None) -> list[str]:
    """The statements of one GET after a warm-up GET of the same path (so caches are in their steady state)."""
    assert client.get(path, headers=headers or {}).status_code == 200
    with statements(app) as seen:
        r = client.get(path, headers=headers or {})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return seen


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("channel,path", sorted(BOUNDS))
def test_list_request_statements_are_bounded(app, username, channel, path):
    """An officer's and an approver's list page / list API call stay within the statement budget."""
    if channel == "web":
        seen = _count(app, web_login(app, username), path)
    else:
        seen = _count(app, make_client(app), path, api_token(app, username))
    bound = BOUNDS[(channel, path)]
    assert len(seen) <= bound, f"{len(seen)} statements > {bound}:\n" + "\n".join(x[:160] for x in seen)


@pytest.mark.parametrize("username", USERS)
def test_todo_api_statements_are_bounded(app, username):
    """The to-do API's statements: the fixed part plus the role's queues."""
    seen = _count(app, make_client(app), "/api/v1/todo/", api_token(app, username))
    bound = TODO_BOUNDS[username]
    assert len(seen) <= bound, f"{len(seen)} statements > {bound}:\n" + "\n".join(x[:160] for x in seen)


def test_fixed_part_reads_each_security_table_once(app):
    """User, roles, groups and the browser session come in one statement; the row scope in one more."""
    seen = _count(app, web_login(app, "t_approver_a"), "/residentview/list/")
    user_reads = [s for s in seen if "FROM ab_user" in s]
    assert len(user_reads) == 1, user_reads
    assert "login_session" in user_reads[0] and "ab_role" in user_reads[0] and "ab_group" in user_reads[0]
    assert not [s for s in seen if s.startswith("SELECT login_session") or "FROM ab_role, ab_user_role" in s]
    assert len([s for s in seen if "user_department" in s or "user_resident" in s]) == 1


def test_revoked_session_still_refused_on_the_next_list_page(app):
    """The session row read together with the user is checked on every request: a revoked one signs out."""
    from app.extensions import db
    from app.models import LoginSession

    client = web_login(app, "t_officer")
    assert client.get("/residentview/list/").status_code == 200
    with app.app_context():
        user_id = app.config["WORLD"]["users"]["t_officer"]
        from app.models.base import utcnow

        db.session.execute(update(LoginSession).where(LoginSession.user_id == user_id,
                                                      LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
        db.session.commit()
    r = client.get("/residentview/list/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_approver_scope_still_applies(app, world):
    """The row scope read in one statement still limits an approver to their own department."""
    r = make_client(app).get("/api/v1/residents/?q=(page_size:100)", headers=api_token(app, "t_approver_a"))
    assert r.status_code == 200
    ids = set(r.get_json()["ids"])
    assert world["res_a"] in ids and world["res_b"] not in ids


def test_translations_follow_a_forced_locale(app):
    """The per-request catalogue gives way to force_locale and comes back after it."""
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"):
        chinese = gettext("Name")
        with force_locale("en"):
            assert gettext("Name") == "Name"
        assert gettext("Name") == chinese != "Name"
