"""`flask hukou export …`: whole lists to xlsx/CSV as the system actor, masked unless --unmask, audited."""
from __future__ import annotations

import csv
import io
import json

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Resident


def run(app, *args):
    """Invoke `flask hukou export …`."""
    return app.test_cli_runner().invoke(args=["hukou", "export", *map(str, args)])


def last_export(app) -> AuditLog:
    """The newest export audit row."""
    with app.app_context():
        return db.session.scalars(select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id.desc())).first()


def test_cli_exports_every_resident_masked(app, tmp_path, world):
    out = tmp_path / "名单.xlsx"
    result = run(app, "residents", out)
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Resident))
    assert len(rows) - 1 == total and "张三" in {r[0] for r in rows}
    assert all("*" in r[3] for r in rows[1:] if r[3])
    entry = last_export(app)
    assert entry.username == "系统（命令行导出）" and json.loads(entry.detail) == {
        "rows": total, "unmasked": False, "format": "xlsx", "filters": {}, "via": "cli"}
    assert not list(tmp_path.glob("*.part"))


def test_cli_unmask_and_csv(app, tmp_path, world):
    out = tmp_path / "r.csv"
    assert run(app, "residents", out, "--unmask").exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][0] == "姓名" and all("*" not in r[3] for r in rows[1:])
    assert json.loads(last_export(app).detail)["unmasked"] is True


@pytest.mark.parametrize("kind", ["applications", "materials", "loans", "fees"])
def test_cli_other_lists(app, tmp_path, kind):
    out = tmp_path / f"{kind}.xlsx"
    result = run(app, kind, out)
    assert result.exit_code == 0, result.output
    assert CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()[0][0]


def test_cli_refuses_other_extensions(app, tmp_path):
    result = run(app, "residents", tmp_path / "x.pdf")
    assert result.exit_code != 0 and not (tmp_path / "x.pdf").exists()
