"""Concurrent REST edits of one resident (issue 6): FAB kept one marshmallow schema per API class and
`load(data, instance=row)` stored the row on it, so simultaneous PUTs swapped rows between threads (500
DetachedInstanceError) or lost them (an INSERT of the existing resident, answered 422 "conflict")."""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from app.extensions import db
from app.models import Resident
from tests.conftest import make_client
from tests.test_permissions import new_resident

THREADS = 8
ROUNDS = 6


def test_each_request_loads_into_its_own_schema(app):
    """The add/edit schemas are copies per request (the shared object is only the start-up template)."""
    api = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "ResidentApi")
    with app.test_request_context("/api/v1/residents/1", method="PUT"):
        first = api.edit_model_schema
        assert api.edit_model_schema is first  # one copy for the whole request
    with app.test_request_context("/api/v1/residents/1", method="PUT"):
        assert api.edit_model_schema is not first
        assert api.add_model_schema is not api.edit_model_schema
    with app.app_context():
        assert api.edit_model_schema is not first  # outside a request: the template itself


def test_simultaneous_puts_on_one_resident(app, world, api):
    pk = new_resident(app, world["dept_a"], name="并发")
    with app.app_context():
        number = db.session.get(Resident, pk).id_number
        before = db.session.scalar(select(func.count(Resident.id)))
    _, headers = api("t_officer")
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    bodies: list[str] = []
    sent: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        client = make_client(app)  # one test client per thread
        barrier.wait(timeout=30)
        for round_ in range(ROUNDS):
            occupation = f"工程师{n}-{round_}"
            r = client.put(f"/api/v1/residents/{pk}", headers=headers,
                           json={"occupation": occupation, "id_number": number, "name": "并发"})
            with lock:
                statuses.append(r.status_code)
                bodies.append(r.get_data(as_text=True)[:300])
                if r.status_code == 200:
                    sent.append(occupation)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    counts = Counter(statuses)
    assert not [s for s in statuses if s >= 500], (counts, bodies)
    assert set(counts) <= {200, 409}, (counts, [b for s, b in zip(statuses, bodies) if s != 200][:3])
    assert counts[200] >= THREADS  # a genuine conflict may refuse some, never most
    with app.app_context():
        row = db.session.get(Resident, pk)
        assert row.occupation in sent and row.name == "并发" and row.id_number == number
        assert db.session.scalar(select(func.count(Resident.id))) == before  # nothing was inserted
