"""Security headers: a CSP without inline script (no inline <script>, no on* handlers on any page), no framing,
nosniff, same-origin referrers, and no-store on pages, API answers and downloads."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from flask_appbuilder import ModelView

from tests.test_materials import PDF, api_upload, new_application, type_id

SECURITY_VIEWS = {"PermissionModelView", "ViewMenuModelView", "PermissionViewModelView"}


class ScriptAudit(HTMLParser):
    """Collects what a CSP of script-src 'self' would block: inline scripts, handlers, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._inline = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "script":
            data_block = (attrs.get("type") or "").lower() == "application/json"
            self._inline = not attrs.get("src") and not data_block

    def handle_data(self, data):
        if self._inline and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline = False


def blocked_by_csp(html: str) -> list[str]:
    """Everything on a page the CSP would refuse to run."""
    parser = ScriptAudit()
    parser.feed(html)
    return parser.problems


def assert_secure_headers(response, cacheable: bool = False) -> None:
    """The headers every answer carries."""
    h = response.headers
    csp = h["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp.split(
        "script-src")[1].split(";")[0]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "same-origin"
    if not cacheable:
        assert "no-store" in h["Cache-Control"].replace(" ", "").split(",")
        assert "public" not in h["Cache-Control"]


def admin_pages(app) -> list[str]:
    """Home, profile, checklist and the list/add/show/edit pages of every model view (first row)."""
    pages = ["/", "/users/userinfo/", "/checklist/", "/resetmypassword/form", "/logout/"]
    for view in app.appbuilder.baseviews:
        if not isinstance(view, ModelView) or type(view).__name__ in SECURITY_VIEWS:
            continue
        base = view.route_base
        pages += [f"{base}/list/", f"{base}/add"]
        with app.app_context():
            _, rows = view.datamodel.query(page=0, page_size=1)
        if rows:
            pk = view.datamodel.get_pk_value(rows[0])
            pages += [f"{base}/show/{pk}", f"{base}/edit/{pk}"]
    return pages


def test_no_page_needs_inline_script(app, login, world):
    """The pages (lists with actions, filters and delete buttons, show pages with action buttons, forms) run
    with script-src 'self': nothing inline is left to block."""
    new_application(app, world)
    c = login("t_admin")
    found, seen = {}, 0
    for url in admin_pages(app):
        r = c.get(url)
        if r.status_code != 200 or r.mimetype != "text/html":
            continue
        seen += 1
        assert_secure_headers(r)
        problems = blocked_by_csp(r.get_data(as_text=True))
        if problems:
            found[url] = problems
    assert seen > 20
    assert found == {}, found


def test_login_and_error_pages_carry_the_headers(client):
    login = client.get("/login/")
    assert_secure_headers(login)
    assert blocked_by_csp(login.get_data(as_text=True)) == []
    assert_secure_headers(client.get("/residentview/list/"))  # the redirect to the login page
    assert_secure_headers(client.get("/no-such-page/"))


def test_list_page_passes_filters_and_actions_as_data(login):
    """What FAB's inline scripts did is now data for static/hukou_csp.js."""
    body = login("t_admin").get("/applicationview/list/").get_data(as_text=True)
    m = re.search(r'data-hk-filters="([^"]+)"', body)
    assert m
    import html

    data = json.loads(html.unescape(m.group(1)))
    assert set(data) == {"labels", "form", "filters", "active"}
    assert 'src="/static/hukou_csp.js"' in body
    assert re.search(r'<script type="application/json" id="hk-i18n">', body)


def test_api_answers_and_downloads_are_not_stored(app, world, login, api):
    client, headers = api("t_officer")
    assert_secure_headers(client.get("/api/v1/residents/", headers=headers))
    export = login("t_officer").get("/export/residents/xlsx")
    assert export.status_code == 200
    assert_secure_headers(export)
    assert "no-cache" not in export.headers["Cache-Control"]
    app_id = new_application(app, world)
    r = api_upload(client, headers, app_id, type_id(app, "id_card"), PDF, "身份证.pdf")
    assert r.status_code == 201, r.get_data(as_text=True)
    mid = r.get_json()["result"]["id"]
    for c, url, hdrs in ((client, f"/api/v1/materials/{mid}/file", headers),
                         (login("t_officer"), f"/materialview/download/{mid}", {})):
        d = c.get(url, headers=hdrs)
        assert d.status_code == 200
        assert_secure_headers(d)


@pytest.mark.parametrize("path", ["/static/hukou_csp.js", "/static/appbuilder/js/ab.js"])
def test_bundled_assets_stay_cacheable(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert_secure_headers(r, cacheable=True)
    assert r.headers.get("Cache-Control") != "no-store"


def test_static_script_handles_what_the_templates_mark(client):
    """Each data-hk-* hook the templates emit has its handler in the static script."""
    js = client.get("/static/hukou_csp.js").get_data(as_text=True)
    for hook in ["data-hk-filters", "data-hk-model-actions", "data-hk-single-action", "data-hk-multiple-action",
                 "data-hk-delete", "hk-i18n", "hk-logout-form", "hk-print"]:
        assert hook in js, hook
