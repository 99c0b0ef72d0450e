"""Excel/CSV imports of the register (花名册) and of HR changes (人事变动).

rules (no Flask): reading.py (file checks, calamine/csv), columns.py (headers and aliases), cells.py (cell
values), roster.py / hr.py (validate and plan), apply.py (write a plan through the unit of work), report.py
(error report and templates); adapters: service.py (batches, files), cli.py, views.py.
"""
