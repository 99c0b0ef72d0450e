"""Plans: one demo application before it is written, its timeline, and what it implies for its resident.

No Flask and no database here.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from .. import clock
from ..domain.workflow_table import CLOSED_STATUSES, Transition
from .data import REASONS
from .people import destination, person_name, set_hired
from .workflow_paths import final_state


@dataclass
class Plan:
    """One demo application before it is written: its path, its resident (index into people) and creator."""

    type: str
    path: list[Transition]
    creator: tuple[int, str] | None = None  # None: a paper application entered and submitted by the officer
    person: int = -1
    overdue: bool = False
    times: list[dt.datetime] = field(default_factory=list)
    created: dt.datetime = dt.datetime.min
    reason: str = ""
    destination: str | None = None
    change: dict | None = None

    def time_of(self, target: str) -> dt.datetime | None:
        """When the application entered `target` (last time), or None."""
        hits = [at for row, at in zip(self.path, self.times) if row.target == target]
        return hits[-1] if hits else None

    def did(self, action: str) -> dt.datetime | None:
        """When the action was last applied, or None."""
        hits = [at for row, at in zip(self.path, self.times) if row.action == action]
        return hits[-1] if hits else None


# Days between one step and the next, by the action taken.
DELAYS = {"submit": (0.1, 3), "request_materials": (1, 4), "pass_review": (1, 4), "reject": (1, 5),
          "dept_approve": (0.5, 5), "dept_reject": (1, 5), "leader_approve": (1, 6), "leader_reject": (1, 6),
          "enter": (1, 3), "police_reject": (3, 15), "submit_police": (2, 8), "complete": (5, 20), "archive": (2, 40),
          "withdraw": (1, 10), "reopen": (1, 5)}


def timeline(rng: random.Random, now: dt.datetime, plan: Plan, loan_days: int) -> None:
    """Date every step: open applications are recent, closed ones up to ~2.5 years old."""
    status = final_state(plan.path)[0]
    if plan.overdue:
        offset = loan_days + rng.uniform(5, 45)
    elif status not in CLOSED_STATUSES:
        offset = rng.uniform(0.05, 20)
    else:
        offset = rng.uniform(1, 120) if status == "completed" else rng.uniform(5, 900)
    gaps = [rng.uniform(*DELAYS[row.action]) for row in plan.path]
    at = now - dt.timedelta(days=offset + sum(gaps))
    plan.created = at
    plan.times = []
    for gap in gaps:
        at += dt.timedelta(days=gap)
        plan.times.append(at)
    plan.reason = rng.choice(REASONS[plan.type])


def shape_resident(rng: random.Random, plan: Plan, person: dict) -> None:
    """Make the resident agree with the application: hired before it, moving in/out, changed fields."""
    start = plan.created.date()
    done = plan.time_of("completed")
    status = final_state(plan.path)[0]
    if plan.type == "move_in":
        person["hire_date"] = start - dt.timedelta(days=rng.randint(5, 60))
        person["move_in_date"] = done.date() if done else None
        if not done:  # registered at the counter, move-in not completed: 待迁入, not yet in the household
            person["status"] = "pending_in"
        person["social_security_months"] = rng.randint(0, 36) + (clock.today() - person["hire_date"]).days // 30
    elif person["hire_date"] > start - dt.timedelta(days=30):
        set_hired(rng, person, start - dt.timedelta(days=30))
    if plan.type == "move_out":
        plan.destination = destination(rng)
        person["leave_date"] = max(start - dt.timedelta(days=rng.randint(0, 40)), person["move_in_date"])
        if done:
            person.update(status="moved_out", move_out_date=done.date(), move_out_to=plan.destination)
        elif status not in CLOSED_STATUSES:
            person["status"] = "leaving"
    elif plan.type == "info_change":
        _info_change(rng, plan, person, done is not None)


def _info_change(rng: random.Random, plan: Plan, person: dict, done: bool) -> None:
    """The field an information change is about, set to the old or (when completed) the new value."""
    if plan.reason == "婚姻状况变更":
        plan.change = {"marital_status": "20"}
        person["marital_status"] = "20" if done else "10"
    elif plan.reason == "学历变更":
        plan.change = {"education": "11"}
        person["education"] = "11" if done else "14"
    else:
        new = person_name(rng, person["gender"])
        plan.change = {"name": new}
        if done:
            person.update(former_name=person["name"], name=new)

