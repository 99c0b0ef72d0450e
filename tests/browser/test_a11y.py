"""Accessibility (GB/T 37668): axe-core, offline in the same browser, finds no critical or serious violation on
the to-do list, the application page, the upload page (materials panel) and the resident form."""
from __future__ import annotations

from tests.browser.checks import assert_no_sideways_scroll, axe_serious
from tests.browser.data import Rest, at_dept_review, new_resident, png, required_types


def clean(page) -> None:
    """No critical or serious axe violation on the page."""
    found = axe_serious(page)
    assert not found, f"axe on {page.url}:\n" + "\n".join(found)


def test_axe_on_the_officers_pages(browsing, app, world):
    at_dept_review(app, world["dept_a"])  # something on the to-do lists
    officer_api = Rest(app, "t_officer")
    app_id = officer_api.create("move_in", new_resident(app, world["dept_a"]), reason="人才引进")
    (type_id, _code, name), *_rest = required_types(app, "move_in")
    officer_api.upload(app_id, type_id, png(), f"{name}.png")  # a file waiting for verification

    officer = browsing.login("t_officer")
    clean(officer)  # the to-do list (home)
    browsing.goto(officer, f"/applicationview/show/{app_id}")
    officer.locator("#hk-materials").wait_for()
    clean(officer)  # the application page with its materials panel (upload, verify, return)
    browsing.goto(officer, "/residentview/add")
    clean(officer)  # the resident form
    browsing.goto(officer, "/applicationview/list/")
    clean(officer)


def test_axe_on_phone_pages_of_approver_and_employee(browsing, app, world):
    app_id = at_dept_review(app, world["dept_a"])
    approver = browsing.login("t_approver_a", phone=True)
    clean(approver)
    browsing.goto(approver, f"/applicationview/show/{app_id}")
    clean(approver)
    assert_no_sideways_scroll(approver)
    employee = browsing.login("t_employee_a", phone=True)
    clean(employee)
    browsing.goto(employee, f"/applicationview/add?resident={world['res_a']}&type=certificate")
    clean(employee)
