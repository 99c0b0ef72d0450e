"""Data for the browser tests: real small files, fresh people, and applications moved on through the REST API
(the same guards as the pages), so each test starts where its screen begins."""
from __future__ import annotations

import datetime as dt
import io
import itertools
import struct
import uuid
import zlib

from sqlalchemy import select

from tests.conftest import PASSWORD, api_token, make_client

_seq = itertools.count(1)
NAMES = "赵钱孙周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def png(width: int = 60, height: int = 40, rgb: tuple[int, int, int] = (200, 220, 240)) -> bytes:
    """A real PNG image that browsers decode (a blank scan)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def pdf() -> bytes:
    """A one-page PDF that viewers open."""
    objs = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def chinese_name() -> str:
    """A unique two- or three-character Chinese name (no Latin letters on the pages)."""
    n = next(_seq)
    return NAMES[n % len(NAMES)] + "测" + "一二三四五六七八九十"[(n // len(NAMES)) % 10] + \
        ("" if n < 300 else str(n))


def new_resident(app, dept_id: int, status: str = "active") -> int:
    """A fresh resident of a department (unique valid ID number)."""
    from app.domain.idnumber import make_id
    from app.extensions import db
    from app.models import Resident

    with app.app_context():
        birth = dt.date(1985, 1, 1) + dt.timedelta(days=uuid.uuid4().int % 5000)
        res = Resident(name=chinese_name(), gender="M", birth_date=birth, department_id=dept_id, status=status,
                       id_number=make_id("110105", birth, (uuid.uuid4().int % 499) * 2 + 1), ethnicity="01",
                       phone=f"139{uuid.uuid4().int % 10 ** 8:08d}")
        db.session.add(res)
        db.session.commit()
        return res.id


def new_employee(app, resident_id: int) -> str:
    """A new employee login linked to the resident (the employee's own record); returns the username."""
    from app.extensions import db
    from app.models import Resident, UserResident

    with app.app_context():
        sm = app.appbuilder.sm
        username = f"t_phone_{uuid.uuid4().hex[:6]}"
        name = db.session.get(Resident, resident_id).name
        user = sm.add_user(username, name, "", f"{username}@example.test", sm.find_role("Employee"),
                           password=PASSWORD)
        db.session.add(UserResident(user_id=user.id, resident_id=resident_id))
        db.session.commit()
        return username


class Rest:
    """The REST API as one user (in-process test client)."""

    def __init__(self, app, username: str):
        self.app, self.client, self.headers = app, make_client(app), api_token(app, username)

    def post(self, path: str, **kw):
        """POST and return the response (callers assert its status)."""
        return self.client.post(path, headers=self.headers, **kw)

    def create(self, app_type: str, resident_id: int, **fields) -> int:
        """A new draft application; returns its id."""
        r = self.post("/api/v1/applications/", json={"type": app_type, "resident_id": resident_id, **fields})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    def act(self, app_id: int, action: str, **body) -> None:
        """One workflow action."""
        r = self.post(f"/api/v1/applications/{app_id}/transition", json={"action": action, **body})
        assert r.status_code == 200, (action, r.get_json())

    def upload(self, app_id: int, type_id: int, data: bytes, name: str) -> int:
        """Upload one file for one material type; returns the material id."""
        r = self.post("/api/v1/materials/", content_type="multipart/form-data", data={
            "application_id": str(app_id), "material_type_id": str(type_id), "file": (io.BytesIO(data), name)})
        assert r.status_code == 201, r.get_data(as_text=True)
        return r.get_json()["id"]


def required_types(app, app_type: str) -> list[tuple[int, str, str]]:
    """(material type id, code, name) of each required checklist item of a type."""
    from app.extensions import db
    from app.models import ChecklistItem, MaterialType

    with app.app_context():
        rows = db.session.execute(select(MaterialType.id, MaterialType.code, MaterialType.name).join(
            ChecklistItem, ChecklistItem.material_type_id == MaterialType.id).where(
            ChecklistItem.app_type == app_type, ChecklistItem.required.is_(True)).order_by(ChecklistItem.id))
        return [tuple(r) for r in rows]


def complete_materials(app, app_id: int, app_type: str, officer: Rest) -> None:
    """Upload a scan for every required item and verify it as the officer."""
    for type_id, _code, name in required_types(app, app_type):
        pk = officer.upload(app_id, type_id, png(), f"{name}.png")
        r = officer.post(f"/api/v1/materials/{pk}/verify", json={})
        assert r.status_code == 200, r.get_json()


def status_of(app, app_id: int) -> str:
    """The application's stored status."""
    from app.extensions import db
    from app.models import Application

    with app.app_context():
        db.session.expire_all()
        return db.session.get(Application, app_id).status


def at_dept_review(app, dept_id: int, app_type: str = "certificate") -> int:
    """An application of a fresh resident waiting for its department's approval."""
    officer = Rest(app, "t_officer")
    app_id = officer.create(app_type, new_resident(app, dept_id), reason="办理手续")
    complete_materials(app, app_id, app_type, officer)
    officer.act(app_id, "submit")
    officer.act(app_id, "pass_review")
    assert status_of(app, app_id) == "dept_review"
    return app_id
