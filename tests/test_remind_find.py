"""Finding the day's reminders: each kind on a crafted world, the right recipients, Chinese texts, no numbers."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale

from app.desk import remind
from app.desk.remind import RemindSettings, collect, find_reminders, valid_to
from app.extensions import db
from app.i18n import render
from tests.conftest import PASSWORD
from tests.remind_support import D, approvers_of, crafted_rows, holders_of


@pytest.fixture(scope="module")
def crafted(app):
    """The crafted rows, closed again after this module."""
    yield from crafted_rows(app, PASSWORD)


def _mine(c, day, **kw):
    """(kind, object_type, object_id) → recipients, for the crafted objects only."""
    ours = {("PageLoan", c.loan)} | {("Resident", r) for r in c.residents.values()} | \
        {("Application", a) for a in c.apps.values()}
    found = collect(db.session, day, RemindSettings(**kw))
    return {(r.kind, r.object_type, r.object_id): set(r.recipients) for r in found
            if (r.object_type, r.object_id) in ours}


def test_each_kind_found_with_its_recipients(app, world, crafted):
    users = world["users"]
    with app.app_context():
        got = _mine(crafted, D)
    officer, approver_a, approver_b, leader = (users[k] for k in ("t_officer", "t_approver_a", "t_approver_b",
                                                                    "t_leader"))
    u = crafted.users
    loan = got[("loan_overdue", "PageLoan", crafted.loan)]
    assert {u["loan"], officer} <= loan and approver_a not in loan
    leaver = got[("leaver_overdue", "Resident", crafted.residents["leaver"])]
    assert {u["leaver"], officer, approver_a} <= leaver and approver_b not in leaver
    assert got[("materials_missing", "Application", crafted.apps["materials"])] == {u["app"]}
    with app.app_context():  # other test modules may have added approvers of department A, or leaders
        dept_approvers, leaders = approvers_of(app.config["WORLD"]["dept_a"]), holders_of("Leader")
    assert approver_a in dept_approvers and approver_b not in dept_approvers and leader in leaders
    assert got[("approval_overdue", "Application", crafted.apps["dept"])] == dept_approvers
    assert got[("approval_overdue", "Application", crafted.apps["leader"])] == leaders
    assert ("approval_overdue", "Application", crafted.apps["fresh"]) not in got
    assert {u["id"], officer} <= got[("id_expiring", "Resident", crafted.residents["id"])]
    assert {u["app"], officer} <= got[("certificate_lapsing", "Application", crafted.apps["cert"])]
    # a leaver without an account is still chased: through the officers
    assert officer in got[("leaver_overdue", "Resident", crafted.residents["alone"])]


@pytest.mark.parametrize("offset,found", [(0, True), (1, False), (23, True), (29, True), (30, False)])
def test_id_card_notices_on_30_7_and_1_days_ahead(app, crafted, offset, found):
    day = D + dt.timedelta(days=offset)  # the card is valid until D + 30
    with app.app_context():
        got = _mine(crafted, day)
    assert (("id_expiring", "Resident", crafted.residents["id"]) in got) is found


@pytest.mark.parametrize("offset,found", [(-5, False), (-4, True), (3, True), (10, True), (11, False)])
def test_certificate_window_before_and_after_it_lapses(app, crafted, offset, found):
    day = D + dt.timedelta(days=offset)  # the permit is valid until D + 3; window 7 days either side
    with app.app_context():
        got = _mine(crafted, day)
    assert (("certificate_lapsing", "Application", crafted.apps["cert"]) in got) is found


def test_loan_not_overdue_on_its_due_day(app, crafted):
    with app.app_context():
        got = _mine(crafted, D - dt.timedelta(days=5))
    assert ("loan_overdue", "PageLoan", crafted.loan) not in got


def test_leaver_overdue_only_after_the_move_out_limit(app, crafted):
    left = D - dt.timedelta(days=40)  # HUKOU_MOVE_OUT_DAYS = 30 calendar days
    with app.app_context():
        on_time = _mine(crafted, left + dt.timedelta(days=30))
        late = _mine(crafted, left + dt.timedelta(days=31))
    assert ("leaver_overdue", "Resident", crafted.residents["leaver"]) not in on_time
    assert ("leaver_overdue", "Resident", crafted.residents["leaver"]) in late


def test_messages_are_chinese_name_the_person_link_the_object_and_hide_numbers(app, crafted):
    with app.app_context(), force_locale("zh"):
        messages = find_reminders(db.session, D, render)
    mine = [m for m in messages if (m.object_type, m.object_id) == ("PageLoan", crafted.loan)]
    assert mine and all(m.link == f"/pageloanview/show/{crafted.loan}" for m in mine)
    text = " ".join(m.subject + m.body for m in mine)
    assert "赵借页" in text and "逾期" in text and "Overdue" not in text
    everything = " ".join(m.subject + m.body for m in messages)
    assert crafted.phone not in everything
    assert not any(number in everything for number in crafted.id_numbers)
    stage = [m for m in messages if m.object_id == crafted.apps["dept"] and m.object_type == "Application"]
    assert stage and "待部门审批" in stage[0].subject and "开具户籍证明" in stage[0].subject


@pytest.mark.parametrize("note,expected", [
    ("有效期至2030-03-15", dt.date(2030, 3, 15)), ("原件已核，有效期至 2030年3月5日", dt.date(2030, 3, 5)),
    ("valid until 2030/12/01", dt.date(2030, 12, 1)), ("有效期至2030-02-30", None), ("已核对", None), (None, None)])
def test_certificate_validity_read_from_the_check_note(note, expected):
    assert valid_to(note) == expected


def test_id_notice_days_follow_the_window():
    assert remind.id_notice_days(30) == {30, 7, 1}
    assert remind.id_notice_days(5) == {5, 1}
    assert remind.id_notice_days(0) == set()


@pytest.mark.parametrize("status,chased", [("submitted", True), ("needs_materials", True), ("at_police", False),
                                           ("dept_review", False)])
def test_a_leaver_whose_move_out_is_with_the_office_is_not_chased(app, crafted, status, chased):
    from app.models import Application

    with app.app_context():
        row = Application(type="move_out", status=status, resident_id=crafted.residents["leaver"])
        db.session.add(row)
        db.session.commit()
        try:
            got = _mine(crafted, D)
        finally:
            db.session.delete(row)
            db.session.commit()
    assert (("leaver_overdue", "Resident", crafted.residents["leaver"]) in got) is chased
