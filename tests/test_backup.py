"""`flask hukou backup`: a consistent copy of the SQLite database, refused for PostgreSQL."""
import sqlite3

from app.cli import hukou_cli


def test_backup_copies_every_resident(app, tmp_path):
    runner = app.test_cli_runner()
    dest = tmp_path / "copy.db"
    result = runner.invoke(hukou_cli, ["backup", str(dest)])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    assert result.exit_code == 0, result.output
    with app.app_context():
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models import Resident
        live = db.session.scalar(select(func.count(Resident.id)))
    copied = sqlite3.connect(dest).execute("SELECT count(*) FROM resident").fetchone()[0]
    assert copied == live and f"({live} residents)" in result.output


def test_backup_refuses_to_overwrite(app, tmp_path):
    dest = tmp_path / "exists.db"
    dest.write_bytes(b"keep me")
    result = app.test_cli_runner().invoke(hukou_cli, ["backup", str(dest)])
    assert result.exit_code != 0
    assert dest.read_bytes() == b"keep me"
