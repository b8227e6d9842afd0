"""Issue 11 in a real browser: a city issues a yellow-card order to a county; the county
acknowledges it and reports progress; the city's reminder appears on the county's side;
the order closes. Each person logs in with their own demo account."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.casework import open_case, people, shot
from tests.e2e.supervision_steps import (
    answer_prompt,
    county_case,
    digits,
    expect_status,
    history_events,
    issue_order,
    order_row,
    orders_tab,
)
from tests.integration.platform.casework import ok
from tests.integration.platform.logged_in import StaffClient

pytestmark = pytest.mark.e2e

ORDER_STEPS = ["SupervisionOrder.Drafted", "SupervisionOrder.Approved",
               "SupervisionOrder.Acknowledged", "SupervisionOrder.ProgressReported",
               "SupervisionOrder.Reminded", "SupervisionOrder.Closed"]
COUNTS = "query { myWarningCounts { red yellow } }"


def header_counts(base: str, username: str) -> dict[str, int]:
    """The user's counts as supervision gives them through GraphQL."""
    client = StaffClient(base, username)
    try:
        counts: dict[str, int] = ok(client.post(COUNTS))["myWarningCounts"]
        return counts
    finally:
        client.close()


def test_a_city_yellow_card_order_runs_to_its_close(platform, browser: Browser) -> None:
    base = platform.gateway_url.rstrip("/")
    case_id = county_case(base)
    with people(browser, base) as crowd:
        city = crowd.page("handler.6201")
        # The shell header shows the user's red and yellow counts: supervision's own counts
        # of the user's subtree, and a way to their deadlines.
        expect(city.get_by_test_id("header-warnings-red")).to_be_visible()
        counts = header_counts(base, "handler.6201")
        assert digits(city.get_by_test_id("header-warnings-red").inner_text()) == counts["red"]
        assert digits(city.get_by_test_id("header-warnings-yellow").inner_text()) == \
            counts["yellow"]
        expect(city.get_by_test_id("header-warnings")).to_have_attribute(
            "href", re.compile(r"/supervision/deadlines$"))

        issue_order(city, base, case_id, "十个工作日内查清问题并报结")
        row = order_row(city, "issued", case_id)
        expect_status(row, "draft")
        expect(row.get_by_test_id("order-approve")).to_have_count(0)  # a handler is no leader

        leader = crowd.page("leader.6201")
        orders_tab(leader, base, "issued")
        order_row(leader, "issued", case_id).get_by_test_id("order-approve").click()
        expect_status(order_row(leader, "issued", case_id), "issued")

        county = crowd.page("handler.620102")
        orders_tab(county, base, "received")
        row = order_row(county, "received", case_id)
        expect_status(row, "issued")
        expect(row.get_by_test_id("order-clock")).to_be_visible()  # the clock runs
        row.get_by_test_id("order-acknowledge").click()
        expect_status(order_row(county, "received", case_id), "acknowledged")
        order_row(county, "received", case_id).get_by_test_id("order-progress").click()
        answer_prompt(county, "已约谈当事人，正在核查")
        shot(county, "supervision-1-progress")

        orders_tab(city, base, "issued")
        order_row(city, "issued", case_id).get_by_test_id("order-remind").click()
        answer_prompt(city, "请于期限前报结")

        # The reminder appears on the county's side, in the count and the history.
        orders_tab(county, base, "received")
        row = order_row(county, "received", case_id)
        expect(row.get_by_test_id("order-reminders")).to_have_text("1")
        assert history_events(county, row)[-3:] == ["acknowledged", "progress", "reminded"]

        orders_tab(city, base, "issued")
        order_row(city, "issued", case_id).get_by_test_id("order-accept").click()
        answer_prompt(city, "报结材料齐全，同意办结")
        expect_status(order_row(city, "issued", case_id), "closed")

        orders_tab(county, base, "received")
        row = order_row(county, "received", case_id)
        expect_status(row, "closed")
        expect(row.get_by_test_id("order-progress")).to_have_count(0)
        shot(county, "supervision-1-closed")

        # The case page: the order's steps on the case's timeline, in order, among intake's
        # and routing's events, labelled; and the order's clock among the case's deadlines.
        open_case(county, base, case_id)
        timeline = county.get_by_test_id("timeline")
        expect(timeline.locator('[data-what="SupervisionOrder.Closed"]')).to_have_count(1)
        whats = [e.get_attribute("data-what") or ""
                 for e in timeline.get_by_test_id("timeline-what").all()]
        assert [w for w in whats if w.startswith("SupervisionOrder.")] == ORDER_STEPS
        assert whats[0].startswith(("Petition.", "registered"))  # registration came first
        expect(timeline.locator('[data-what="SupervisionOrder.Reminded"]')).to_have_text("催办")
        expect(timeline.locator('[data-what="SupervisionOrder.Acknowledged"]')).to_have_text(
            "督办签收")
        clocks = county.get_by_test_id("case-deadlines")
        handling = clocks.locator(".el-table__row", has=county.locator('[data-kind="handling"]'))
        expect(handling).to_have_count(1)
        expect(handling.get_by_test_id("case-deadline-status")).to_have_attribute(
            "data-status", "met")
        expect(handling.get_by_test_id("case-deadline-due")).to_have_text(
            re.compile(r"^\d{4}-\d{2}-\d{2}$"))
        shot(county, "supervision-1-case-timeline")
