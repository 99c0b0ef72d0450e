"""Statistics (统计): the dashboard, the monthly report and the annual summary, computed from the raw rows."""
