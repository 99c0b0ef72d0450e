"""Every page a user reaches is Chinese: crawl the menu's screens as Admin and look for English words."""
import re
from html.parser import HTMLParser

import pytest
from flask_appbuilder import ModelView

# Words that are legitimately Latin on a Chinese page: formats, standards, product names, our test data.
ALLOWED = {
    "pdf", "jpg", "png", "jpeg", "excel", "json", "sha", "utc", "gb", "t", "id", "ip", "api", "xlsx", "csv",
    "english", "admin", "t_admin", "http", "https", "x", "eg", "mb", "no", "ok",
    "language",  # the language switch is labelled 「语言 / Language」 on purpose (issue 9)
}
SKIP_TAGS = {"script", "style", "code", "pre"}
# FAB's permission, view-menu and role-permission screens list code identifiers (can_read on Resident) that
# Admin configures by name; the role names themselves are identifiers declared in code (app/security/roles.py).
SKIP_VIEWS = {"SwaggerView", "UserStatsChartView", "PermissionModelView", "ViewMenuModelView",
              "PermissionViewModelView", "RoleModelView"}
ROLE_NAMES = {"admin", "hukouofficer", "deptapprover", "leader", "hr", "finance", "auditor", "employee", "public"}


class TextOnly(HTMLParser):
    """Visible text of a page (no scripts, styles, tags or attribute values except titles/placeholders)."""

    def __init__(self):
        super().__init__()
        self.skip, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        for name, value in attrs:
            if name in ("placeholder", "title") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    """Latin words of 2+ letters in the visible text, minus allowed ones and user data like e-mails."""
    parser = TextOnly()
    parser.feed(html)
    text = " ".join(parser.parts)
    text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses are data
    text = re.sub(r"(?<![A-Za-z0-9])t_[a-z_]+", " ", text)  # the test world's usernames are data
    return {w for w in re.findall(r"[A-Za-z][A-Za-z_]+", text)
            if w.lower() not in ALLOWED | ROLE_NAMES | DATA_CODES}


def _data_codes() -> set[str]:
    """Codes stored as data and shown next to their Chinese names (material types, test departments)."""
    from app.seed import MATERIAL_TYPES
    from app.services.effects import CHANGEABLE  # JSON keys of an information change, shown with labels

    return {c.lower() for c in (*MATERIAL_TYPES, *CHANGEABLE)} | {"ta", "tb", "aud1", "ldap", "oid"}


DATA_CODES = _data_codes()


def model_views(app):
    """(view, route_base) of every registered ModelView we should check."""
    return [(v, v.route_base) for v in app.appbuilder.baseviews
            if isinstance(v, ModelView) and type(v).__name__ not in SKIP_VIEWS]


@pytest.fixture(scope="module")
def quiet_app(tmp_path_factory):
    """A separate app on its own fresh SQLite database with only the fixed world, so that the rows other
    tests leave behind (English test names, random codes) cannot be mistaken for untranslated interface text."""
    from app import create_app
    from app.bootstrap import bootstrap
    from app.db import migrate
    from tests.conftest import PASSWORD
    from tests.world import build_world

    url = f"sqlite:///{tmp_path_factory.mktemp('i18n') / 'i18n.db'}"
    migrate(url)
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SERVER_NAME": "localhost",
                              "RATELIMIT_STORAGE_URI": "memory://",
                              "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("i18n_uploads"))})
    with application.app_context():
        bootstrap(PASSWORD)
        build_world(PASSWORD)
    return application


def test_pages_have_no_english(quiet_app):
    from tests.conftest import web_login

    app = quiet_app
    c = web_login(app, "t_admin")
    pages = ["/", "/users/userinfo/", "/checklist/"]
    for view, base in model_views(app):
        pages.append(f"{base}/list/")
        if "add" in view.include_route_methods if view.include_route_methods else True:
            pages.append(f"{base}/add")
        with app.app_context():
            _, rows = view.datamodel.query(page=0, page_size=1)
        if rows:
            pk = view.datamodel.get_pk_value(rows[0])
            pages += [f"{base}/show/{pk}", f"{base}/edit/{pk}"]
    found = {}
    for url in pages:
        r = c.get(url)
        if r.status_code != 200:
            continue
        words = english_words(r.get_data(as_text=True))
        if words:
            found[url] = sorted(words)
    assert found == {}, found


@pytest.mark.parametrize("code,url", [(404, "/residentview/show/999999999"), (400, "/residentview/list/?_oc_ResidentView=x")])
def test_error_pages_are_chinese(login, code, url):
    r = login("t_officer").get(url)
    assert r.status_code == code
    assert english_words(r.get_data(as_text=True)) == set()


def test_english_is_selectable(login):
    c = login("t_officer")
    assert "在册人员" in c.get("/residentview/list/").get_data(as_text=True)
    c.get("/lang/en")
    body = c.get("/residentview/list/").get_data(as_text=True)
    assert "Residents" in body and "在册人员" not in body
    c.get("/lang/zh")
    assert "在册人员" in c.get("/residentview/list/").get_data(as_text=True)
