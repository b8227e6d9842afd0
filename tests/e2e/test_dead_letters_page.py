"""The administrator's dead-letter page in a real browser: a poison message sent to the
running platform shows up once per consumer; the administrator retries one (the cause is
not fixed, so it is dead again with one more attempt) and discards it; a clerk has no
such page."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.shell import administrator, login, menu_entries, switch_language
from tests.integration.platform.logged_in import StaffClient
from tests.integration.platform.test_dead_letters_live import LETTERS, _poison

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def patient() -> object:
    """A loaded machine answers slowly; the story is the same."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def _new_letters(url: str, before: set[str]) -> list[str]:
    admin = StaffClient(url, administrator().username)
    try:
        deadline = time.monotonic() + 60
        while True:
            rows = admin.post(LETTERS, status="DEAD")["data"]["deadLetters"]
            new = sorted((r["id"] for r in rows if r["id"] not in before), key=int)
            if len(new) >= 3 or time.monotonic() > deadline:
                return new
            time.sleep(0.5)
    finally:
        admin.close()


def test_the_administrator_lists_retries_and_discards_dead_letters(platform, page: Page) -> None:
    base = platform.gateway_url.rstrip("/")
    admin = StaffClient(base, administrator().username)
    before = {r["id"] for r in admin.post(LETTERS)["data"]["deadLetters"]}
    admin.close()
    _poison(platform)
    new = _new_letters(base, before)
    assert len(new) == 3, new

    login(page, base, administrator())
    assert "admin-dead-letters" in menu_entries(page)
    page.get_by_test_id("menu-admin-dead-letters").click()
    view = page.get_by_test_id("page-dead-letters")
    expect(view).to_be_visible()
    expect(view.locator(".panel__title").first).to_have_text("死信")
    table = page.get_by_test_id("dead-letters-table")
    letter = new[0]
    status = page.get_by_test_id(f"dead-letter-status-{letter}")
    expect(status).to_have_text("待处理")
    expect(table).to_contain_text("envelope_unknown_version")

    page.get_by_test_id(f"dead-letter-retry-{letter}").click()
    expect(page.locator(".el-message--error")).to_contain_text(f"死信 {letter} 重试仍失败")
    expect(status).to_have_text("待处理")
    row = table.locator("tr", has=status)
    expect(row).to_contain_text("1")  # one attempt

    page.get_by_test_id(f"dead-letter-discard-{letter}").click()
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(status).to_have_text("已放弃")
    expect(page.get_by_test_id(f"dead-letter-retry-{letter}")).to_have_count(0)

    page.get_by_test_id("dead-letters-status").click()
    page.locator(".el-select-dropdown__item", has_text="已放弃").click()
    expect(page.get_by_test_id(f"dead-letter-status-{letter}")).to_have_text("已放弃")
    expect(page.get_by_test_id(f"dead-letter-status-{new[1]}")).to_have_count(0)

    switch_language(page, "en")
    expect(view.locator(".panel__title").first).to_have_text("Dead letters")
    expect(page.get_by_test_id(f"dead-letter-status-{letter}")).to_have_text("Discarded")
    # The language is remembered per user: give the administrator back to the other tests.
    switch_language(page, "zh-CN")
    expect(view.locator(".panel__title").first).to_have_text("死信")


def test_a_clerk_has_no_dead_letter_page(platform, page: Page) -> None:
    from tests.e2e.shell import township_clerk

    base = platform.gateway_url.rstrip("/")
    login(page, base, township_clerk())
    assert "admin-dead-letters" not in menu_entries(page)
    page.goto(f"{base}/admin/dead-letters")
    expect(page.get_by_test_id("page-dead-letters")).to_have_count(0)
