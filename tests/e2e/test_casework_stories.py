"""Issue 10's stories in a real browser: each person logs in with their own demo account and
plays their part through the pages (registration, case page, approvals, inbox, search,
the public progress page). One platform serves every story (session fixture)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.casework import (
    act,
    expect_holder,
    expect_status,
    open_case,
    people,
    shot,
)
from tests.e2e.registration_steps import close_receipt, register, unique_name

pytestmark = pytest.mark.e2e

TOWNSHIP = "620102001"  # 酒泉路街道
OTHER_TOWNSHIP = "620102002"  # 张掖路街道
COUNTY = "620102"  # 城关区
STATIONED = "620102Z01"  # 派驻区法院纪检监察组


def _base(platform) -> str:
    return platform.gateway_url.rstrip("/")


def _progress(page: Page, base: str, code: str) -> Page:
    """The reporter's view: the public progress page, no login."""
    page.goto(f"{base}/progress")
    page.get_by_test_id("progress-code").fill(code)
    page.get_by_test_id("progress-submit").click()
    expect(page.get_by_test_id("progress-result")).to_be_visible()
    return page


def _reporter_sees(page: Page, base: str, code: str, stage: str, result: bool) -> None:
    _progress(page, base, code)
    expect(page.get_by_test_id("progress-result")).to_have_attribute("data-stage", stage)
    expect(page.get_by_test_id("progress-outcome")).to_have_count(1 if result else 0)
    # Nothing about staff or other people: no names of the demo staff on the page.
    text = page.get_by_test_id("page-progress").inner_text()
    for staff in ("冯街信", "褚街领", "周区信", "郑区领", "许街信", "何街办"):
        assert staff not in text


def test_story_1_visit_up_to_the_county_down_to_another_township_and_archived(
    platform, browser: Browser
) -> None:
    base = _base(platform)
    with people(browser, base) as crowd:
        reporter_view = crowd.new_context().new_page()
        clerk = crowd.page("clerk.620102001")
        suspect = unique_name()
        unit = "酒泉路街道某社区居委会"
        # An earlier, accepted report about the same person: the new one may repeat it.
        earlier = register(
            clerk, base, channel="来信", summary=f"反映{suspect}在社区工作中优亲厚友",
            persons=[(suspect, unit, "主任")], category="违反群众纪律",
        )
        open_case(clerk, base, earlier.case_id)
        act(clerk, "acceptPetition", choices={"reportType": "检举控告"})
        first = register(
            clerk, base, channel="来访", visitors=3,
            reporter=("李举报", "620102198001011239", "13900001111"),
            persons=[(suspect, unit, "主任"), (unique_name("张"), unit, "会计")],
            category="违反群众纪律",
            summary=f"反映{suspect}等人有问题",
        )
        assert first.receipt_code
        shot(clerk, "1-registered")
        # The substance hint and the repeat candidate, shown as soon as it is saved.
        expect(clerk.get_by_test_id("draft-substance-hint")).to_be_visible()
        close_receipt(clerk)
        expect(clerk.get_by_test_id("draft-repeat").first).to_be_visible()
        _reporter_sees(reporter_view, base, first.receipt_code, "received", result=False)

        open_case(clerk, base, first.case_id)
        expect(clerk.get_by_test_id("case-visitors")).to_have_attribute("data-visitors", "3")
        expect(clerk.get_by_test_id("reported-persons").locator("tbody tr")).to_have_count(2)
        expect(clerk.get_by_test_id("substance-hint")).to_be_visible()
        expect(clerk.get_by_test_id("repeat-candidate").first).to_be_visible()
        expect(clerk.get_by_test_id("reporter-sealed")).to_be_visible()
        act(clerk, "acceptPetition", choices={"reportType": "检举控告"})
        shot(clerk, "1-accepted")
