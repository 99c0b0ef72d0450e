"""Demo data for `flask --app run hukou demo`: realistic departments, residents, applications and users.

Modules: data (plain tables), people / workflow_paths / plans (pure generators), users (departments and users),
load (building and inserting everything), records (materials, archive records, loans, fees), scans (files).
"""
from __future__ import annotations

from .base import Ctx
from .load import load_demo
from .plans import Plan, timeline
from .records import loan_rows
from .workflow_paths import shortest_paths

__all__ = ["Ctx", "Plan", "load_demo", "loan_rows", "shortest_paths", "timeline"]
