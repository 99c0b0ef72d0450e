"""Concurrency: racing transitions on one application, and archive numbers issued in parallel.

Each thread has its own app context, hence its own session and database connection; the run uses whichever
database the suite uses (SQLite file, or PostgreSQL via HUKOU_TEST_DATABASE_URL)."""
from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.extensions import db
from app.models import ApplicationHistory, ArchiveRecord, ArchiveSequence
from tests.test_workflow_service import app_row, fresh_resident, history_count, new_application, user, verify_all

THREADS = 4


def race(app, jobs) -> list:
    """Start every job at once (each in its own app context); the list of results or DomainErrors."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(i: int, job) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = job()
            except DomainError as err:
                db.session.rollback()
                results[i] = err
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing transition hung"
    return results


def _transition(app_id: int, action: str, username: str, **kw):
    """A job: load the user in this thread's session and apply the transition."""
    def job():
        from app.services import workflow as wf

        from app.security.actor import actor_of
        from app.uow import unit_of_work

        with unit_of_work(actor_of(user(username))) as uow:
            return wf.transition(uow, app_id, action, **kw)
    return job


@pytest.mark.parametrize("action,status,username,kw", [
    ("pass_review", "submitted", "t_officer", {}),
    ("dept_approve", "dept_review", "t_approver_a", {}),
    ("archive", "completed", "t_officer", {"archive_location": "C柜"}),
])
def test_one_winner_among_racing_transitions(app, world, action, status, username, kw):
    with app.app_context():
        aid = new_application("certificate", fresh_resident(world["dept_a"]), status=status)
        verify_all(aid)
    results = race(app, [_transition(aid, action, username, **kw) for _ in range(THREADS)])
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert all(isinstance(r, DomainError) and r.http_status == 409 for r in losses), results
    with app.app_context():
        assert history_count(aid) == 1
        assert app_row(aid).version == 2 and app_row(aid).status == wins[0].to_status
        records = db.session.scalars(select(ArchiveRecord).where(ArchiveRecord.application_id == aid)).all()
        assert len(records) == (1 if action == "archive" else 0)


def test_different_actions_racing_on_one_application(app, world):
    with app.app_context():
        aid = new_application("certificate", fresh_resident(world["dept_a"]), status="submitted")
        verify_all(aid)
    # Whichever wins, the other action is impossible from its new status.
    jobs = [_transition(aid, "pass_review", "t_officer"), _transition(aid, "request_materials", "t_officer",
                                                                       comment="补"),
            _transition(aid, "pass_review", "t_officer"), _transition(aid, "request_materials", "t_officer",
                                                                       comment="再补")]
    results = race(app, jobs)
    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1 and all(getattr(r, "http_status", None) == 409 for r in results if r not in wins)
    with app.app_context():
        history = db.session.scalars(select(ApplicationHistory).where(ApplicationHistory.application_id == aid)).all()
        assert [(h.action, h.to_status) for h in history] == [(wins[0].action, wins[0].to_status)]


def test_parallel_archives_get_distinct_consecutive_numbers(app, world):
    n = THREADS + 2
    with app.app_context():
        ids = [new_application("certificate", fresh_resident(world["dept_a"]), status="completed")
               for _ in range(n)]
    results = race(app, [_transition(aid, "archive", "t_officer", archive_location=f"D柜-{i}")
                         for i, aid in enumerate(ids)])
    assert all(not isinstance(r, Exception) for r in results), results
    seqs = sorted(int(r.archive_no.split("-")[1]) for r in results)
    assert seqs == list(range(seqs[0], seqs[0] + n))
    with app.app_context():
        stored = db.session.scalars(select(ArchiveRecord.archive_no).where(ArchiveRecord.application_id.in_(ids)))
        assert sorted(stored) == sorted(r.archive_no for r in results)


def test_parallel_first_numbers_of_a_new_year(app):
    from app.security.actor import cli_actor
    from app.services.archive import next_sequence
    from app.uow import unit_of_work

    year = random.randint(3000, 9000)

    def job():
        with unit_of_work(cli_actor()) as uow:
            return next_sequence(uow.session, year)

    results = race(app, [job for _ in range(THREADS)])
    assert sorted(results) == list(range(1, THREADS + 1)), results
    with app.app_context():
        assert db.session.get(ArchiveSequence, year).last == THREADS
