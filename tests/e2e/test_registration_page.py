"""The registration page in a real browser against the running platform.

A township clerk logs in, registers a petition through the page, checks the registration
number it shows and that the organ's count (fed asynchronously by the stats service from
Kafka) moves by exactly one; checks that a bad form shows a Chinese validation message and
registers nothing, and that a gateway refusal shows its Chinese message.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
from playwright.sync_api import Page, Request, expect

from tests.e2e.shell import DemoUser, login, township_clerk

pytestmark = pytest.mark.e2e

SCREENSHOT = "/tmp/baton-page.png"
COUNT_TIMEOUT_MS = 15_000


def _open(page: Page, base: str) -> dict:
    """Logs the township clerk in and opens the registration page; returns their organ."""
    clerk: DemoUser = township_clerk()
    login(page, base, clerk, path="/register")
    expect(page).to_have_title(re.compile("Baton 信访举报协同平台"))
    expect(page.get_by_text("信访举报登记", exact=True)).to_be_visible()
    expect(page.get_by_text("本机关统计", exact=True)).to_be_visible()
    # A clerk registers for their own organ: the form shows it, nothing to choose.
    organ_name = page.get_by_test_id("header-organ").inner_text().strip()
    expect(page.get_by_test_id("form-organ")).to_have_value(organ_name)
    return {"code": clerk.organ, "name": organ_name}


def _stats_ready(page: Page, organ: dict):
    stats = page.locator(
        f'[data-testid="organ-stats"][data-state="ready"][data-organ="{organ["code"]}"]'
    )
    expect(stats).to_be_visible(timeout=COUNT_TIMEOUT_MS)
    return stats


def _total(page: Page, organ: dict) -> int:
    stats = _stats_ready(page, organ)
    text = stats.get_by_test_id("stats-total").inner_text().strip()
    assert re.fullmatch(r"\d+", text), f"total is not a number: {text!r}"
    return int(text)


def _channel_count(page: Page, code: str) -> int:
    return int(page.get_by_test_id(f"stats-count-{code}").inner_text().strip())


def _choose_channel(page: Page, label_zh: str) -> None:
    page.get_by_test_id("channel-select").click()
    page.locator(".el-select-dropdown__item:visible", has_text=label_zh).first.click()
    expect(page.get_by_test_id("channel-select")).to_contain_text(label_zh)


def _registrations(page: Page) -> list[Request]:
    """Collects the registerPetition requests the page sends from now on."""
    sent: list[Request] = []

    def on_request(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/graphql"):
            body = request.post_data or ""
            if "registerPetition" in body:
                sent.append(request)

    page.on("request", on_request)
    return sent


def test_registering_shows_number_and_counts_move_by_one(platform, page: Page) -> None:
    base = platform.gateway_url.rstrip("/")
    started = time.monotonic()
    organ = _open(page, base)
    before = _total(page, organ)
    letters_before = _channel_count(page, "letter")
    sent = _registrations(page)

    summary = f"反映某村村委会主任挪用村集体资金问题（e2e {uuid.uuid4().hex[:8]}）"
    _choose_channel(page, "来信")
    page.get_by_test_id("summary-input").fill(summary)
    received = page.get_by_test_id("received-at").locator("input")
    expect(received).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"))

    submitted = time.monotonic()
    page.get_by_test_id("submit-button").click()

    number = page.get_by_test_id("registration-number")
    expect(number).to_be_visible()
    expect(number).to_have_text(re.compile(r"\S+"))
    expect(page.get_by_test_id("case-id")).to_have_text(re.compile(r"\S+"))
    registered = time.monotonic()
    assert len(sent) == 1
    sent_input = json.loads(sent[0].post_data or "{}")["variables"]["input"]
    assert sent_input["organCode"] == organ["code"]
    assert sent_input["channel"] == "letter"
    assert sent_input["summary"] == summary
    assert re.search(r"(Z|[+-]\d{2}:\d{2})$", sent_input["receivedAt"])

    # The stats service catches up asynchronously; the page polls until the total moves.
    total = page.get_by_test_id("stats-total")
    expect(total).to_have_text(str(before + 1), timeout=COUNT_TIMEOUT_MS)
    counted = time.monotonic()
    expect(page.get_by_test_id("stats-count-letter")).to_have_text(str(letters_before + 1))

    # Exactly one: once polling has stopped, a fresh query still says before + 1.
    expect(page.get_by_test_id("stats-polling")).to_be_hidden(timeout=COUNT_TIMEOUT_MS)
    page.get_by_test_id("stats-refresh").click()
    assert _total(page, organ) == before + 1
    assert len(sent) == 1

    page.screenshot(path=SCREENSHOT, full_page=True)
    print(
        f"\n[e2e] organ={organ['code']} {organ['name']} number={number.inner_text()} "
        f"total {before}->{before + 1}; page ready {submitted - started:.1f}s, "
        f"registered {registered - submitted:.2f}s, counted {counted - registered:.1f}s later"
    )


def test_empty_summary_shows_chinese_message_and_registers_nothing(platform, page: Page) -> None:
    base = platform.gateway_url.rstrip("/")
    organ = _open(page, base)
    before = _total(page, organ)
    sent = _registrations(page)

    _choose_channel(page, "来信")
    page.get_by_test_id("summary-input").fill("   ")
    page.get_by_test_id("submit-button").click()

    message = page.locator(".el-form-item__error", has_text="请填写问题摘要")
    expect(message).to_be_visible()
    expect(page.get_by_test_id("registration-result")).to_have_count(0)

    # Nothing went to the gateway, and the counts say so too.
    page.wait_for_timeout(1_000)
    assert sent == []
    page.get_by_test_id("stats-refresh").click()
    assert _total(page, organ) == before


def test_gateway_error_is_shown_in_chinese(platform, page: Page) -> None:
    """A GraphQL error from registerPetition shows its `extensions.message_zh`.

    The gateway's answer is replaced for this one mutation (the real gateway would accept
    the input); everything else goes to the real platform.
    """
    base = platform.gateway_url.rstrip("/")
    message_zh = "登记机关无权登记该信访件（测试）"

    def reject_registration(route) -> None:
        if "registerPetition" in (route.request.post_data or ""):
            route.fulfill(
                status=200,
                content_type="application/json",
                body=json.dumps(
                    {
                        "data": None,
                        "errors": [
                            {
                                "message": "organ may not register this petition",
                                "path": ["registerPetition"],
                                "extensions": {
                                    "code": "FORBIDDEN",
                                    "message_zh": message_zh,
                                    "message_en": "organ may not register this petition",
                                },
                            }
                        ],
                    }
                ),
            )
        else:
            route.continue_()

    page.route("**/graphql", reject_registration)
    _open(page, base)
    _choose_channel(page, "来访")
    page.get_by_test_id("summary-input").fill("反映某局干部违规收受礼金")
    page.get_by_test_id("submit-button").click()

    expect(page.get_by_test_id("form-error")).to_contain_text(message_zh)
    expect(page.get_by_test_id("registration-result")).to_have_count(0)
