"""The auditor's replay page in a real browser: the province auditor opens a case the test
registered and sent up to the county, moves the time slider and sees the case change,
every event verified in the browser against its signed checkpoint, runs the verification
of every store and sees it pass, and finds the replay in the access log."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.shell import auditor, login, menu_entries
from tests.integration.platform.casework import ACCEPT, PROPOSE, REGISTER, ok, registration
from tests.integration.platform.logged_in import StaffClient

pytestmark = pytest.mark.e2e

TOWNSHIP, COUNTY = "620102001", "620102"
# Each move of the slider replays the case in three services: slow on a busy machine.
SLOW = 30_000
APPROVE = """mutation($c: ID!, $t: ID!) { approveTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
DISPATCH = """mutation($c: ID!, $t: ID!) { dispatchTransfer(caseId: $c, transferId: $t) {
  pendingTransfer { state } } }"""
RECEIVE = """mutation($c: ID!, $t: ID!) { receiveTransfer(caseId: $c, transferId: $t) {
  holder { organCode } } }"""
PENDING = """query($id: ID!) { case(id: $id) { availableActions pendingTransfer { id } } }"""
HISTORY = """query($id: ID!, $at: String!) { caseHistory(caseId: $id, asOf: $at) {
  events { service path } } }"""


def until(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


def sent_up(url: str) -> tuple[str, str, int]:
    """A township case reported up to its county and received there: (id, number, events)."""
    clerk, leader = StaffClient(url, "clerk.620102001"), StaffClient(url, "leader.620102001")
    county, audit = StaffClient(url, "clerk.620102"), StaffClient(url, auditor().username)
    try:
        registered = ok(clerk.post(REGISTER, input=registration(TOWNSHIP)))["registerPetition"]
        case_id = registered["caseId"]
        ok(clerk.post(ACCEPT, id=case_id))
        until(lambda: "proposeTransfer" in ok(clerk.post(PENDING, id=case_id))["case"][
            "availableActions"], "routing opened the case")
        proposed = ok(clerk.post(PROPOSE, input={
            "caseId": case_id, "kind": "report_up", "reason": "涉及区管干部", "toOrgan": COUNTY,
            "toOffice": "petition",
        }))["proposeTransfer"]
        transfer = proposed["pendingTransfer"]["id"]
        ok(leader.post(APPROVE, c=case_id, t=transfer))
        ok(clerk.post(DISPATCH, c=case_id, t=transfer))
        ok(county.post(RECEIVE, c=case_id, t=transfer))

        # Every event under a checkpoint (signed every second on the test platform), and
        # no event still arriving.
        def proved() -> int:
            at = dt.datetime.now(dt.UTC).isoformat()
            events = ok(audit.post(HISTORY, id=case_id, at=at))["caseHistory"]["events"]
            routed = sum(e["service"] == "routing" for e in events)
            return len(events) if routed >= 5 and all(e["path"] for e in events) else 0

        # Supervision and intake react to routing's events a little later: wait until
        # two looks three seconds apart agree.
        counts = [until(proved, "every event proved")]
        while len(counts) < 2 or counts[-1] != counts[-2]:
            assert len(counts) < 20, counts
            time.sleep(3)
            counts.append(until(proved, "every event proved"))
        count = counts[-1]
        return case_id, registered["registrationNumber"], count
    finally:
        for client in (clerk, leader, county, audit):
            client.close()


def test_the_auditor_replays_a_case_verifies_the_stores_and_finds_the_replay_logged(
    platform, page: Page
) -> None:
    base = platform.gateway_url.rstrip("/")
    case_id, number, count = sent_up(base)

    expect.set_options(timeout=SLOW)
    try:
        replay_verify_and_find_in_log(page, base, case_id, number, count)
    finally:
        expect.set_options(timeout=5_000)


def replay_verify_and_find_in_log(
    page: Page, base: str, case_id: str, number: str, count: int
) -> None:
    login(page, base, auditor())
    assert {"case-replay", "access-log"} <= menu_entries(page)
    page.get_by_test_id("menu-case-replay").click()
    expect(page.get_by_test_id("page-case-replay")).to_be_visible()
    title = page.get_by_test_id("page-case-replay").locator(".panel__title").first
    expect(title).to_have_text("案件回放")

    page.get_by_test_id("replay-case-input").fill(number)
    page.get_by_test_id("replay-open").click()
    expect(page.get_by_test_id("replay-number")).to_have_text(number)
    body = page.get_by_test_id("replay-body")
    expect(body).to_have_attribute("data-state", "ready")
    # Now: held by the county, every event shown with its hash and verified in the browser.
    expect(page.get_by_test_id("replay-holder")).to_have_attribute("data-organ", COUNTY)
    expect(page.get_by_test_id("replay-event")).to_have_count(count)
    expect(page.get_by_test_id("event-hash")).to_have_count(count)
    verdicts = page.get_by_test_id("event-verdict")
    expect(verdicts).to_have_count(count)
    verified = page.locator('[data-testid="event-verdict"][data-verdict="verified"]')
    expect(verified).to_have_count(count)
    expect(page.get_by_test_id("replay-position")).to_have_attribute("data-index", str(count - 1))

    # Move the slider back to the very first event: only the registration, nobody holds it
    # yet in routing, and the stage is the one registration gave.
    handle = page.get_by_test_id("replay-slider").locator(".el-slider__button-wrapper")
    handle.focus()
    for _ in range(count - 1):
        handle.press("ArrowLeft")
    expect(page.get_by_test_id("replay-position")).to_have_attribute("data-index", "0")
    expect(body).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("replay-event")).to_have_count(1)
    first = page.get_by_test_id("replay-event").first
    expect(first).to_have_attribute("data-what", "Petition.Registered")
    expect(page.get_by_test_id("replay-holder")).to_have_attribute("data-organ", "")
    expect(page.get_by_test_id("replay-status")).to_have_attribute("data-status", "")
    expect(verdicts.first).to_have_attribute("data-verdict", "verified")

    # Step forward to where the township held it, then to the end: the county again.
    handle.focus()
    while page.get_by_test_id("replay-holder").get_attribute("data-organ") != TOWNSHIP:
        index = int(page.get_by_test_id("replay-position").get_attribute("data-index") or 0)
        assert index < count - 1, "the township never held the case"
        page.get_by_test_id("replay-next").click()
        expect(page.get_by_test_id("replay-position")).to_have_attribute(
            "data-index", str(index + 1)
        )
        # Replayed at the (index + 1)th event: that many events, and the state then.
        expect(page.get_by_test_id("replay-event")).to_have_count(index + 2)
    handle.focus()
    handle.press("End")
    expect(page.get_by_test_id("replay-position")).to_have_attribute("data-index", str(count - 1))
    expect(page.get_by_test_id("replay-event")).to_have_count(count)
    expect(page.get_by_test_id("replay-holder")).to_have_attribute("data-organ", COUNTY)

    # Verify every store: progress, then passed, every store OK.
    page.get_by_test_id("verify-run").click()
    expect(page.get_by_test_id("verify-state")).to_have_attribute(
        "data-state", "PASSED", timeout=120_000
    )
    oks = page.get_by_test_id("verify-store-ok")
    expect(oks.first).to_be_visible()
    assert oks.count() >= 3
    expect(page.locator('[data-testid="verify-store-ok"][data-ok="false"]')).to_have_count(0)
    expect(page.get_by_test_id("verify-progress")).to_have_attribute("aria-valuenow", "100")

    # The access log, opened from the page, holds this auditor's replays of the case.
    page.get_by_test_id("replay-access-log").click()
    expect(page.get_by_test_id("page-access-log")).to_be_visible()
    expect(page.get_by_test_id("filter-case")).to_have_value(case_id)
    table = page.get_by_test_id("access-log-table")
    expect(table).to_have_attribute("data-state", "ready")
    replays = table.locator(".el-table__body tr", has_text=re.compile("replay_as_of:"))
    expect(replays.first).to_be_visible()
    expect(table).to_contain_text(auditor().username)
