"""「统计」 over the web, the REST API and the CLI: permissions, API shape, 400s in Chinese, audited xlsx."""
from __future__ import annotations

import io
import re

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog

MONTH = "2024-07"
READERS = {"t_officer", "t_leader", "t_auditor", "t_admin", "t_approver_a"}
EXPORTERS = READERS - {"t_approver_a"}
ALL = ["t_officer", "t_leader", "t_auditor", "t_admin", "t_approver_a", "t_hr", "t_finance", "t_employee_a"]


def export_rows(app) -> int:
    """How many report exports the audit trail holds."""
    with app.app_context():
        return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "export",
                                                                       AuditLog.object_type == "Report"))


@pytest.mark.parametrize("user", ALL)
def test_api_monthly_permissions_and_shape(api, user):
    """Readers get the issue's keys; other roles 403."""
    c, headers = api(user)
    r = c.get(f"/api/v1/reports/monthly?month={MONTH}", headers=headers)
    assert r.status_code == (200 if user in READERS else 403)
    if r.status_code == 200:
        body = r.get_json()
        assert body["month"] == MONTH
        for key in ("moves_in", "moves_out"):
            assert set(body[key]) >= {"total", "by_department", "by_type"}
        assert set(body["loans"]) == {"lent", "returned", "overdue"}
        for key in ("departures", "departure_rate", "first_pass_rate"):
            assert key in body


@pytest.mark.parametrize("query", ["month=2024-13", "month=July", "", "month="])
def test_api_bad_month_is_400_in_chinese(api, query):
    """A bad or missing month is a 400 whose message is Chinese and names the month."""
    c, headers = api("t_officer")
    r = c.get(f"/api/v1/reports/monthly?{query}", headers=headers)
    assert r.status_code == 400
    assert "月份" in r.get_json()["message"]


def test_api_annual_has_a_row_per_month(api):
    """The annual summary carries the year's figures and one row per month."""
    c, headers = api("t_auditor")
    body = c.get("/api/v1/reports/annual?year=2024", headers=headers).get_json()
    assert body["year"] == "2024" and [m["month"] for m in body["months"]] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert sum(m["moves_in"] for m in body["months"]) == body["moves_in"]["total"]


@pytest.mark.parametrize("user", ALL)
def test_pages_by_role(login, user):
    """Dashboard and report pages for readers (charts as data attributes, no inline script); 403 otherwise."""
    c = login(user)
    for url in ("/reports/dashboard", f"/reports/monthly?month={MONTH}", "/reports/annual?year=2024"):
        r = c.get(url)
        assert r.status_code == (200 if user in READERS else 403), url
        if r.status_code == 200:
            html = r.get_data(as_text=True)
            assert "data-hk-chart=" in html and "vendor/echarts/echarts.min.js" in html
            inline = re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", html)
            assert not inline, "inline script on " + url


def test_bad_month_page_is_400_with_message(login):
    """The page explains a bad month in Chinese."""
    r = login("t_officer").get("/reports/monthly?month=2024-99")
    assert r.status_code == 400 and "月份" in r.get_data(as_text=True)


def test_echarts_is_served_locally_with_its_licence(client):
    """ECharts comes from the app's own static files, licence alongside."""
    assert client.get("/static/vendor/echarts/echarts.min.js").status_code == 200
    assert b"Apache License" in client.get("/static/vendor/echarts/LICENSE").data


@pytest.mark.parametrize("user", ["t_officer", "t_auditor", "t_approver_a", "t_employee_a"])
def test_xlsx_download_is_audited(app, login, user):
    """Exporters get the workbook (same tables as the page) and an audit row; others are refused."""
    before = export_rows(app)
    r = login(user).get(f"/reports/monthly/xlsx?month={MONTH}")
    if user not in EXPORTERS:
        assert r.status_code == 403 and export_rows(app) == before
        return
    assert r.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(r.data))
    assert len(book.sheet_names) >= 6 and book.get_sheet_by_index(0).to_python()[0][0]
    assert export_rows(app) == before + 1


def test_cli_writes_xlsx_and_audits(app, tmp_path):
    """`hukou report monthly YYYY-MM OUT.xlsx` writes the file and an audit row; a bad month exits non-zero."""
    out = tmp_path / "月报.xlsx"
    before = export_rows(app)
    res = app.test_cli_runner().invoke(args=["hukou", "report", "monthly", MONTH, str(out)])
    assert res.exit_code == 0, res.output
    labels = [row[0] for row in CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()]
    assert "迁入" in labels and "离职率" in labels
    assert export_rows(app) == before + 1
    bad = app.test_cli_runner().invoke(args=["hukou", "report", "monthly", "2024-13", str(tmp_path / "x.xlsx")])
    assert bad.exit_code != 0 and not (tmp_path / "x.xlsx").exists()
