"""A registration saved twice is one case, in a real browser against the running platform.

The answer to the first save is lost on the way back (the request reaches the gateway and
is registered; the browser sees a network error), and the clerk presses the button again:
the retry carries the same idempotency key, and the page shows the case the first save
made. A double click sends at most the same key again.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests.e2e.shell import login, township_clerk

pytestmark = pytest.mark.e2e


def _fill(page: Page, summary: str) -> None:
    page.get_by_test_id("channel-select").click()
    page.locator(".el-select-dropdown__item:visible", has_text="来信").first.click()
    page.get_by_test_id("summary-input").fill(summary)


def _registrations(page: Page) -> list[Request]:
    sent: list[Request] = []

    def on_request(request: Request) -> None:
        if request.method == "POST" and "registerPetition" in (request.post_data or ""):
            sent.append(request)

    page.on("request", on_request)
    return sent


def test_a_retry_after_a_lost_answer_shows_the_first_case(platform, page: Page) -> None:
    base = platform.gateway_url.rstrip("/")
    login(page, base, township_clerk(), path="/register")
    expect(page.get_by_test_id("registration-form")).to_be_visible()
    sent = _registrations(page)
    first_answers: list[dict] = []

    def lose_the_first_answer(route: Route) -> None:
        if "registerPetition" not in (route.request.post_data or "") or first_answers:
            route.continue_()
            return
        answer = route.fetch()  # the gateway registers the case…
        first_answers.append(answer.json())
        route.abort("connectionreset")  # …and the browser never hears of it

    page.route("**/graphql", lose_the_first_answer)
    _fill(page, f"反映某村主任截留补助款（重试 {uuid.uuid4().hex[:8]}）")
    page.get_by_test_id("submit-button").click()
    expect(
        page.get_by_test_id("form-error").or_(page.locator(".el-message--error")).first
    ).to_be_visible()
    expect(page.get_by_test_id("registration-number")).to_have_count(0)

    page.get_by_test_id("submit-button").click()
    number = page.get_by_test_id("registration-number")
    expect(number).to_have_text(re.compile(r"\S+"))

    first = first_answers[0]["data"]["registerPetition"]
    expect(page.get_by_test_id("case-id")).to_have_text(first["caseId"])
    expect(number).to_have_text(first["registrationNumber"])
    keys = [r.headers.get("idempotency-key") for r in sent]
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys

    # The next registration is a new submission: a new key.
    _fill(page, f"反映某站所长违规发放津贴（{uuid.uuid4().hex[:8]}）")
    page.get_by_test_id("submit-button").click()
    expect(page.get_by_test_id("case-id")).not_to_have_text(first["caseId"])
    assert sent[-1].headers.get("idempotency-key") not in (None, keys[0])


def test_a_double_click_registers_one_case(platform, page: Page) -> None:
    base = platform.gateway_url.rstrip("/")
    login(page, base, township_clerk(), path="/register")
    expect(page.get_by_test_id("registration-form")).to_be_visible()
    sent = _registrations(page)
    _fill(page, f"反映某所长公车私用（双击 {uuid.uuid4().hex[:8]}）")
    page.get_by_test_id("submit-button").dblclick()
    expect(page.get_by_test_id("registration-number")).to_have_text(re.compile(r"\S+"))
    case_id = page.get_by_test_id("case-id").inner_text().strip()
    assert sent and len({r.headers.get("idempotency-key") for r in sent}) == 1
    for request in sent:  # each answer (waited for) names the one case
        response = request.response()
        assert response is not None
        assert response.json()["data"]["registerPetition"]["caseId"] == case_id
