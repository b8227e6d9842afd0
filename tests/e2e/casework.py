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
    # Five people share two cores with the platform: give each wait room, then restore.
    expect.set_options(timeout=15_000)
    try:
        yield crowd
    finally:
        expect.set_options(timeout=5_000)
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


def choose_organ(page: Page, field: Locator, code: str) -> None:
    """Picks an organ in the organ picker by typing its code."""
    field.click()
    page.keyboard.type(code)
    option = page.locator(".el-select-dropdown__item:visible", has_text=re.compile(rf"· {code}$"))
    option.first.click()


def until_visible(page: Page, target: Locator, refresh, tries: int = 15) -> None:
    """Waits for `target`, refreshing the page's data between waits: routing and intake
    follow each other's events through the broker, so a step shows up a moment later."""
    for _ in range(tries - 1):
        try:
            expect(target).to_be_visible(timeout=1_000)
            return
        except AssertionError:
            refresh()
    expect(target).to_be_visible(timeout=2_000)


def act(page: Page, action: str, fill: dict[str, str] | None = None,
        choices: dict[str, str] | None = None, many: dict[str, list[str]] | None = None,
        organs: dict[str, str] | None = None, verdict: str | None = None) -> None:
    """Runs one action of the case page: its button, its dialog's fields, confirm.

    `fill` types into text fields, `choices` picks one option by its label, `many` picks
    several. Waits until the dialog has closed and the case has reloaded without the button
    (or with the next state).
    """
    button = page.get_by_test_id(f"action-{action}")
    until_visible(page, button, page.reload)
    button.click()
    box = dialog(page)
    expect(box).to_be_visible()
    for key, text in (choices or {}).items():
        choose(page, box.get_by_test_id(f"field-{key}"), text)
    for key, code in (organs or {}).items():
        choose_organ(page, box.get_by_test_id(f"field-{key}"), code)
    if verdict is not None:
        box.get_by_test_id(f"verdict-{verdict.replace('_', '-')}").click()
    for key, texts in (many or {}).items():
        select = box.get_by_test_id(f"field-{key}")
        select.click()  # a multiple select stays open while options are picked
        for text in texts:
            page.locator(".el-select-dropdown__item:visible", has_text=text).first.click()
            expect(select).to_contain_text(text)
        page.keyboard.press("Escape")
    for key, text in (fill or {}).items():
        field = box.get_by_test_id(f"field-{key}")
        tag = field.evaluate("e => e.tagName")
        target = field if tag in ("INPUT", "TEXTAREA") else field.locator("input, textarea").first
        target.fill(text)
    submit = box.get_by_test_id("action-submit")
    submit.click()
    refused = box.get_by_test_id("action-error").or_(box.locator(".el-form-item__error"))
    expect(page.locator(".el-message--success").last.or_(refused).first).to_be_visible()
    assert not refused.count(), f"{action} refused: {refused.all_inner_texts()}"
    # Not the success message again: it fades after 3 s, which a busy machine can outlast.
    # A refusal keeps the dialog open, so its closing is the proof.
    expect(box).to_have_count(0)


def approve(page: Page, base: str, number: str, *, reject_with: str | None = None) -> None:
    """A leader's one click on the approvals page (a rejection asks for the reason)."""
    page.goto(f"{base}/approvals")
    row = page.get_by_test_id(f"approval-{number}")
    until_visible(page, row, page.reload)
    if reject_with is None:
        row.get_by_test_id("approve").click()
    else:
        row.get_by_test_id("reject").click()
        box = page.locator(".el-message-box:visible")
        box.locator("input, textarea").first.fill(reject_with)
        box.locator(".el-button--primary").click()
    expect(page.locator(".el-message--success").last).to_be_visible()
    expect(page.get_by_test_id(f"approval-{number}")).to_have_count(0)


def from_inbox(page: Page, base: str, tab: str, case_id: str) -> None:
    """Opens the case from the workbench's inbox tab (its count says it is there)."""
    page.goto(f"{base}/")
    page.get_by_test_id(f"inbox-tab-{tab}").click()
    table = page.get_by_test_id(f"inbox-table-{tab}")
    link = table.locator(f'[data-testid="inbox-case"][data-case="{case_id}"]')
    until_visible(page, link, lambda: page.get_by_test_id("inbox-refresh").click())
    count = page.get_by_test_id(f"inbox-tab-{tab}").get_attribute("data-count") or "0"
    assert int(count) >= 1
    link.click()
    expect(page).to_have_url(re.compile(f"/cases/{case_id}$"))
    expect(page.get_by_test_id("case-facts")).to_be_visible()


def stage_of(page: Page) -> str:
    return page.get_by_test_id("case-stage").get_attribute("data-stage") or ""


def status_of(page: Page) -> str:
    status = page.get_by_test_id("case-status")
    return (status.get_attribute("data-status") or "") if status.count() else ""


def expect_status(page: Page, status: str) -> None:
    status_tag = page.get_by_test_id("case-status")
    expect(status_tag).to_have_attribute("data-status", status, timeout=15_000)


def expect_holder(page: Page, organ: str) -> None:
    holder = page.get_by_test_id("case-holder")
    expect(holder).to_have_attribute("data-organ", organ, timeout=15_000)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}-{name}.png", full_page=True)


CASE_URL = re.compile(r"/cases/([0-9a-f-]{36})$")
