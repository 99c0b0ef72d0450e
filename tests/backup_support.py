"""Apps with a database and upload folder of their own, for the backup, restore and check tests (they compare
whole databases and folders, so the session's shared database and uploads would not do)."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

from sqlalchemy import select

from app.cli import hukou_cli
from app.domain.idnumber import make_id
from tests.conftest import PASSWORD, api_token, make_client, scratch_database

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@contextlib.contextmanager
def own_app(folder: Path, prefix: str, populated: bool = True):
    """An app on a fresh database (bootstrapped, with the test world unless `populated` is False) whose
    upload folder is <folder>/<prefix>/uploads."""
    from app import create_app
    from app.extensions import db

    with scratch_database(folder, prefix) as url:
        application = create_app({
            "SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SERVER_NAME": "localhost",
            "UPLOAD_FOLDER": str(folder / prefix / "uploads"), "RATELIMIT_STORAGE_URI": "memory://"})
        if populated:
            from app.bootstrap import bootstrap
            from tests.world import build_world

            with application.app_context():
                bootstrap(PASSWORD)
                application.config["WORLD"] = build_world(PASSWORD)
        try:
            yield application
        finally:
            with application.app_context():
                db.session.remove()
                db.engine.dispose()


def cli(application, *args: str):
    """Invoke `flask hukou <args>` on an app; returns click's Result."""
    return application.test_cli_runner().invoke(hukou_cli, list(args))


def officer_api(application):
    """(client, headers) of the officer on an app."""
    return make_client(application), api_token(application, "t_officer")


def new_application(application, status: str = "draft") -> int:
    """A move-in application of the world's first resident, made directly with the model."""
    from app.extensions import db
    from app.models import Application

    world = application.config["WORLD"]
    with application.app_context():
        row = Application(type="move_in", status=status, resident_id=world["res_a"],
                          department_id=world["dept_a"], created_by_id=world["users"]["t_officer"])
        db.session.add(row)
        db.session.commit()
        return row.id


def id_card_type(application) -> int:
    """The seeded material type "id_card"."""
    from app.extensions import db
    from app.models import MaterialType

    with application.app_context():
        return db.session.scalar(select(MaterialType.id).where(MaterialType.code == "id_card"))


def upload(application, client, headers, app_id: int, data: bytes, name: str = "身份证.pdf") -> int:
    """Upload a scan through the REST API; returns the material id."""
    r = client.post("/api/v1/materials/", headers=headers, content_type="multipart/form-data",
                    data={"application_id": str(app_id), "material_type_id": str(id_card_type(application)),
                          "file": (io.BytesIO(data), name)})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["id"]


def pdf(tag: str) -> bytes:
    """A small PDF whose bytes differ by tag."""
    return PDF + tag.encode() * 50


def resident_payload(world: dict, n: int) -> dict:
    """A valid new resident (unique birth date, so a unique ID number)."""
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=n)
    return {"name": f"备份测试{n:05d}", "id_number": make_id("110105", birth, n % 1000),
            "department_id": world["dept_a"]}


def manifest_of(folder: Path) -> dict:
    """The manifest.json of a backup."""
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def sha256(data: bytes) -> str:
    """sha256 hex of bytes."""
    return hashlib.sha256(data).hexdigest()


def stored_path(application, material_id: int) -> Path:
    """The file of a material in the app's upload folder."""
    from app.extensions import db
    from app.models import Material

    with application.app_context():
        name = db.session.get(Material, material_id).storage_name
    return Path(application.config["UPLOAD_FOLDER"]) / name


def table_counts(application) -> dict[str, int]:
    """{table: rows} of an app's database, read live."""
    from app.backup import common
    from app.extensions import db

    with application.app_context():
        with db.engine.connect() as conn:
            return common.count_rows(conn, db.engine.dialect.name)
