"""Workflow paths of demo applications: sequences of workflow-table rows from draft to a status.

No Flask and no database here.
"""
from __future__ import annotations

import random

from ..domain.workflow_table import TABLE, Transition, applies_to

State = tuple[str, bool]  # (status, returned by the police)


def moves(app_type: str, state: State) -> list[tuple[Transition, State]]:
    """The table rows that apply from a state, with the state each leads to (police flag tracked)."""
    status, returned = state
    out = []
    for row in TABLE:
        if status not in row.sources or not applies_to(row, app_type):
            continue
        if ("not_police_returned" in row.guards and returned) or ("police_returned" in row.guards and not returned):
            continue
        flag = True if row.action == "police_reject" else False if row.action == "submit_police" else returned
        out.append((row, (row.target, flag)))
    return out


def shortest_paths(app_type: str) -> dict[State, list[Transition]]:
    """Every reachable state of a type with the shortest path of rows that reaches it from draft."""
    paths: dict[State, list[Transition]] = {("draft", False): []}
    queue = [("draft", False)]
    while queue:
        state = queue.pop(0)
        for row, nxt in moves(app_type, state):
            if nxt not in paths:
                paths[nxt] = paths[state] + [row]
                queue.append(nxt)
    return paths


# Forward steps are likely, rejections and withdrawals rare.
ACTION_WEIGHTS = {"submit": 10, "request_materials": 2, "pass_review": 8, "reject": 0.25, "dept_approve": 10,
                  "dept_reject": 0.2, "leader_approve": 10, "leader_reject": 0.15, "enter": 10, "police_reject": 0.8,
                  "submit_police": 10, "complete": 10, "archive": 9, "withdraw": 0.2,
                  "reopen": 0.3}


def random_path(rng: random.Random, app_type: str) -> list[Transition]:
    """A plausible history: a weighted random walk that may stop in any status on the way."""
    state: State = ("draft", False)
    path: list[Transition] = []
    while len(path) < 16:
        options = moves(app_type, state)
        stop = 0.12 if state[0] == "draft" else 0.45 if state[0] == "completed" else 0.1
        if not options or rng.random() < stop:
            break
        row, state = rng.choices(options, weights=[ACTION_WEIGHTS[r.action] for r, _s in options])[0]
        path.append(row)
    return path


def final_state(path: list[Transition]) -> State:
    """The (status, police-returned) state a path ends in."""
    returned = False
    for row in path:
        returned = True if row.action == "police_reject" else False if row.action == "submit_police" else returned
    return (path[-1].target if path else "draft"), returned

