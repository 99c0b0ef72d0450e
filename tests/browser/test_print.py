"""The print forms print cleanly: with print media no navigation, buttons or form controls show and no link prints
its URL; the forms linked from the application page open, in Chinese."""
from __future__ import annotations

from tests.browser.data import Rest, at_dept_review, new_resident, required_types, status_of

# What must never be on paper.
SCREEN_ONLY = ("nav, .navbar, header, footer, button, .btn, input:not([type=hidden]), select, textarea, "
               ".pagination, .dropdown-menu")


def printed(page) -> None:
    """With print media, nothing of the screen's chrome is visible and links print no URL."""
    page.emulate_media(media="print")
    try:
        shown = page.evaluate("""(sel) => Array.from(document.querySelectorAll(sel))
            .filter(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                           return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; })
            .map(e => e.outerHTML.slice(0, 120))""", SCREEN_ONLY)
        assert not shown, f"{page.url} prints screen elements: {shown[:5]}"
        urls = page.evaluate("""() => Array.from(document.querySelectorAll('a[href]'))
            .filter(a => a.getBoundingClientRect().width > 0)
            .map(a => getComputedStyle(a, '::after').content)
            .filter(c => c && c !== 'none' && c !== 'normal' && c !== '""')""")
        assert not urls, f"{page.url} prints link URLs: {urls[:5]}"
        text = page.evaluate("() => document.body.innerText")
        assert len(text.strip()) > 40, f"{page.url} prints (almost) nothing"
    finally:
        page.emulate_media(media="screen")


def completed_certificate(app, dept_id: int) -> int:
    """A 户籍证明 application taken to 办结 through the REST API (approver and leader as themselves)."""
    app_id = at_dept_review(app, dept_id, "certificate")
    Rest(app, "t_approver_a").act(app_id, "dept_approve", comment="同意")
    Rest(app, "t_leader").act(app_id, "leader_approve", comment="同意")
    assert status_of(app, app_id) == "completed"
    return app_id


def test_print_forms_of_the_application_page(browsing, app, world):
    cert_id = completed_certificate(app, world["dept_a"])
    officer = browsing.login("t_officer")
    browsing.goto(officer, f"/applicationview/show/{cert_id}")
    printed(officer)  # the application page itself prints its content only
    links = officer.locator("a[data-print-form]")
    kinds = [links.nth(i).get_attribute("data-print-form") for i in range(links.count())]
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 2, f"print links on the certificate application: {kinds}"
    for href in hrefs:
        browsing.goto(officer, href)
        officer.locator(".hk-sheet").first.wait_for()
        printed(officer)
    # The certificate carries the person's registration data and a number.
    browsing.goto(officer, f"/print/application/{cert_id}/certificate")
    assert officer.locator(".hk-sheet").count() >= 1


def test_print_notice_lists_missing_items(browsing, app, world):
    officer_api = Rest(app, "t_officer")
    app_id = officer_api.create("move_in", new_resident(app, world["dept_a"]), reason="应届毕业生落户")
    officer = browsing.login("t_officer")
    browsing.goto(officer, f"/print/application/{app_id}/notice")
    sheet = officer.locator(".hk-sheet").first.inner_text()
    for _id, _code, name in required_types(app, "move_in"):
        assert name in sheet, f"补正告知书 does not list {name}"
    printed(officer)
    browsing.goto(officer, f"/print/application/{app_id}/approval")
    printed(officer)


def test_print_page_loan_form(browsing, app, world):
    app_id = at_dept_review(app, world["dept_a"], "borrow_page")
    Rest(app, "t_approver_a").act(app_id, "dept_approve", comment="同意")
    assert status_of(app, app_id) == "completed"
    officer = browsing.login("t_officer")
    browsing.goto(officer, f"/applicationview/show/{app_id}")
    loan = officer.locator("a[data-print-form], a[href*='/pageloanview/print/']")
    hrefs = [loan.nth(i).get_attribute("href") for i in range(loan.count())]
    assert any("/print/" in h for h in hrefs), f"no loan form linked from the page: {hrefs}"
    for href in hrefs:
        browsing.goto(officer, href)
        printed(officer)
