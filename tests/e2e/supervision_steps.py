"""Browser steps of the supervision pages: orders, prompts, the evaluation workspace."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, expect

from tests.integration.platform.casework import ACCEPT, REGISTER, ok, registration
from tests.integration.platform.logged_in import StaffClient


def county_case(base: str, organ: str = "620102") -> str:
    """A report registered and accepted at the county (set up through GraphQL by its clerk)."""
    clerk = StaffClient(base, f"clerk.{organ}")
    try:
        case_id = ok(clerk.post(REGISTER, input=registration(organ)))["registerPetition"]["caseId"]
        ok(clerk.post(ACCEPT, id=case_id))
        return str(case_id)
    finally:
        clerk.close()


def fill(page: Page, test_id: str, text: str) -> None:
    """Fills an Element Plus input whose test id sits on the input itself or its wrapper."""
    field = page.get_by_test_id(test_id).first
    if field.evaluate("e => e.tagName") not in ("INPUT", "TEXTAREA"):
        field = field.locator("input, textarea").first
    field.fill(text)


def answer_prompt(page: Page, text: str) -> None:
    """Fills the open Element Plus prompt and confirms it."""
    box = page.locator(".el-message-box:visible")
    box.locator("input, textarea").first.fill(text)
    box.locator(".el-message-box__btns .el-button--primary").click()
    expect(box).to_have_count(0)


def orders_tab(page: Page, base: str, side: str) -> Locator:
    page.goto(f"{base}/supervision/orders?side={side}")
    table = page.get_by_test_id(f"orders-{side}")
    expect(table).to_be_visible()
    return table


def order_row(page: Page, side: str, case_id: str) -> Locator:
    row = page.get_by_test_id(f"orders-{side}").locator(".el-table__row", has_text=case_id[:8])
    expect(row).to_have_count(1)
    return row


def issue_order(page: Page, base: str, case_id: str, requirements: str, days: int = 10,
                timeout: float = 30.0) -> None:
    """The city issues a yellow-card order; supervision may not yet know who holds the case
    (it learns over the broker), so a refusal is retried."""
    orders_tab(page, base, "issued")
    page.get_by_test_id("issue-order").click()
    dialog = page.get_by_test_id("issue-order-dialog")
    fill(page, "issue-order-case", case_id)
    page.get_by_test_id("issue-order-level-yellow_card").click()
    fill(page, "issue-order-requirements", requirements)
    fill(page, "issue-order-days", str(days))
    deadline = time.monotonic() + timeout
    while True:
        page.get_by_test_id("issue-order-submit").click()
        try:
            expect(dialog).to_be_hidden(timeout=3000)
            return
        except AssertionError:
            assert time.monotonic() < deadline, "the order was never accepted"
            time.sleep(1)


def expect_status(row: Locator, status: str) -> None:
    expect(row.get_by_test_id("order-status")).to_have_attribute("data-status", status)


def history_events(page: Page, row: Locator) -> list[str]:
    row.locator(".el-table__expand-icon").click()
    events = page.locator(".orders__event")
    expect(events.first).to_be_visible()
    return [e.get_attribute("data-event") or "" for e in events.all()]


def digits(text: str) -> int:
    found = re.search(r"\d+", text)
    assert found, text
    return int(found.group())


DISPOSE = """mutation($id: ID!) { decideDisposal(caseId: $id, mode: "preliminary_verification",
  reason: "线索具体，予以初核") { id } }"""
CONCLUDE = """mutation($id: ID!) { concludeCase(caseId: $id, outcome: "criticism_education",
  substantiation: "partly_true", findings: "经初核，反映问题部分属实，已批评教育") { id } }"""
DEADLINES = "query($c: ID!) { caseDeadlines(caseId: $c) { kind } }"


def concluded_county_case(base: str, organ: str = "620102", timeout: float = 30.0) -> str:
    """A report the county accepts, disposes of and concludes (its clerk, through GraphQL),
    once supervision has seen the conclusion (the result-feedback clock is open)."""
    case_id = county_case(base, organ)
    clerk = StaffClient(base, f"clerk.{organ}")
    try:
        deadline = time.monotonic() + timeout
        while "errors" in (body := clerk.post(DISPOSE, id=case_id)):
            assert time.monotonic() < deadline, body  # routing learns of the case over Kafka
            time.sleep(0.5)
        ok(clerk.post(CONCLUDE, id=case_id))
        while "result_feedback" not in {
            # Until supervision has seen the case, it is unknown there (case_unknown).
            d["kind"]
            for d in (clerk.post(DEADLINES, c=case_id).get("data") or {}).get("caseDeadlines")
            or []
        }:
            assert time.monotonic() < deadline, "supervision never saw the conclusion"
            time.sleep(0.5)
        return case_id
    finally:
        clerk.close()


def shift_supervision_clock(platform: object, days: int) -> dict:
    """Move supervision's test clock (`/testing/clock`) and run its scheduler once."""
    import httpx

    from infra.auth import signing_key
    from tests.actors import staff
    from tests.service_tokens import bearer

    settings = platform.settings  # type: ignore[attr-defined]
    tester = staff("e2e.clock", "62", "case_management", "administrator")
    response = httpx.post(f"{settings.url_of('supervision')}/testing/clock",
                          json={"days": days}, timeout=30,
                          headers=bearer(tester, key=signing_key(settings), expires_in=600))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
