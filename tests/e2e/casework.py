"""Helpers for the casework stories: one logged-in browser per person, and the case page's
actions played through their dialogs (never GraphQL calls)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.shell import DemoUser, demo_user, login

SHOTS = "/tmp/baton-casework"


def person(username: str) -> DemoUser:
    return demo_user(lambda u: u.username == username, username)


class People:
    """A browser context per person, logged in once through the login page and reused."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.browser = browser
        self.base = base
        self.contexts: dict[str, tuple[BrowserContext, Page]] = {}

    def new_context(self) -> BrowserContext:
        context = self.browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 860}
        )
        context.set_default_timeout(10_000)
        return context

    def page(self, username: str) -> Page:
        if username not in self.contexts:
            context = self.new_context()
            page = context.new_page()
            login(page, self.base, person(username))
            self.contexts[username] = (context, page)
        return self.contexts[username][1]

    def close(self) -> None:
        for context, _page in self.contexts.values():
            context.close()


@contextmanager
def people(browser: Browser, base: str) -> Iterator[People]:
    crowd = People(browser, base)
    try:
        yield crowd
    finally:
        crowd.close()


def choose(page: Page, select: Locator, text: str) -> None:
    """Opens an Element Plus select and picks the visible option with this text."""
    select.click()
    page.locator(".el-select-dropdown__item:visible", has_text=text).first.click()
    expect(select).to_contain_text(text)


def open_case(page: Page, base: str, case_id: str) -> None:
    page.goto(f"{base}/cases/{case_id}")
    expect(page.get_by_test_id("case-facts")).to_be_visible()


def dialog(page: Page) -> Locator:
    return page.locator(".el-dialog:visible")


def act(page: Page, action: str, fill: dict[str, str] | None = None,
        choices: dict[str, str] | None = None, many: dict[str, list[str]] | None = None) -> None:
    """Runs one action of the case page: its button, its dialog's fields, confirm.

    `fill` types into text fields, `choices` picks one option by its label, `many` picks
    several. Waits until the dialog has closed and the case has reloaded without the button
    (or with the next state).
    """
    button = page.get_by_test_id(f"action-{action}")
    expect(button).to_be_visible()
    button.click()
    box = dialog(page)
    expect(box).to_be_visible()
    for key, text in (choices or {}).items():
        choose(page, box.get_by_test_id(f"field-{key}"), text)
    for key, texts in (many or {}).items():
        for text in texts:
            choose(page, box.get_by_test_id(f"field-{key}"), text)
        page.keyboard.press("Escape")
    for key, text in (fill or {}).items():
        field = box.get_by_test_id(f"field-{key}")
        target = field if field.evaluate("e => e.tagName") in ("INPUT", "TEXTAREA") else field.locator("input, textarea").first
        target.fill(text)
    submit = box.get_by_test_id("action-submit")
    submit.click()
    expect(page.locator(".el-message--success").last).to_be_visible()
    expect(box).to_have_count(0)


def stage_of(page: Page) -> str:
    return page.get_by_test_id("case-stage").get_attribute("data-stage") or ""


def status_of(page: Page) -> str:
    status = page.get_by_test_id("case-status")
    return (status.get_attribute("data-status") or "") if status.count() else ""


def expect_status(page: Page, status: str) -> None:
    expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", status, timeout=15_000)


def expect_holder(page: Page, organ: str) -> None:
    expect(page.get_by_test_id("case-holder")).to_have_attribute("data-organ", organ, timeout=15_000)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}-{name}.png", full_page=True)


CASE_URL = re.compile(r"/cases/([0-9a-f-]{36})$")
