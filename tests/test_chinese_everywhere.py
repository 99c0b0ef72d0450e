"""Chinese everywhere, and names (issue 9): every menu page as every role has no English words; role names, the
select2 texts, material codes and rule thresholds are shown in Chinese; staff have one 姓名; a favicon; no FAB
filter warnings at start. Extends tests/test_i18n_pages.py (its checker and its quiet app are reused)."""
from __future__ import annotations

import logging
import re

import pytest

from tests.conftest import PASSWORD, web_login
from tests.test_i18n_pages import TextOnly, english_words, quiet_app  # noqa: F401 (quiet_app is a fixture)

ROLE_USERS = ["t_admin", "t_officer", "t_approver_a", "t_leader", "t_hr", "t_finance", "t_auditor", "t_employee_a"]
# The language switch is labelled 「语言 / Language」 on purpose (someone who only reads English finds it);
# test_i18n_pages.ALLOWED allows the word as well.
LABEL_WORDS = {"Language"}
# Not pages: downloads, signing out, switching language, the JSON API. FAB's permission, view-menu and
# permission-on-view screens list the code identifiers FAB works with (can_read, Resident) by design; the roles
# built from them are shown in words on /roles/list/ (checked below).
NOT_PAGES = re.compile(r"^/(logout|lang|api|export|residentexport|static|permissions|viewmenus|permissionviews)"
                       r"|/(xlsx|csv|download)\b")
HEX = re.compile(r"\b[0-9a-f]{16,}\b")  # hashes of the audit chain and of files are data


def english(html: str) -> set[str]:
    """english_words of test_i18n_pages, minus the language label and hexadecimal hashes."""
    return english_words(HEX.sub(" ", html)) - LABEL_WORDS


def visible_text(html: str) -> str:
    """The text a person sees on the page."""
    parser = TextOnly()
    parser.feed(html)
    return " ".join(parser.parts)


def menu_links(html: str) -> list[str]:
    """The site paths of the top bar's menu (its dropdown items and plain items)."""
    bar = html[html.find('class="navbar'):html.find("</header>")] if "</header>" in html else html
    return sorted({h for h in re.findall(r'href="(/[^"#]*)"', bar) if not NOT_PAGES.search(h)})


def pages_of(c) -> list[str]:
    """Every menu page of this user, plus the profile, a search and the pages behind the first list row."""
    pages = set(menu_links(c.get("/").get_data(as_text=True))) | {"/", "/users/userinfo/", "/search/?q=张"}
    for url in list(pages):
        if url.endswith("/list/"):
            body = c.get(url).get_data(as_text=True)
            show = re.search(r'href="(%sshow/\d+)' % re.escape(url[:-5]), body)
            if show:
                pages.add(show.group(1))
    return sorted(pages)


@pytest.mark.parametrize("username", ROLE_USERS)
def test_every_menu_page_is_chinese_for_every_role(quiet_app, username):  # noqa: F811
    c = web_login(quiet_app, username)
    found, seen = {}, 0
    for url in pages_of(c):
        r = c.get(url)
        if r.status_code != 200 or not r.content_type.startswith("text/html"):
            continue
        seen += 1
        words = english(r.get_data(as_text=True))
        if words:
            found[url] = sorted(words)
    assert seen >= 3, "the crawl reached too few pages to mean anything"
    assert found == {}, found


def test_role_names_and_permissions_are_in_words(quiet_app):  # noqa: F811
    c = web_login(quiet_app, "t_admin")
    roles = visible_text(c.get("/roles/list/").get_data(as_text=True))
    assert "户籍管理员" in roles and "部门审批人" in roles
    for raw in ("HukouOfficer", "DeptApprover", "can_(", "^Resident$", "menu_access"):
        assert raw not in roles, raw
    assert not english(c.get("/roles/list/").get_data(as_text=True))
    profile = visible_text(web_login(quiet_app, "t_officer").get("/users/userinfo/").get_data(as_text=True))
    assert "[HukouOfficer]" not in profile and "HukouOfficer" not in profile and "户籍管理员" in profile
    users = visible_text(c.get("/users/list/").get_data(as_text=True))
    assert "HukouOfficer" not in users and "户籍管理员" in users


def test_material_codes_and_rule_thresholds_show_names(quiet_app):  # noqa: F811
    c = web_login(quiet_app, "t_officer")
    types = visible_text(c.get("/materialtypeview/list/").get_data(as_text=True))
    assert "报到证" in types and "report_card" not in types and "id_card" not in types
    rules = visible_text(c.get("/eligibilityruleview/list/").get_data(as_text=True))
    assert "report_card" not in rules and "报到证" in rules
    with quiet_app.test_request_context():
        from app.domain.errors import Message
        from app.i18n import render
        from app.services.eligibility import _shown

        text = render(_shown(Message("eligibility_material_missing",
                                     "Required material %(required)s: not provided or not yet verified",
                                     {"required": "report_card"})))
    assert "报到证" in text and "report_card" not in text


def test_staff_have_one_name(quiet_app):  # noqa: F811
    with quiet_app.app_context():
        sm = quiet_app.appbuilder.sm
        if sm.find_user("t_liufang") is None:
            sm.add_user("t_liufang", "刘芳", "", "liufang@example.test", sm.find_role("HukouOfficer"),
                        password=PASSWORD)
    c = web_login(quiet_app, "t_liufang")
    home = c.get("/").get_data(as_text=True)
    assert "欢迎您，刘芳" in home and "户籍管理员 刘芳" not in home
    form = c.get("/userinfoeditview/form").get_data(as_text=True)
    assert 'name="first_name"' in form and 'name="last_name"' not in form and "姓名" in form
    admin = web_login(quiet_app, "t_admin")
    add = admin.get("/users/add").get_data(as_text=True)
    assert 'name="first_name"' in add and 'name="last_name"' not in add
    r = c.post("/userinfoeditview/form", data={"first_name": "刘芳芳", "csrf_token": c.csrf})
    assert r.status_code == 302
    with quiet_app.app_context():
        user = quiet_app.appbuilder.sm.find_user("t_liufang")
        assert (user.first_name, user.last_name) == ("刘芳芳", "")


def test_select2_speaks_chinese_from_a_local_file(quiet_app):  # noqa: F811
    c = web_login(quiet_app, "t_officer")
    page = c.get("/applicationview/add").get_data(as_text=True)
    assert "/static/vendor/select2/i18n/zh-CN.js" in page
    js = c.get("/static/vendor/select2/i18n/zh-CN.js")
    assert js.status_code == 200 and "请再输入至少" in js.get_data(as_text=True)
    csp = c.get("/static/hukou_csp.js").get_data(as_text=True)
    assert '"zh-CN"' in csp  # made the default language in Chinese


def test_favicon_and_language_label(quiet_app, client):  # noqa: F811
    c = web_login(quiet_app, "t_employee_a")
    page = c.get("/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', page)
    assert icon and c.get(icon.group(1)).status_code == 200
    assert "语言 / Language" in page


def test_no_filter_type_warnings_at_start(tmp_path):
    from app import create_app
    from app.db import migrate

    url = f"sqlite:///{tmp_path / 'warn.db'}"
    migrate(url)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_STORAGE_URI": "memory://",
                    "UPLOAD_FOLDER": str(tmp_path / "up")})
    finally:
        root.removeHandler(handler)
    warnings = [r.getMessage() for r in records if "Filter type not supported" in r.getMessage()]
    assert warnings == []
