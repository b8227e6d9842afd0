"""Helpers for browser tests of the web shell: demo users, login, logout, language."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page, expect

from infra.datafiles import load_yaml
from tests.org_codes import PROVINCE


@dataclass(frozen=True)
class DemoUser:
    """One record of deploy/data/users.yaml."""

    username: str
    password: str
    name: str
    organ: str
    office: str
    roles: tuple[str, ...]


def demo_users() -> list[DemoUser]:
    document: Any = load_yaml("users.yaml")
    records = document["users"] if isinstance(document, dict) else document
    return [
        DemoUser(
            username=r["username"],
            password=r["password"],
            name=r["name"],
            organ=str(r["organ"]),
            office=r["office"],
            roles=tuple(r["roles"]),
        )
        for r in records
    ]


def demo_user(matches: Callable[[DemoUser], bool], what: str) -> DemoUser:
    """The first demo user that matches; a missing one is a broken users.yaml."""
    found = [u for u in demo_users() if matches(u)]
    assert found, f"deploy/data/users.yaml has no {what}"
    return found[0]


def township_clerk() -> DemoUser:
    # Township commissions have nine-digit codes (620102001).
    return demo_user(
        lambda u: "petition_clerk" in u.roles and len(u.organ) == 9 and u.organ.isdigit(),
        "township petition clerk",
    )


def province_leader() -> DemoUser:
    return demo_user(lambda u: "leader" in u.roles and u.organ == PROVINCE, "province leader")


def administrator() -> DemoUser:
    return demo_user(lambda u: "administrator" in u.roles, "administrator")


def auditor() -> DemoUser:
    return demo_user(lambda u: "auditor" in u.roles, "auditor")


def fill_login(page: Page, username: str, password: str) -> None:
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def login(page: Page, base: str, user: DemoUser, path: str = "/") -> None:
    """Logs in through the login page and waits for the shell to show the user."""
    page.goto(f"{base}{path}")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    fill_login(page, user.username, user.password)
    expect(page.get_by_test_id("header-user-name")).to_have_text(user.name)


def logout(page: Page) -> None:
    page.get_by_test_id("logout-button").click()
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))


def switch_language(page: Page, language: str) -> None:
    page.get_by_test_id("language-switch").click()
    page.get_by_test_id(f"language-{language}").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def menu_entries(page: Page) -> set[str]:
    """The route names in the side menu (data-testid menu-<name>)."""
    expect(page.get_by_test_id("side-menu")).to_be_visible()
    ids = page.locator('[data-testid^="menu-"]').evaluate_all(
        "els => els.map(e => e.getAttribute('data-testid'))"
    )
    return {i.removeprefix("menu-") for i in ids if not i.startswith("menu-group-")} - {"toggle"}
