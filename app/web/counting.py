"""Row counts for list screens: exact up to a limit, and on PostgreSQL the planner's estimate beyond it.

PostgreSQL counts by visiting every row (about 10 ms per 100,000 index entries), so an exact count of a
million-row list costs more than the page itself. Above HUKOU_EXACT_COUNT_LIMIT rows a list shows 「记录数：约 N」
instead: N is the planner's estimate, never less than the limit, and the screen says that it is an estimate.
"""
from __future__ import annotations

import json

from sqlalchemy import func, literal, select


def planner_rows(session, stmt) -> int:
    """PostgreSQL's estimate of how many rows `stmt` returns (EXPLAIN, nothing is read)."""
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def bounded_count(session, rows_stmt, limit: int, verify: bool = True) -> tuple[int, bool]:
    """(count, estimated) on PostgreSQL: exact when at most `limit`, else (max(estimate, limit + 1), True).

    `rows_stmt` selects the list's rows (any columns). `verify=False` trusts an estimate above the limit: right for
    a whole table or a department list (row counts and per-value statistics), not for free-form filters."""
    ones = rows_stmt.with_only_columns(literal(1), maintain_column_froms=True)
    guess = planner_rows(session, ones)
    if guess <= limit:  # the usual small list: one plain COUNT, no LIMIT wrapper to pay for
        return session.scalar(select(func.count()).select_from(ones.subquery())) or 0, False
    if not verify:
        return guess, True
    # The planner may overrate a filter: count at most limit + 1 rows (the same cost at any table size).
    exact = session.scalar(select(func.count()).select_from(ones.limit(limit + 1).subquery())) or 0
    if exact <= limit:
        return exact, False
    return max(guess, limit + 1), True
