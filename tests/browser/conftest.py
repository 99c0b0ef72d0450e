"""Browser tests: the real pages in Debian's chromium through Playwright, against a live server of the SAME app
and test database as the rest of the suite (so they run on SQLite and on PostgreSQL).

Run them alone with `python -m pytest -q -p no:cacheprovider tests/browser`. Without /usr/bin/chromium they are
skipped, unless HUKOU_BROWSER_REQUIRED=1 (CI) makes that a failure. A failing test leaves a full-page PNG and the
URL of every open page in test-artifacts/browser/ (or HUKOU_BROWSER_ARTIFACTS)."""
from __future__ import annotations

import itertools
import logging
import os
import re
import threading
from pathlib import Path

import pytest

from tests.browser.checks import assert_no_english
from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("HUKOU_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("HUKOU_BROWSER_REQUIRED", "") == "1"
ARTIFACTS = Path(os.environ.get("HUKOU_BROWSER_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"
                                / "browser"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
HERE = Path(__file__).resolve().parent
_ips = itertools.count(1)


def pytest_configure(config):
    """Register the `browser` marker."""
    config.addinivalue_line("markers", "browser: drives the real pages in chromium (tests/browser)")


def pytest_collection_modifyitems(config, items):
    """Mark every test of this folder `browser` (deselect them with -m "not browser")."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can see whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"hk_rep_{report.when}", report)


def _client_ip_from_header(wsgi_app):
    """Each browser context is its own client (X-Hk-Test-Ip), so the per-IP login limit never trips a test."""
    def middleware(environ, start_response):
        ip = environ.get("HTTP_X_HK_TEST_IP")
        if ip and re.fullmatch(r"10\.\d+\.\d+\.\d+", ip):
            environ["REMOTE_ADDR"] = ip
        return wsgi_app(environ, start_response)
    return middleware


@pytest.fixture(scope="package")
def live_server(app):
    """The session's app served by werkzeug in a daemon thread on a free port; yields the base URL."""
    from werkzeug.serving import make_server

    log = logging.getLogger("werkzeug")
    level = log.level
    log.setLevel(logging.WARNING)  # one line per asset would bury a failure's log
    server = make_server("127.0.0.1", 0, _client_ip_from_header(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="hk-live-server", daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    thread.join(10)
    log.setLevel(level)


@pytest.fixture(scope="package")
def chromium():
    """One chromium for all browser tests (skipped, or failed in CI, when the browser is not installed)."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if REQUIRED:
            pytest.fail(message + " and HUKOU_BROWSER_REQUIRED=1")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    for old in ARTIFACTS.glob("*"):  # the folder keeps the failures of the last run only
        if old.suffix in (".png", ".txt"):
            old.unlink()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


class Browsing:
    """The pages one test opened, their console errors, and a login per user (each in its own context)."""

    def __init__(self, browser, base_url: str, signed_in: dict):
        self.signed_in = signed_in  # username → cookies of an earlier sign-in in this run
        self.browser, self.base, self.pages, self.errors, self.contexts = browser, base_url, [], [], []
        self.allowed: tuple[str, ...] = ()  # extra Latin words a test expects (e.g. its own data)

    def new_page(self, phone: bool = False, storage_state=None):
        """A fresh context (own cookies, own client IP) and page; phone=True is a 390×844 touch window."""
        n = next(_ips)
        options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone \
            else {"viewport": DESKTOP}
        context = self.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", extra_http_headers={
            "X-Hk-Test-Ip": f"10.{200 + (n >> 16) % 50}.{(n >> 8) & 255}.{n & 255}"}, storage_state=storage_state,
            **options)
        context.set_default_timeout(15000)
        self.contexts.append(context)
        page = context.new_page()
        self.watch(page)
        context.on("page", self.watch)
        return page

    def watch(self, page) -> None:
        """Record the page and every console error or uncaught exception it reports."""
        if page in self.pages:
            return
        self.pages.append(page)
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(
            f"console error on {page.url}: {msg.text} @ {msg.location}"))
        page.on("pageerror", lambda exc: self.errors.append(f"page error on {page.url}: {exc}"))

    def login(self, username: str, phone: bool = False, password: str = PASSWORD):
        """A page signed in as `username`, showing the home page: through the real login form the first time,
        then with that sign-in's cookies (the server keeps the session), which saves the suite's time."""
        if username in self.signed_in:
            page = self.new_page(phone, storage_state=self.signed_in[username])
            self.goto(page, "/")
            if "/login" not in page.url:
                return page
        page = self.new_page(phone)
        page.goto(self.base + "/login/")
        page.fill("#username", username)
        page.fill("#password", password)
        with page.expect_navigation():
            page.locator("form [type=submit]").first.click()
        assert "/login" not in page.url, f"login as {username} failed: {page.url}"
        self.signed_in[username] = page.context.storage_state()
        self.check(page)
        return page

    def url(self, path: str) -> str:
        """The absolute URL of an app path."""
        return self.base + path

    def goto(self, page, path: str):
        """Open an app path, check that it answered and shows no English; returns the page."""
        response = page.goto(self.base + path)
        assert response is not None and response.status < 400, f"{path}: HTTP {response and response.status}"
        self.check(page)
        return page

    def open_from_todo(self, page, app_id: int, clicks=None) -> None:
        """From the home page's to-do list, open the application (one click). The home page lists the oldest
        items only; should other tests have filled it, the application is opened by its address instead."""
        self.goto(page, "/")
        link = page.locator(f'a[href$="/applicationview/show/{app_id}"]').first
        if page.locator(f'a[href$="/applicationview/show/{app_id}"]').count() == 0:
            print(f"application {app_id} is not among the oldest items of the to-do list; opened by address")
            if clicks is not None:
                clicks.count += 1
                clicks.log.append("open the application")
            self.goto(page, f"/applicationview/show/{app_id}")
            return
        if clicks is not None:
            clicks.click(link, "to-do item", navigates=True)
            return
        with page.expect_navigation():
            link.click()
        self.check(page)

    def check(self, page) -> None:
        """The checks every page reached must pass: no English in its visible text."""
        page.wait_for_load_state("load")
        assert_no_english(page, self.allowed)

    def save_artifacts(self, name: str) -> list[Path]:
        """A full-page PNG and the URL of every open page, for a failed test."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]
        saved = []
        for i, page in enumerate(self.pages):
            if page.is_closed():
                continue
            target = ARTIFACTS / f"{safe}-{i}.png"
            try:
                page.screenshot(path=str(target), full_page=True, timeout=10000)
                target.with_suffix(".url.txt").write_text(page.url + "\n", encoding="utf-8")
                saved.append(target)
            except Exception as exc:  # a crashed page must not hide the test's own failure
                target.with_suffix(".url.txt").write_text(f"{page.url}\nno screenshot: {exc}\n", encoding="utf-8")
        return saved

    def close(self) -> None:
        """Close every context of the test."""
        for context in self.contexts:
            try:
                context.close()
            except Exception:  # already gone with the browser
                pass


@pytest.fixture(scope="package")
def signed_in():
    """Cookies of each user's first sign-in, reused by later tests of the run."""
    return {}


@pytest.fixture
def browsing(chromium, live_server, signed_in, request):
    """Per-test browsing: fails the test on console errors, keeps screenshots when it fails."""
    b = Browsing(chromium, live_server, signed_in)
    yield b
    failed = any(getattr(request.node, f"hk_rep_{when}", None) is not None
                 and getattr(request.node, f"hk_rep_{when}").failed for when in ("setup", "call"))
    errors = list(b.errors)
    if failed or errors:
        b.save_artifacts(request.node.nodeid)
    b.close()
    if errors and not failed:
        pytest.fail("browser console errors:\n" + "\n".join(errors[:20]))
