"""The landing page: a small dashboard of what needs the officer's attention."""
from __future__ import annotations

from flask_appbuilder import IndexView


class HukouIndexView(IndexView):
    """Index page rendering app/templates/index.html (counts are filled by app.views.dashboard)."""

    index_template = "index.html"
