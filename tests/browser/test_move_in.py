"""The officer's move-in in a real browser, from creating the application to the archive, counting the officer's
clicks (issue #9: at most 15); the approver and the leader act in their own browsers."""
from __future__ import annotations

import re

from tests.browser.checks import Clicks
from tests.browser.data import new_resident, png, required_types, status_of

MAX_OFFICER_CLICKS = 15


def act(page, clicks: Clicks, action: str, comment: str = "", **fields) -> None:
    """One workflow button of the application page (after filling the comment box and the step's fields)."""
    if comment:
        page.fill("#hk-comment", comment)
    for name, value in fields.items():
        page.locator(f"[name={name}]:visible").first.fill(value)
    clicks.click(page.locator(f"[data-action={action}]:visible").first, f"action {action}", navigates=True)
    errors = page.locator(".alert-danger:visible")
    assert errors.count() == 0, f"{action} refused: {errors.first.inner_text()}"


def approve_in_own_browser(browsing, username: str, app_id: int, action: str) -> None:
    """Another person opens the application from their to-do list and approves it."""
    page = browsing.login(username)
    browsing.open_from_todo(page, app_id)
    act(page, Clicks(browsing), action, comment="同意")
    page.context.close()


def test_officer_move_in_from_creation_to_archive(browsing, app, world):
    from app.models.resident import RESIDENT_STATUSES

    resident = new_resident(app, world["dept_a"], "pending_in" if "pending_in" in RESIDENT_STATUSES else "active")
    officer, clicks = browsing.login("t_officer"), Clicks(browsing)

    # The person's page (found by the top-bar search) → 「为其办理业务」 → the form, type and person filled in.
    browsing.goto(officer, f"/residentview/show/{resident}")
    start = officer.locator(f'a[href*="/applicationview/add?resident={resident}"]').first
    clicks.click(start, "为其办理业务", navigates=True)
    if "type=move_in" not in officer.url:
        officer.select_option("select[name=type]", "move_in")
        clicks.count += 1  # choosing the type is one more click
    clicks.click(officer.locator("#model_form [type=submit]").first, "save", navigates=True)
    match = re.search(r"/applicationview/show/(\d+)", officer.url)
    assert match, f"after saving the officer is on {officer.url}, not on the application"
    app_id = int(match.group(1))

    # Every required scan at once: each file gets the next checklist line still missing.
    files = [{"name": f"{name}.png", "mimeType": "image/png", "buffer": png()}
             for _id, _code, name in required_types(app, "move_in")]
    with officer.expect_file_chooser() as chooser:
        clicks.click(officer.locator("label:has(#hk-multi-file)"), "choose files")
    chooser.value.set_files(files)
    clicks.click(officer.locator("form.hk-upload [type=submit]"), "upload")
    officer.locator("#hk-verify-all").wait_for()
    clicks.click(officer.locator("#hk-verify-all"), "verify all")
    officer.locator("#hk-verify-all").wait_for(state="detached")
    browsing.check(officer)

    act(officer, clicks, "submit")
    act(officer, clicks, "pass_review")
    assert status_of(app, app_id) == "dept_review"

    approve_in_own_browser(browsing, "t_approver_a", app_id, "dept_approve")
    approve_in_own_browser(browsing, "t_leader", app_id, "leader_approve")
    assert status_of(app, app_id) == "entry"

    # Back at the counter: the application is on the officer's to-do list.
    browsing.open_from_todo(officer, app_id, clicks)
    act(officer, clicks, "enter", police_ref=f"受理{app_id:06d}")
    assert officer.get_by_text(f"受理{app_id:06d}").count() > 0, "the 受理号 is not shown on the page"
    act(officer, clicks, "complete", page_number=f"{app_id:04d}")
    act(officer, clicks, "archive", archive_location="3号柜2层")
    assert status_of(app, app_id) == "archived"

    print(f"\nofficer clicks for one move-in: {clicks.count} ({'; '.join(clicks.log)})")
    assert clicks.count <= MAX_OFFICER_CLICKS, clicks.log
