"""The monthly report: each figure recomputed from raw rows created here, row scope, API shape, CLI xlsx."""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.domain.idnumber import make_id
from app.extensions import db
from app.models import (Application, ApplicationHistory, Department, PageLoan, Resident, UserDepartment)
from app.reports import monthly, periods
from app.security.actor import actor_of, cli_actor
from tests.conftest import PASSWORD

SH = ZoneInfo("Asia/Shanghai")
MONTH = "2025-03"
TODAY = dt.date(2026, 12, 1)


def utc(local: str) -> dt.datetime:
    """'2025-03-05 09:00' Shanghai time → naive UTC as stored."""
    return dt.datetime.fromisoformat(local).replace(tzinfo=SH).astimezone(dt.timezone.utc).replace(tzinfo=None)


def _resident(dept, name, seq, **kw):
    """A resident of the statistics department (birth date keeps ID numbers unique)."""
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=seq)
    r = Resident(name=name, gender="M", birth_date=birth, id_number=make_id("420102", birth, 801 + 2 * (seq % 50)),
                 department=dept, status=kw.pop("status", "active"), **kw)
    db.session.add(r)
    return r


def _app(resident, typ, steps, **kw):
    """An application with its history: steps = [(action, from, to, local time)]; status = the last target."""
    done = utc(steps[-1][3]) if steps[-1][2] == "completed" else None  # as the workflow sets it
    a = Application(type=typ, resident=resident, department_id=resident.department_id, status=steps[-1][2],
                    completed_at=done, **kw)
    db.session.add(a)
    db.session.flush()
    for action, src, dst, at in steps:
        db.session.add(ApplicationHistory(application_id=a.id, action=action, from_status=src, to_status=dst,
                                          username="t", at=utc(at)))
    return a


@pytest.fixture(scope="module")
def stats(app):
    """A department of its own with residents, moves, loans and applications around March 2025."""
    with app.app_context():
        dept = Department(code="STAT", name="统计测试部")
        db.session.add(dept)
        db.session.flush()
        old = dt.datetime(2020, 1, 1)
        r1 = _resident(dept, "赵一", 1, move_in_date=dt.date(2024, 1, 10))
        r2 = _resident(dept, "钱二", 2, move_in_date=dt.date(2024, 6, 1), leave_date=dt.date(2025, 3, 5),
                       status="leaving")
        r3 = _resident(dept, "孙三", 3, move_in_date=dt.date(2025, 3, 1), moved_from="湖北省武汉市（原户籍地）")
        r4 = _resident(dept, "李四", 4, move_in_date=dt.date(2023, 1, 1), leave_date=dt.date(2025, 3, 1),
                       move_out_date=dt.date(2025, 3, 20), status="moved_out")
        _resident(dept, "周五", 5, move_in_date=dt.date(2023, 1, 1), move_out_date=dt.date(2025, 2, 15),
                  status="moved_out")
        r6 = _resident(dept, "吴六", 6, created_on=old)  # registered before the system: no move-in date
        r7 = _resident(dept, "郑七", 7, created_on=old)  # pending move-in: not in the household yet
        r8 = _resident(dept, "王八", 8, move_in_date=dt.date(2025, 4, 1))
        db.session.flush()
        _app(r3, "move_in", [("complete", "at_police", "completed", "2025-03-01 00:30")], pathway="人才引进")
        _app(r8, "move_in", [("complete", "at_police", "completed", "2025-04-01 01:30")], pathway="人才引进")
        _app(r7, "move_in", [("submit", "draft", "submitted", "2025-03-02 10:00")])
        _app(r4, "move_out", [("complete", "at_police", "completed", "2025-03-20 15:00")], reason="购房迁出",
             destination="浙江省杭州市西湖区（购房地址）")
        _app(r1, "certificate", [("submit", "draft", "submitted", "2025-03-03 09:00"),
                                 ("pass_review", "submitted", "dept_review", "2025-03-05 10:00"),
                                 ("dept_approve", "dept_review", "leader_review", "2025-03-06 10:00"),
                                 ("leader_approve", "leader_review", "completed", "2025-03-10 10:00")])
        _app(r2, "info_change", [("submit", "draft", "submitted", "2025-02-25 09:00"),
                                 ("request_materials", "submitted", "needs_materials", "2025-02-27 09:00"),
                                 ("submit", "needs_materials", "submitted", "2025-03-02 09:00"),
                                 ("pass_review", "submitted", "dept_review", "2025-03-04 09:00")])
        _app(r6, "certificate", [("submit", "draft", "submitted", "2025-02-03 09:00"),
                                 ("pass_review", "submitted", "dept_review", "2025-02-05 09:00")])
        db.session.add_all([
            PageLoan(resident_id=r1.id, lent_on=dt.date(2025, 3, 3), due_on=dt.date(2025, 3, 18),
                     returned_on=dt.date(2025, 3, 10)),
            PageLoan(resident_id=r2.id, lent_on=dt.date(2025, 2, 20), due_on=dt.date(2025, 3, 7),
                     returned_on=dt.date(2025, 4, 2)),
            PageLoan(resident_id=r6.id, lent_on=dt.date(2025, 3, 25), due_on=dt.date(2025, 4, 9)),
        ])
        sm = app.appbuilder.sm
        user = sm.add_user("t_stat_approver", "统计", "审批人", "stat@example.test", sm.find_role("DeptApprover"),
                           password=PASSWORD)
        db.session.add(UserDepartment(user_id=user.id, department_id=dept.id))
        db.session.commit()
        yield {"dept": dept.id, "user": user.id}


def approver(app, stats):
    """The Actor of the statistics department's approver."""
    from flask_appbuilder.security.sqla.models import User

    return actor_of(db.session.get(User, stats["user"]))


def test_scoped_figures_are_exact(app, stats):
    """The approver of the department sees exactly the rows made above (hand-counted)."""
    with app.app_context():
        r = monthly.build(db.session, approver(app, stats), periods.month(MONTH), TODAY)
    assert r["month"] == MONTH
    assert r["moves_in"] == {"total": 1, "by_department": {"统计测试部": 1}, "by_type": {"人才引进": 1},
                             "by_province": {"42": 1}}
    assert r["moves_out"] == {"total": 1, "by_department": {"统计测试部": 1}, "by_type": {"home": 1},
                              "by_province": {"33": 1}}
    assert (r["residents_at_start"], r["departures"], r["departure_rate"]) == (4, 2, 0.5)
    assert r["loans"] == {"lent": 2, "returned": 1, "overdue": 1}
    assert (r["first_pass"], r["first_pass_rate"]) == ({"passed": 2, "first_pass": 1}, 0.5)
    stages = r["stage_workdays"]
    assert stages["submitted"] == {"count": 2, "average": 2.0, "p90": 2}
    assert stages["dept_review"] == {"count": 1, "average": 1.0, "p90": 1}
    assert stages["leader_review"] == {"count": 1, "average": 2.0, "p90": 2}


def test_dashboard_agrees_with_the_report(app, stats):
    """The dashboard's trend (read from completed_at) counts the same moves as the report (history), month by
    month, local time; its residents by status are the department's rows."""
    from app.reports import dashboard

    with app.app_context():
        actor = approver(app, stats)
        trend = {m["month"]: m for m in dashboard.trend(db.session, actor, dt.date(2025, 4, 15))}
        for month in ("2025-03", "2025-04"):
            r = monthly.build(db.session, actor, periods.month(month), TODAY)
            assert (trend[month]["move_in"], trend[month]["move_out"]) == (r["moves_in"]["total"],
                                                                           r["moves_out"]["total"])
        data = dashboard.build(db.session, actor, dt.date(2025, 4, 20), 30)  # April: r8 moved in, L3 overdue
    assert data["residents_by_status"] == {"pending_in": 0, "active": 5, "leaving": 1, "moved_out": 2, "frozen": 0}
    assert data["moves_in"]["total"] == 1 and data["overdue"]["loans"] == 1
    assert data["applications_by_stage"]["submitted"] == 1 and data["applications_by_stage"]["dept_review"] == 2


def test_other_department_sees_none_of_it(app, stats):
    """An approver of another department gets none of these rows."""
    with app.app_context():
        from flask_appbuilder.security.sqla.models import User

        other = actor_of(db.session.scalar(select(User).where(User.username == "t_approver_b")))
        r = monthly.build(db.session, other, periods.month(MONTH), TODAY)
    assert "统计测试部" not in r["moves_in"]["by_department"]
    assert r["moves_in"]["total"] == 0 and r["loans"]["lent"] == 0 and r["first_pass"]["passed"] == 0


def _local_month(at: dt.datetime) -> str:
    local = at.replace(tzinfo=dt.timezone.utc).astimezone(SH)
    return f"{local.year:04d}-{local.month:02d}"


def test_unit_wide_figures_recomputed_from_raw_rows(app, stats):
    """Every unit-wide figure equals a plain-Python recount over all rows of the database."""
    with app.app_context():
        r = monthly.build(db.session, cli_actor(), periods.month(MONTH), TODAY)
        apps = {a.id: a for a in db.session.scalars(select(Application))}
        hist = sorted(db.session.scalars(select(ApplicationHistory)), key=lambda h: h.id)
        residents = list(db.session.scalars(select(Resident)))
        loans = list(db.session.scalars(select(PageLoan)))
        names = {d.id: d.name for d in db.session.scalars(select(Department))}
        has_move_in = {a.resident_id for a in apps.values() if a.type == "move_in"}
    start, end = dt.date(2025, 3, 1), dt.date(2025, 4, 1)
    done = [h for h in hist if h.to_status == "completed" and _local_month(h.at) == MONTH]
    for typ, key in (("move_in", "moves_in"), ("move_out", "moves_out")):
        mine = [apps[h.application_id] for h in done if apps[h.application_id].type == typ]
        assert r[key]["total"] == len(mine)
        assert r[key]["by_department"] == dict(Counter(names.get(a.department_id, "") for a in mine))
    at_start = [x for x in residents
                if ((x.move_in_date and x.move_in_date < start)
                    or (x.move_in_date is None and x.created_on < dt.datetime(2025, 3, 1) and x.id not in has_move_in))
                and ((x.move_out_date and x.move_out_date >= start) or (x.move_out_date is None
                                                                        and x.status != "moved_out"))]
    left = [x for x in residents if x.leave_date and start <= x.leave_date < end]
    assert (r["residents_at_start"], r["departures"]) == (len(at_start), len(left))
    assert r["departure_rate"] == round(len(left) / len(at_start), 4)
    cut = dt.date(2025, 3, 31)
    assert r["loans"] == {
        "lent": sum(start <= x.lent_on < end for x in loans),
        "returned": sum(bool(x.returned_on and start <= x.returned_on < end) for x in loans),
        "overdue": sum(x.lent_on <= cut and x.due_on < cut and (x.returned_on is None or x.returned_on > cut)
                       for x in loans)}
    by_app: dict[int, list] = {}
    for h in hist:
        by_app.setdefault(h.application_id, []).append(h)
    passed = clean = 0
    for rows in by_app.values():
        first = next((h for h in rows if h.action == "pass_review"), None)
        if first and _local_month(first.at) == MONTH:
            passed += 1
            clean += not any(h.to_status == "needs_materials" and h.id < first.id for h in rows)
    assert r["first_pass"] == {"passed": passed, "first_pass": clean}
    assert r["first_pass_rate"] == (round(clean / passed, 4) if passed else None)


def test_percentile_is_nearest_rank():
    """p90 of 1..10 is 9, of one value the value itself; none for no values."""
    from app.reports.kpis import percentile

    assert percentile(list(range(10, 0, -1)), 0.9) == 9
    assert percentile([4], 0.9) == 4 and percentile([], 0.9) is None
    assert percentile(list(range(1, 21)), 0.9) == math.ceil(0.9 * 20)


@pytest.mark.parametrize("text", ["2025-13", "25-03", "2025/03", "", "abcd-ef", "2025-00"])
def test_bad_month_is_refused(text):
    """A month that is not YYYY-MM raises a DomainError naming the field."""
    from app.domain.errors import DomainError

    with pytest.raises(DomainError) as err:
        periods.month(text)
    assert err.value.code == "bad_month"


def test_move_out_kinds_and_provinces():
    """Reasons map to kinds; destinations and ID numbers to provinces."""
    from app.reports.figures import move_out_kind
    from app.reports.regions import province_in_text, province_of_id

    assert move_out_kind("离职后迁回原籍", None) == "resign"
    assert move_out_kind("调入新单位，迁入其集体户", None) == "collective"
    assert move_out_kind(None, "配偶户籍地") == "spouse"
    assert move_out_kind("其它", "") == "other"
    assert province_in_text("内蒙古呼和浩特市（原籍）") == "15"
    assert province_in_text("广西南宁") == "45" and province_in_text("不详") is None
    assert province_of_id("11010519491231002X") == "11" and province_of_id("99") is None
