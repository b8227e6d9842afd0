"""The web shell in a real browser against the running platform: login, menus by role,
the language switch remembered per user, logout, refusals and coded errors."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.shell import (
    administrator,
    auditor,
    fill_login,
    login,
    logout,
    menu_entries,
    province_leader,
    switch_language,
    township_clerk,
)

pytestmark = pytest.mark.e2e

SHOTS = "/tmp/baton-shell"


def _base(platform) -> str:
    return platform.gateway_url.rstrip("/")


def _fresh_page(browser: Browser) -> Page:
    """A new browser profile: nothing in localStorage, no cookie."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 860}
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def test_anonymous_users_go_to_login_and_come_back_after(platform, page: Page) -> None:
    base = _base(platform)
    page.goto(f"{base}/stats")
    expect(page).to_have_url(re.compile(r"/login\?redirect=(/|%2F)stats$"))
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.screenshot(path=f"{SHOTS}-login.png")

    clerk = township_clerk()
    fill_login(page, clerk.username, clerk.password)
    expect(page).to_have_url(f"{base}/stats")
    expect(page.get_by_test_id("page-stats")).to_be_visible()


def test_clerk_and_leader_see_different_menus(platform, page: Page) -> None:
    base = _base(platform)
    clerk = township_clerk()
    login(page, base, clerk)
    clerk_menu = menu_entries(page)
    assert {"workbench", "register", "stats"} <= clerk_menu
    assert not {"admin-users", "access-log"} & clerk_menu
    # The header names the user, their organ and their office (labels from the server).
    expect(page.get_by_test_id("header-organ")).to_have_text(re.compile(r"\S"))
    expect(page.get_by_test_id("header-office")).to_have_text("信访室")
    expect(page.get_by_test_id("role-petition_clerk")).to_have_text("信访干部")
    page.screenshot(path=f"{SHOTS}-clerk-workbench.png")
    page.get_by_test_id("menu-register").click()
    expect(page).to_have_url(f"{base}/register")
    expect(page.get_by_test_id("form-organ")).not_to_have_value("")
    expect(page.get_by_test_id("organ-stats")).to_have_attribute("data-state", "ready")
    page.wait_for_timeout(400)  # the menu's highlight fades in
    page.screenshot(path=f"{SHOTS}-clerk-register.png")
    logout(page)

    leader = province_leader()
    login(page, base, leader)
    leader_menu = menu_entries(page)
    assert "register" not in leader_menu and "stats" in leader_menu
    assert leader_menu != clerk_menu
    expect(page.get_by_test_id("header-organ")).to_have_text("甘肃省纪委监委")
    expect(page.get_by_test_id("role-leader")).to_have_text("分管领导")
    page.get_by_test_id("menu-stats").click()
    expect(page.get_by_test_id("page-stats")).to_be_visible()
    expect(page.get_by_test_id("stats-organ-select")).to_contain_text("甘肃省纪委监委")
    expect(page.get_by_test_id("organ-stats")).to_have_attribute("data-state", "ready")
    page.wait_for_timeout(400)
    page.screenshot(path=f"{SHOTS}-leader-stats.png")


def test_a_clerk_is_refused_a_page_outside_its_roles(platform, page: Page) -> None:
    base = _base(platform)
    login(page, base, township_clerk())
    page.goto(f"{base}/admin/users")
    expect(page.get_by_test_id("page-forbidden")).to_be_visible()
    expect(page.get_by_test_id("page-admin-users")).to_have_count(0)
    expect(page.get_by_test_id("forbidden-from")).to_have_text("/admin/users")
    page.screenshot(path=f"{SHOTS}-forbidden.png")
    page.goto(f"{base}/audit/access-log")
    expect(page.get_by_test_id("page-forbidden")).to_be_visible()
    page.get_by_test_id("forbidden-home").click()
    expect(page.get_by_test_id("page-workbench")).to_be_visible()


def test_language_switch_changes_labels_and_is_remembered_per_user(
    platform, page: Page, browser: Browser
) -> None:
    base = _base(platform)
    clerk = township_clerk()
    login(page, base, clerk)
    expect(page.get_by_test_id("menu-register")).to_have_text("编号登记")

    switch_language(page, "en")
    expect(page.get_by_test_id("menu-register")).to_have_text("Registration")
    expect(page.get_by_test_id("header-office")).to_have_text("Petition office")
    expect(page.get_by_test_id("role-petition_clerk")).to_have_text("Petition clerk")
    expect(page.get_by_test_id("logout-button")).to_have_text("Log out")
    # Element Plus follows: its own texts (here the date picker's) are English too.
    page.get_by_test_id("menu-register").click()
    page.get_by_test_id("received-at").locator("input").click()
    expect(page.locator(".el-picker-panel:visible .el-picker-panel__footer")).to_contain_text("OK")
    page.keyboard.press("Escape")
    page.screenshot(path=f"{SHOTS}-register-en.png")
    logout(page)
    # Before login the browser remembers it.
    expect(page.get_by_test_id("login-submit")).to_have_text("Log in")

    # Another browser (nothing stored) gets English from the user's own setting at login.
    other = _fresh_page(browser)
    try:
        other.goto(f"{base}/login")
        expect(other.get_by_test_id("login-submit")).to_have_text("登录")
        fill_login(other, clerk.username, clerk.password)
        expect(other.get_by_test_id("header-user-name")).to_have_text(clerk.name)
        expect(other.get_by_test_id("menu-register")).to_have_text("Registration")

        switch_language(other, "zh-CN")
        expect(other.get_by_test_id("menu-register")).to_have_text("编号登记")
        expect(other.get_by_test_id("header-office")).to_have_text("信访室")
        logout(other)
    finally:
        other.context.close()

    # And back in the first browser, logging in again brings the user's Chinese back.
    login(page, base, clerk)
    expect(page.get_by_test_id("menu-register")).to_have_text("编号登记")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_logout_ends_the_session(platform, page: Page) -> None:
    base = _base(platform)
    login(page, base, township_clerk())
    logout(page)
    page.goto(f"{base}/register")
    expect(page).to_have_url(re.compile(r"/login\?redirect="))
    # The server agrees: the cookie no longer opens a session.
    answer = page.request.post(f"{base}/graphql", data={"query": "{ me { user { username } } }"})
    codes = [e["extensions"]["code"] for e in answer.json()["errors"]]
    assert codes == ["unauthenticated"]


def test_a_lost_session_goes_to_login_and_comes_back(platform, page: Page) -> None:
    base = _base(platform)
    clerk = township_clerk()
    login(page, base, clerk, path="/stats")
    expect(page.get_by_test_id("organ-stats")).to_have_attribute("data-state", "ready")
    # The session cookie is gone (expired, or ended elsewhere): the next call is refused.
    page.context.clear_cookies()
    page.get_by_test_id("stats-refresh").click()
    expect(page).to_have_url(re.compile(r"/login\?redirect=(/|%2F)stats$"))
    expect(page.locator(".el-message--warning")).to_contain_text("登录已失效")
    fill_login(page, clerk.username, clerk.password)
    expect(page).to_have_url(f"{base}/stats")
    expect(page.get_by_test_id("organ-stats")).to_have_attribute("data-state", "ready")


def test_bad_password_shows_the_coded_error_in_the_current_language(platform, page: Page) -> None:
    base = _base(platform)
    clerk = township_clerk()
    page.goto(f"{base}/login")
    fill_login(page, clerk.username, clerk.password + "-wrong")
    error = page.get_by_test_id("login-error")
    expect(error).to_have_attribute("data-code", "login_failed")
    expect(error).to_contain_text(re.compile(r"[\u4e00-\u9fff]"))
    chinese = error.inner_text().strip()
    page.screenshot(path=f"{SHOTS}-login-error.png")

    # The same refusal in English, once the switch says so (no new request needed).
    switch_language(page, "en")
    expect(error).to_have_attribute("data-code", "login_failed")
    expect(error).not_to_have_text(chinese)
    expect(error).not_to_have_text(re.compile(r"[\u4e00-\u9fff]"))
    expect(page.get_by_test_id("header-user-name")).to_have_count(0)

    # And it is the server's message: an unknown user gets the very same words.
    answer = page.request.post(
        f"{base}/graphql",
        data={
            "query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p)"
            " { csrfToken } }",
            "variables": {"u": "nobody-such-user", "p": "wrong-password"},
        },
    ).json()
    extensions = answer["errors"][0]["extensions"]
    assert extensions["code"] == "login_failed"
    assert extensions["message_zh"] == chinese
    expect(error).to_have_text(extensions["message_en"])
    switch_language(page, "zh-CN")


def test_administrator_sees_users_and_auditor_the_access_log(platform, page: Page) -> None:
    base = _base(platform)
    clerk = township_clerk()
    admin = administrator()
    login(page, base, admin)
    assert {"admin-users"} <= menu_entries(page)
    page.get_by_test_id("menu-admin-users").click()
    table = page.get_by_test_id("users-table")
    expect(table).to_contain_text(clerk.username)
    expect(page.get_by_test_id(f"user-enabled-{clerk.username}")).to_be_visible()
    page.screenshot(path=f"{SHOTS}-admin-users.png")
    logout(page)
    # A refusal for the log, whatever ran before.
    fill_login(page, clerk.username, clerk.password + "-wrong")
    expect(page.get_by_test_id("login-error")).to_have_attribute("data-code", "login_failed")

    login(page, base, auditor())
    assert "access-log" in menu_entries(page)
    page.get_by_test_id("menu-access-log").click()
    page.get_by_test_id("filter-outcome").click()
    page.locator(".el-select-dropdown__item:visible", has_text="拒绝").click()
    page.get_by_test_id("filter-search").click()
    # Failed logins (this run's bad passwords, at least) are refusals the gateway records.
    rows = page.get_by_test_id("access-log-table").locator(".el-table__body tr")
    # Until the filtered answer replaces the first (unfiltered) one, allowed rows show.
    expect(rows.filter(has_text="允许")).to_have_count(0)
    expect(rows.first).to_contain_text("拒绝")
    expect(rows.filter(has_text=clerk.username).first).to_contain_text("拒绝")
    expect(page.get_by_test_id("access-log-table")).to_have_attribute("data-state", "ready")
    page.screenshot(path=f"{SHOTS}-access-log.png")


def test_progress_page_is_public(platform, page: Page) -> None:
    base = _base(platform)
    page.goto(f"{base}/login")
    page.get_by_test_id("progress-link").click()
    expect(page).to_have_url(f"{base}/progress")
    page.get_by_test_id("progress-code").fill("ZZZZ-ZZZZ-ZZZZ")
    page.get_by_test_id("progress-submit").click()
    expect(page.get_by_test_id("progress-error")).to_contain_text(re.compile(r"[\u4e00-\u9fff]"))
    expect(page.get_by_test_id("login-form")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}-progress.png")


def test_a_second_factor_is_asked_for_when_the_server_requires_it(platform, page: Page) -> None:
    import pyotp

    from gateway.identity.commands import add_user

    base = _base(platform)
    username = f"e2e.totp.{uuid.uuid4().hex[:6]}"
    password = "e2e-totp-password-2026"
    record = {
        "username": username,
        "name": "双因素测试",
        "organ": "620102",
        "office": "petition",
        "roles": ["leader"],
    }
    _, uri = add_user(platform.settings, record, password, with_totp=True)
    assert uri
    code = pyotp.parse_uri(uri)

    page.goto(f"{base}/login")
    expect(page.get_by_test_id("login-totp")).to_have_count(0)
    fill_login(page, username, password)
    # The server answered `totp_required`: the field appears, no session yet.
    totp = page.get_by_test_id("login-totp")
    expect(totp).to_be_visible()
    expect(totp).to_be_focused()
    expect(page.get_by_test_id("header-user-name")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}-login-totp.png")

    wrong = f"{(int(code.now()) + 1) % 1_000_000:06d}"
    totp.fill(wrong)
    page.get_by_test_id("login-submit").click()
    item = page.get_by_test_id("login-totp-item")
    expect(item.locator(".el-form-item__error")).to_contain_text(re.compile(r"[\u4e00-\u9fff]"))
    expect(page.get_by_test_id("header-user-name")).to_have_count(0)

    totp.fill(code.now())
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("header-user-name")).to_have_text("双因素测试")


def _choose(page: Page, testid: str, label: str) -> None:
    """Open a select and pick an option; a click that lands while another dropdown is
    still closing does not open it, so it is tried again."""
    option = page.locator(".el-select-dropdown__item:visible", has_text=label).first
    for _ in range(3):
        page.get_by_test_id(testid).click()
        try:
            option.wait_for(state="visible", timeout=4000)
            break
        except PlaywrightTimeoutError:
            continue
    option.click()


def test_administrator_creates_and_disables_a_user(platform, page: Page) -> None:
    base = _base(platform)
    login(page, base, administrator())
    page.goto(f"{base}/admin/users")
    page.get_by_test_id("create-user").click()
    dialog = page.get_by_test_id("create-user-dialog")
    expect(dialog).to_be_visible()

    # A username that exists: the server's coded refusal shows next to the username.
    page.get_by_test_id("user-username").fill(township_clerk().username)
    page.get_by_test_id("user-name").fill("新同志")
    page.get_by_test_id("user-password").fill("e2e-new-user-password")
    organ = page.get_by_test_id("user-organ")
    organ.click()
    organ.locator("input").fill("张掖路")
    page.locator(".el-select-dropdown__item:visible", has_text="张掖路街道纪工委").first.click()
    expect(page.locator(".el-select-dropdown__item:visible", has_text="张掖路")).to_have_count(0)
    _choose(page, "user-office", "信访室")
    page.get_by_test_id("user-roles").get_by_text("信访干部").click()
    page.get_by_test_id("create-user-save").click()
    username_error = dialog.locator(".el-form-item", has=page.get_by_test_id("user-username"))
    expect(username_error.locator(".el-form-item__error")).to_contain_text(
        re.compile(r"[\u4e00-\u9fff]")
    )
    page.screenshot(path=f"{SHOTS}-create-user-error.png")

    username = f"e2e.clerk.{uuid.uuid4().hex[:6]}"
    page.get_by_test_id("user-username").fill(username)
    page.get_by_test_id("create-user-save").click()
    expect(dialog).to_be_hidden()
    row = page.get_by_test_id("users-table").locator("tr", has_text=username)
    expect(row).to_contain_text("张掖路街道纪工委")
    expect(row).to_contain_text("信访干部")

    switch = page.get_by_test_id(f"user-enabled-{username}")
    expect(switch).to_have_class(re.compile(r"is-checked"))
    switch.click()
    expect(switch).not_to_have_class(re.compile(r"is-checked"))
    logout(page)

    # A disabled account cannot log in, with the same coded answer as a wrong password.
    fill_login(page, username, "e2e-new-user-password")
    expect(page.get_by_test_id("login-error")).to_have_attribute("data-code", "login_failed")
