"""Checks the browser tests share: visible English words, sideways scrolling, axe-core, and a click counter."""
from __future__ import annotations

import re

# Latin words a Chinese page may show: abbreviations and names users know in Latin letters.
ALLOWED = {
    "pdf", "excel", "xlsx", "csv", "api", "ocr", "url", "png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff",
    "rest", "jwt", "json", "ems", "sms", "wecom", "dingtalk", "smtp", "http", "https", "www", "com", "cn",
    "language", "english", "echarts", "admin", "test",
}
# Logins, e-mail addresses, file names and URLs are data, not interface text.
DATA = re.compile(r"[\w.+-]+@[\w.-]+|\bhttps?://\S+|[\w.-]+\.(?:pdf|png|jpe?g|gif|webp|xlsx?|csv|txt|zip)\b"
                  r"|(?<![A-Za-z0-9])[A-Za-z0-9]*_[A-Za-z0-9_]+", re.IGNORECASE)
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{3,}(?![A-Za-z0-9])")


def english_words(text: str, also_allowed: tuple[str, ...] = ()) -> list[str]:
    """Latin words of three letters or more in `text` that are neither allowed abbreviations nor data."""
    allowed = ALLOWED | {w.lower() for w in also_allowed}
    cleaned = DATA.sub(" ", text)
    return sorted({w for w in WORD.findall(cleaned) if w.lower() not in allowed})


def assert_no_english(page, also_allowed: tuple[str, ...] = ()) -> None:
    """No English in the visible text of the page (innerText skips hidden elements) nor in its title."""
    text = page.evaluate("() => document.title + '\\n' + document.body.innerText")
    words = english_words(text, also_allowed)
    assert not words, f"English on {page.url}: {words}"


def assert_no_sideways_scroll(page) -> None:
    """The page fits the window's width (no horizontal scrolling on a phone).

    Measured against the device's viewport, not window.innerWidth: a mobile browser widens its layout viewport
    (and innerWidth) to whatever the page overflows to.
    """
    width = page.evaluate("() => document.documentElement.scrollWidth")
    inner = page.viewport_size["width"]
    if width > inner:
        wide = page.evaluate("""(w) => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > w + 1 && e.offsetParent !== null)
            .slice(0, 8).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + (e.className || '').toString()
            .split(' ').join('.') + ' right=' + Math.round(e.getBoundingClientRect().right))""", inner)
        raise AssertionError(f"{page.url} scrolls sideways: scrollWidth {width} > {inner}; wide: {wide}")


def axe_serious(page) -> list[str]:
    """axe-core's critical and serious violations on the page (the script ships with axe-playwright-python)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    out = []
    for v in results.response.get("violations", []):
        if v.get("impact") in ("critical", "serious"):
            nodes = [" ".join(map(str, n.get("target", []))) + " — " + (n.get("any") or [{}])[0].get("message", "")
                     for n in v.get("nodes", [])[:5]]
            out.append(f"{v['id']} ({v['impact']}): {v.get('help')} at {nodes}")
    return out


class Clicks:
    """Counts one person's clicks (the issue's measure of the counter's work); pages loaded by a click are checked."""

    def __init__(self, browsing=None):
        self.browsing, self.count, self.log = browsing, 0, []

    def click(self, locator, what: str = "", navigates: bool = False) -> None:
        """Click and count it; navigates=True waits for the page that the click loads and checks it."""
        self.count += 1
        self.log.append(what or str(locator))
        if navigates:
            with locator.page.expect_navigation():
                locator.click()
            if self.browsing is not None:
                self.browsing.check(locator.page)
        else:
            locator.click()
