"""The Admin's calendar: import a year from CSV/xlsx (CLI and page), edit single days, the cache follows."""
import datetime as dt
import io

import pytest
from sqlalchemy import delete, select

from app.calendar import service, workdays
from app.calendar.workdays import is_workday, years_without_data
from app.cli import hukou_cli
from app.extensions import db
from app.i18n import render
from app.models import AuditLog
from app.models.calendar import CalendarDay, CalendarYear
from tests.world import USERS

D = dt.date
NOTICE_2027 = ("日期,类型,名称\n2027-01-01,放假,元旦\n2027-02-05,放假,春节\n2027-02-06,放假,春节\n"
               "2027-02-08,放假,春节\n2027-02-09,放假,春节\n2027-02-10,放假,春节\n2027-02-11,放假,春节\n"
               "2027-02-20,上班,春节调休上班\n")


@pytest.fixture
def clean_2027(app):
    """Whatever a test imports for 2027 is removed afterwards: 2027 stays a year without official data."""
    yield
    with app.app_context():
        db.session.execute(delete(CalendarDay).where(CalendarDay.day >= D(2027, 1, 1)))
        db.session.execute(delete(CalendarYear).where(CalendarYear.year >= 2027))
        db.session.commit()
        workdays.invalidate()


def test_parse_rows_reads_dates_kinds_and_names():
    rows = service.parse_rows([["日期", "类型", "名称"], ["2027/1/1", "放假", "元旦"], ["2027年2月20日", "上班", ""],
                               [None, None, None]])
    assert rows == [(D(2027, 1, 1), "holiday", "元旦"), (D(2027, 2, 20), "workday", "")]


@pytest.mark.parametrize("rows, code", [
    ([["date", "名称"], ["2027-01-01", "元旦"]], "cal_header"),
    ([["日期", "类型", "名称"], ["2027-01-01", "休假吧", "元旦"]], "cal_row"),
    ([["日期", "类型", "名称"], ["2027-02-30", "放假", "x"]], "cal_row"),
    ([["日期", "类型", "名称"]], "cal_empty"),
    ([["日期", "类型"], ["2027-01-01", "放假"], ["2027-01-01", "放假"]], "cal_duplicate"),
])
def test_parse_rows_refuses_bad_files_with_a_chinese_message(app, rows, code):
    with pytest.raises(service.CalendarFileError) as err:
        service.parse_rows(rows)
    assert err.value.code == code
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        text = render(err.value.messages[0])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text


def test_cli_import_makes_2027_official(app, tmp_path, clean_2027):
    path = tmp_path / "2027.csv"
    path.write_text(NOTICE_2027, encoding="utf-8-sig")
    with app.app_context():
        workdays.invalidate()
        assert is_workday(D(2027, 10, 4)) is False  # law fallback: 补假 for National Day on the weekend
    result = app.test_cli_runner().invoke(hukou_cli, ["calendar", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2027 年：已导入 7 天" in result.stdout  # 2 Feb-6 (Saturday) is skipped: not a deviation
    assert "跳过 1 行" in result.stdout
    with app.app_context():
        assert years_without_data([2027]) == []
        assert is_workday(D(2027, 2, 9)) is False and is_workday(D(2027, 2, 20)) is True
        assert is_workday(D(2027, 10, 4)) is True  # official year: only the file's days deviate
        audit = db.session.scalar(select(AuditLog).where(AuditLog.object_type == "CalendarYear",
                                                         AuditLog.object_id == "2027"))
        assert audit is not None and audit.action == "import"
    out = app.test_cli_runner().invoke(hukou_cli, ["workdays", "2026-12-31", "1"])
    assert out.stdout.strip() == "2027-01-04" and "警告" not in out.stderr


def test_cli_import_of_a_bad_file_changes_nothing(app, tmp_path, clean_2027):
    path = tmp_path / "bad.csv"
    path.write_text("日期,类型,名称\n2027-01-01,放假,元旦\n2027-13-01,放假,错\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(hukou_cli, ["calendar", "import", str(path)])
    assert result.exit_code == 1 and "第 3 行" in result.stderr
    with app.app_context():
        assert years_without_data([2027]) == [2027]
        assert db.session.scalar(select(CalendarDay).where(CalendarDay.day == D(2027, 1, 1))) is None


@pytest.mark.parametrize("user", sorted(USERS))
def test_calendar_page_is_the_admins(login, user):
    r = login(user).get("/calendardayview/list/")
    assert r.status_code == (200 if user == "t_admin" else 403)
    if r.status_code == 200:
        body = r.get_data(as_text=True)
        assert "工作日历" in body and "导入年度安排" in body and "2027 年尚无官方节假日安排" in body


@pytest.mark.parametrize("user", ["t_admin", "t_officer"])
def test_import_page(app, login, user, clean_2027):
    c = login(user)
    data = {"csrf_token": c.csrf, "file": (io.BytesIO(NOTICE_2027.encode("utf-8")), "2027年放假安排.csv")}
    r = c.post("/workcalendar/import", data=data, content_type="multipart/form-data")
    with app.app_context():
        imported = years_without_data([2027]) == []
    if user != "t_admin":
        assert r.status_code == 403 and not imported
        return
    assert r.status_code == 302 and imported
    page = c.get("/calendardayview/list/").get_data(as_text=True)
    assert "已导入 7 天" in page and "春节调休上班" in page


def test_admin_edits_a_day_and_lookups_follow(app, login, clean_2027):
    with app.app_context():
        workdays.invalidate()
        assert is_workday(D(2027, 3, 1)) is True  # warm the cache: the edit below must invalidate it
    c = login("t_admin")
    r = c.post("/calendardayview/add", data={"csrf_token": c.csrf, "day": "2027-03-01", "kind": "holiday",
                                             "name": "测试放假"})
    assert r.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(CalendarDay).where(CalendarDay.day == D(2027, 3, 1)))
        assert row is not None and row.source == "admin"
        assert is_workday(D(2027, 3, 1)) is False
        row_id = row.id
    again = c.post("/calendardayview/add", data={"csrf_token": c.csrf, "day": "2027-03-01", "kind": "workday",
                                                 "name": "重复"}, follow_redirects=True)
    assert "该值已存在" in again.get_data(as_text=True)  # FAB's unique validator, under 日期
    r = c.post(f"/calendardayview/delete/{row_id}", data={"csrf_token": c.csrf})
    assert r.status_code == 302
    with app.app_context():
        assert is_workday(D(2027, 3, 1)) is True
