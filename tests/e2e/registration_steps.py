"""Registering a report through the full registration page, as a clerk does at the window."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

from tests.e2e.casework import choose

_GIVEN = "建国志强海涛秀英桂兰明辉春梅国华玉兰晓东"


def unique_name(family: str = "王") -> str:
    """A Chinese name no earlier test used (repeat matching works on names)."""
    return family + "".join(random.sample(_GIVEN, 2)) + random.choice("甲乙丙丁戊己庚辛")


@dataclass
class Registered:
    case_id: str
    number: str
    receipt_code: str | None


def _input(locator: Locator) -> Locator:
    """The <input> itself, wherever Element Plus put the test id."""
    tag = locator.evaluate("e => e.tagName")
    return locator if tag in ("INPUT", "TEXTAREA") else locator.locator("input").first


def register(
    page: Page,
    base: str,
    *,
    channel: str,
    summary: str,
    persons: list[tuple[str, ...]],
    visitors: int | None = None,
    reporter: tuple[str, str, str] | None = None,
    category: str | None = None,
    before_saving: Callable[[Page], None] | None = None,
) -> Registered:
    """Fills the registration form and saves it; returns what the page shows once.
    `before_saving` looks at the filled form just before the save button is pressed."""
    page.goto(f"{base}/register")
    form = page.get_by_test_id("registration-form")
    expect(form).to_be_visible()
    choose(page, page.get_by_test_id("channel-select"), channel)
    if visitors is not None:
        _input(page.get_by_test_id("visitors-input")).fill(str(visitors))
    if reporter is not None:
        page.get_by_test_id("identity-real-name").click()
        name, id_number, phone = reporter
        _input(page.get_by_test_id("reporter-name")).fill(name)
        _input(page.get_by_test_id("reporter-id-number")).fill(id_number)
        _input(page.get_by_test_id("reporter-phone")).fill(phone)
    for i, (name, unit, position, *level) in enumerate(persons):
        if i > 0:
            page.get_by_test_id("person-add").click()
        row = page.get_by_test_id(f"person-{i}")
        _input(row.get_by_test_id("person-name")).fill(name)
        _input(row.get_by_test_id("person-unit")).fill(unit)
        _input(row.get_by_test_id("person-position")).fill(position)
        if level:
            choose(page, row.get_by_test_id("person-level"), level[0])
    if category:
        choose(page, page.get_by_test_id("categories-select"), category)
        page.keyboard.press("Escape")
    page.get_by_test_id("summary-input").fill(summary)
    if before_saving is not None:
        before_saving(page)
    submit = page.get_by_test_id("submit-button")
    submit.click()
    number = page.get_by_test_id("registration-number")
    refused = page.get_by_test_id("form-error").or_(page.locator(".el-form-item__error"))
    expect(number.or_(refused).first).to_be_visible()
    assert number.count(), f"registration refused: {refused.all_inner_texts()}"
    case_id = page.get_by_test_id("case-id").inner_text().strip()
    code: str | None = None
    # Intake issues a receipt code to real-name reporters and online reports.
    if reporter is not None or channel == "网络举报":
        receipt = page.get_by_test_id("receipt-dialog-code")
        expect(receipt).to_be_visible()
        code = receipt.inner_text().strip()
        assert code
    return Registered(case_id=case_id, number=number.inner_text().strip(), receipt_code=code)


def close_receipt(page: Page) -> None:
    page.get_by_test_id("receipt-close").click()
    expect(page.get_by_test_id("receipt-dialog-code")).to_be_hidden()
