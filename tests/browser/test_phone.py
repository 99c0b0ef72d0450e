"""Phones (390×844): the employee's own application with a multi-file upload, an approver's approval, and the
lists approvers and employees use, all without sideways scrolling and with 状态 visible."""
from __future__ import annotations

import re

from tests.browser.checks import assert_no_sideways_scroll
from tests.browser.data import at_dept_review, new_employee, new_resident, pdf, png, required_types, status_of


def on_phone(browsing, page, path: str):
    """Open a page on the phone: it answers, shows no English and fits the width."""
    browsing.goto(page, path)
    assert_no_sideways_scroll(page)
    return page


def test_employee_applies_and_uploads_several_files_on_a_phone(browsing, app, world):
    resident = new_resident(app, world["dept_a"])
    phone = browsing.login(new_employee(app, resident), phone=True)
    assert_no_sideways_scroll(phone)
    on_phone(browsing, phone, f"/applicationview/add?resident={resident}&type=page_reissue")
    if phone.locator("select[name=type]").input_value() != "page_reissue":
        phone.select_option("select[name=type]", "page_reissue")
    reason = phone.locator("[name=reason]")
    if reason.count():
        reason.fill("户口卡遗失")
    with phone.expect_navigation():
        phone.locator("#model_form [type=submit]").first.click()
    assert re.search(r"/applicationview/show/\d+", phone.url), f"after saving: {phone.url}"
    app_id = int(re.search(r"/show/(\d+)", phone.url).group(1))
    browsing.check(phone)
    assert_no_sideways_scroll(phone)

    needed = required_types(app, "page_reissue")
    files = [{"name": f"{name}.{'pdf' if i else 'png'}", "mimeType": "application/pdf" if i else "image/png",
              "buffer": pdf() if i else png()} for i, (_id, _code, name) in enumerate(needed)]
    phone.locator("#hk-multi-file").set_input_files(files)
    assert_no_sideways_scroll(phone)
    phone.locator("form.hk-upload [type=submit]").click()
    pending = phone.locator(".hk-line.hk-state-pending")
    pending.nth(len(needed) - 1).wait_for()
    assert pending.count() == len(needed)
    assert_no_sideways_scroll(phone)
    browsing.check(phone)

    submit = phone.locator("[data-action=submit]:visible").first
    box = submit.bounding_box()
    assert box and box["x"] + box["width"] <= 390, "the submit button is off the screen's width"
    with phone.expect_navigation():
        submit.click()
    assert status_of(app, app_id) == "submitted"
    assert_no_sideways_scroll(phone)


def test_approver_approves_on_a_phone(browsing, app, world):
    app_id = at_dept_review(app, world["dept_a"])
    phone = browsing.login("t_approver_a", phone=True)
    assert_no_sideways_scroll(phone)
    browsing.open_from_todo(phone, app_id)
    assert_no_sideways_scroll(phone)
    approve = phone.locator("[data-action=dept_approve]:visible").first
    assert approve.bounding_box()["y"] < 844 * 2, "the approval button is far below the fold"
    phone.fill("#hk-comment", "同意")
    with phone.expect_navigation():
        approve.click()
    assert status_of(app, app_id) == "leader_review"
    browsing.check(phone)
    assert_no_sideways_scroll(phone)


def test_lists_on_a_phone_are_cards_with_status(browsing, app, world):
    at_dept_review(app, world["dept_a"])
    approver = browsing.login("t_approver_a", phone=True)
    for path in ("/", "/applicationview/list/", "/residentview/list/", "/materialview/list/"):
        on_phone(browsing, approver, path)
    browsing.goto(approver, "/applicationview/list/")
    status = approver.locator("td[data-label='状态']:visible")
    assert status.count() >= 1, "no visible 状态 in the approver's list on a phone"
    assert status.first.inner_text().strip(), "the 状态 cell is empty"

    employee = browsing.login("t_employee_a", phone=True)
    for path in ("/", "/applicationview/list/"):
        on_phone(browsing, employee, path)
    # The collapsed menu opens and its entries fit the screen.
    employee.locator(".navbar-toggle").click()
    employee.locator(".navbar-collapse.in").wait_for()
    assert_no_sideways_scroll(employee)
