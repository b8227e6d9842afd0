"""The case page with supervision down, in a real browser: the case shows (facts,
timeline, actions) and a notice stands where its deadlines would be.

The browser talks to a second gateway process of the running platform that cannot reach
supervision (`tests.degraded_gateway`), as when supervision's process has died.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.degraded_gateway import gateway_without
from tests.e2e.casework import open_case
from tests.e2e.shell import login, township_clerk
from tests.integration.platform.casework import ACCEPT, REGISTER, ok, registration, wait_for
from tests.integration.platform.logged_in import StaffClient

pytestmark = pytest.mark.e2e


def test_the_case_page_with_supervision_down_shows_the_case_and_a_notice(
    platform, page: Page
) -> None:
    clerk = township_clerk()
    api = StaffClient(platform.gateway_url, clerk.username)
    try:
        registered = ok(api.post(REGISTER, input=registration(clerk.organ)))["registerPetition"]
        case_id = registered["caseId"]
        ok(api.post(ACCEPT, id=case_id))
        wait_for(api, case_id, lambda c: c["holder"] is not None, timeout=90)
    finally:
        api.close()

    with gateway_without(platform, "supervision") as degraded:
        login(page, degraded, clerk)
        open_case(page, degraded, case_id)
        expect(page.get_by_test_id("case-number")).to_have_text(registered["registrationNumber"])
        expect(page.get_by_test_id("case-summary")).not_to_be_empty()
        notice = page.locator('[data-testid="service-unavailable"][data-service="supervision"]')
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("督查督办服务暂不可用")
        expect(page.get_by_test_id("case-deadlines")).to_have_count(0)
        # The rest of the page stands: the timeline shows what intake and routing recorded.
        expect(page.get_by_test_id("timeline-what").first).to_be_visible()
