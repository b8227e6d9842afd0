"""Graceful degradation on the running platform: with one service down, the gateway
answers what does not need it, and what does is a `service_unavailable` error naming the
service, next to the partial data (a second gateway process that cannot reach it)."""

from __future__ import annotations

import pytest

from tests.degraded_gateway import gateway_without

from .casework import ACCEPT, REGISTER, ok, registration, wait_for
from .logged_in import StaffClient

pytestmark = pytest.mark.integration

ORGAN = "620102001"
ME = "query { me { user { username organ { code } } } }"
INBOX = "query { inbox { counts { held } held { case { id } } } }"
CASE = """query($id: ID!) { case(id: $id) { id registrationNumber stage
  facts { summary } timeline { what source } deadlines { kind due } } }"""
STATS = """query($o: String!) { organStats(organ: $o, from: "2026-01-01", to: "2026-12-31") {
  total } }"""


def unavailable(body: dict, service: str) -> dict:
    """The one error of the answer: service_unavailable, naming `service`, in two languages."""
    assert len(body["errors"]) == 1, body["errors"]
    extensions = body["errors"][0]["extensions"]
    assert extensions["code"] == "service_unavailable"
    assert extensions["service"] == service
    assert extensions["message_zh"] and extensions["message_en"]
    return body["errors"][0]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def registered(clients) -> str:
    """A case registered (through the healthy gateway) for the clerk to look at."""
    clerk = clients(f"clerk.{ORGAN}")
    case_id = ok(clerk.post(REGISTER, input=registration(ORGAN)))["registerPetition"]["caseId"]
    ok(clerk.post(ACCEPT, id=case_id))
    # Routing (the inbox) learns of the accepted case over Kafka.
    assert wait_for(clerk, case_id, lambda c: c["holder"] is not None, timeout=90)["holder"]
    return str(case_id)


def test_stats_down_inbox_and_case_work_the_dashboard_says_so(platform, registered) -> None:
    with gateway_without(platform, "stats") as url:
        clerk = StaffClient(url, f"clerk.{ORGAN}")
        try:
            assert ok(clerk.post(ME))["me"]["user"]["organ"]["code"] == ORGAN
            inbox = ok(clerk.post(INBOX))["inbox"]
            assert registered in [item["case"]["id"] for item in inbox["held"]]
            case = ok(clerk.post(CASE, id=registered))["case"]
            assert case["id"] == registered and case["facts"]["summary"]

            body = clerk.post(STATS, o=ORGAN)
            error = unavailable(body, "stats")
            assert "统计" in error["extensions"]["message_zh"]
        finally:
            clerk.close()


def test_supervision_down_the_case_shows_without_its_deadlines(platform, registered) -> None:
    with gateway_without(platform, "supervision") as url:
        clerk = StaffClient(url, f"clerk.{ORGAN}")
        try:
            body = clerk.post(CASE, id=registered)
            case = body["data"]["case"]
            assert case["id"] == registered and case["facts"]["summary"]
            assert case["stage"] in ("accepted", "in_handling")
            assert [e["source"] for e in case["timeline"]][:1] == ["intake"]
            assert case["deadlines"] is None
            error = unavailable(body, "supervision")
            assert error["path"] == ["case", "deadlines"]
            assert ok(clerk.post(ME))["me"]["user"]["username"] == f"clerk.{ORGAN}"
        finally:
            clerk.close()
