"""The browser tests' own checks, without a browser: the English finder and the click counter."""
from __future__ import annotations

import pytest

from tests.browser.checks import Clicks, english_words


@pytest.mark.parametrize(("text", "found"), [
    ("待部门审批 · 测试t_approver_a · 居民身份证.png", []),
    ("导出 Excel、PDF 与 OCR；联系 admin@example.test 或 https://hukou.example.com/x", []),
    ("Details 下一步 Waiting since", ["Details", "Waiting", "since"]),
    ("report_card 与 Submitted", ["Submitted"]),
    ("ID 110105********002X、编号 A12", []),
])
def test_english_words(text, found):
    assert english_words(text) == sorted(found)


def test_english_words_allows_a_tests_own_words():
    assert english_words("Foo 张三", also_allowed=("foo",)) == []


def test_clicks_counts_each_click():
    class Target:
        clicked = 0

        def click(self):
            Target.clicked += 1

    clicks = Clicks()
    clicks.click(Target(), "one")
    clicks.click(Target(), "two")
    assert (clicks.count, clicks.log, Target.clicked) == (2, ["one", "two"], 2)


def test_console_errors_and_page_errors_are_caught(browsing):
    page = browsing.new_page()
    browsing.goto(page, "/login/")
    page.evaluate("() => { console.error('测试错误'); setTimeout(() => { throw new Error('未捕获'); }, 0); }")
    page.wait_for_timeout(200)
    caught = list(browsing.errors)
    browsing.errors.clear()  # expected here; any other test fails on them at teardown
    assert any("测试错误" in e for e in caught) and any("未捕获" in e for e in caught), caught
