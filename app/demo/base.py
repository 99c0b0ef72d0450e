"""What the demo builders share: the build context and Core bulk inserts."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, insert, select

from ..extensions import db


@dataclass
class Ctx:
    """What the builders share: randomness, clock, ids of departments, users and material types."""

    rng: random.Random
    now: dt.datetime
    today: dt.date
    depts: dict[str, int]
    users: dict[str, tuple[int, str]]
    approvers: dict[int, tuple[int, str]]
    material_types: dict[str, tuple[int, str]]
    loan_days: int
    deposit: Decimal


def insert_with_ids(model, rows: list[dict]) -> list[int]:
    """Bulk insert with Core under primary keys reserved up front; return them in row order.

    Reserving the keys keeps the insert a plain executemany (RETURNING per row is several times slower).
    """
    if not rows:
        return []
    session = db.session
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        seq = func.pg_get_serial_sequence(table.name, "id")
        ids = list(session.scalars(select(func.nextval(seq)).select_from(func.generate_series(1, len(rows)))))
    else:  # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so max(id) cannot move
        start = (session.scalar(select(func.max(table.c.id))) or 0) + 1
        ids = list(range(start, start + len(rows)))
    for row, pk in zip(rows, ids):
        row["id"] = pk
    session.execute(insert(table), rows)
    return ids


def bulk(model, rows: list[dict]) -> None:
    """Bulk insert with Core (no per-row ORM work, no change-log rows)."""
    if rows:
        db.session.execute(insert(model.__table__), rows)
