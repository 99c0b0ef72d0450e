"""Scratch database for the list benchmark: N residents across 12 departments, an officer and an approver."""
from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import func, insert, select

BENCH_PASSWORD = "Bench-pass-2026"
OFFICER = "bench_officer"
APPROVER = "bench_approver"
DEPARTMENTS = 12
# The first department holds a quarter of the unit so that "department filter + page 500" has rows at 100k.
BIG_SHARE = 0.25
BATCH = 10_000
REGIONS = ("110105", "310104", "440106", "330106", "510107", "420106")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志红文斌宇浩凯健俊帆帅旭宁龙林欣佳琪晨雨婷子涵梓轩一诺欣怡浩然思远天佑博文嘉怡雅静梦瑶"
_BIRTH0 = dt.date(1960, 1, 1)
_BIRTH_DAYS = 16_000  # 1960 … 2003: every (day, order code) pair is one unique ID number


@dataclass(frozen=True)
class BenchWorld:
    """What the measurements need: department ids, the filtered department and the two users."""

    department_ids: tuple[int, ...]
    filter_department: int
    approver_departments: tuple[int, ...]
    residents: int


def make_app(database_url: str):
    """Migrate the scratch database, build the app on it and bootstrap roles and reference data."""
    from app import create_app
    from app.bootstrap import bootstrap
    from app.db import migrate

    migrate(database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "memory://",
                      "SERVER_NAME": "localhost"})
    with app.app_context():
        bootstrap(BENCH_PASSWORD)
    return app


def department_of(i: int, ids: tuple[int, ...]) -> int:
    """The department of resident number i: a quarter in the first, the rest spread evenly."""
    if i % 4 == 0:
        return ids[0]
    return ids[1 + (i * 7919) % (len(ids) - 1)]


def resident_rows(start: int, stop: int, dept_ids: tuple[int, ...], seed: int = 42) -> Iterator[dict]:
    """Plain dicts for Core INSERT: valid unique ID numbers, Chinese names, realistic optional fields."""
    from app.domain.idnumber import make_id

    rnd = random.Random(seed + start)
    now = dt.datetime(2026, 1, 1)
    for i in range(start, stop):
        day, seq = i % _BIRTH_DAYS, (i // _BIRTH_DAYS) % 1000
        region = REGIONS[(i // (_BIRTH_DAYS * 1000)) % len(REGIONS)]
        birth = _BIRTH0 + dt.timedelta(days=day)
        given = rnd.choice(GIVEN) + (rnd.choice(GIVEN) if rnd.random() < 0.7 else "")
        hired = birth + dt.timedelta(days=8000 + rnd.randrange(3000))
        leaving = rnd.random() < 0.05
        yield {
            "name": rnd.choice(SURNAMES) + given, "gender": "M" if seq % 2 else "F",
            "birth_date": birth, "id_number": make_id(region, birth, seq), "ethnicity": "01",
            "department_id": department_of(i, dept_ids), "status": "leaving" if leaving else "active",
            "phone": f"13{rnd.randrange(10**9):09d}", "page_number": f"P{i + 1:08d}",
            "move_in_date": hired, "hire_date": hired,
            "leave_date": hired + dt.timedelta(days=2000) if leaving else None,
            "occupation": "职员", "version": 1, "created_on": now, "changed_on": now,
        }


def insert_departments(conn) -> tuple[int, ...]:
    """Create the 12 departments and return their ids in creation order."""
    from app.models import Department

    now = dt.datetime(2026, 1, 1)
    conn.execute(insert(Department), [
        {"code": f"B{k:02d}", "name": f"测试部门{k:02d}", "active": True, "created_on": now, "changed_on": now}
        for k in range(1, DEPARTMENTS + 1)])
    return tuple(conn.scalars(select(Department.id).where(Department.code.like("B%"))
                              .order_by(Department.code)))


def insert_residents(conn, n: int, dept_ids: tuple[int, ...]) -> None:
    """Core INSERT of n residents in batches (no ORM, no change log: this is test data)."""
    from app.models import Resident

    table = Resident.__table__
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":  # COPY: 1,000,000 rows in a minute
        columns = list(next(resident_rows(0, 1, dept_ids)))
        with conn.connection.driver_connection.cursor() as cur:
            with cur.copy(f"COPY resident ({', '.join(columns)}) FROM STDIN") as copy:
                for start in range(0, n, BATCH):  # the same batches (and random names) as the INSERT path
                    for row in resident_rows(start, min(n, start + BATCH), dept_ids):
                        copy.write_row([row[c] for c in columns])
        return
    for start in range(0, n, BATCH):
        conn.execute(table.insert(), list(resident_rows(start, min(n, start + BATCH), dept_ids)))


def create_users(app, approver_departments: tuple[int, ...]) -> None:
    """An HukouOfficer and a DeptApprover of the given departments."""
    from app.extensions import db
    from app.models import UserDepartment

    sm = app.appbuilder.sm
    officer = sm.add_user(OFFICER, "Bench", "Officer", "officer@bench.test", sm.find_role("HukouOfficer"),
                          password=BENCH_PASSWORD)
    approver = sm.add_user(APPROVER, "Bench", "Approver", "approver@bench.test", sm.find_role("DeptApprover"),
                           password=BENCH_PASSWORD)
    if not officer or not approver:
        raise RuntimeError("could not create the bench users")
    db.session.add_all([UserDepartment(user_id=approver.id, department_id=d) for d in approver_departments])
    db.session.commit()


def fill(app, n: int, analyze: bool = False) -> BenchWorld:
    """Fill an empty scratch database with n residents and the two users; refuse a non-empty one."""
    from app.extensions import db
    from app.models import Resident

    with app.app_context():
        if db.session.scalar(select(func.count(Resident.id))):
            raise SystemExit("the bench needs an empty scratch database; this one already has residents")
        db.session.remove()
        with db.engine.begin() as conn:
            ids = insert_departments(conn)
            insert_residents(conn, n, ids)
        if analyze:  # off by default: a deployed SQLite file has no statistics unless someone runs ANALYZE
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        world = BenchWorld(department_ids=ids, filter_department=ids[0],
                           approver_departments=(ids[0], ids[1]), residents=n)
        create_users(app, world.approver_departments)
    return world


@contextlib.contextmanager
def scratch_postgres(url: str, prefix: str = "hukou_load") -> Iterator[str]:
    """A fresh PostgreSQL database next to `url` (named `prefix`_<random>), dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
