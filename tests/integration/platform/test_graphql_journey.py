"""One report's whole journey through the running platform: GraphQL → gateway → intake →
relay → Kafka → stats → GraphQL."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest

from domain.guards import CHINA_TZ

from .logged_in import StaffClient

pytestmark = pytest.mark.integration

REGISTER = """
mutation Register($input: RegisterPetitionInput!) {
  registerPetition(input: $input) { caseId registrationNumber }
}"""
STATS = """
query Stats($organ: String!, $from: Date!, $to: Date!) {
  organStats(organ: $organ, from: $from, to: $to) { organ total byChannel { channel count } }
}"""


_clients: dict[str, StaffClient] = {}


def graphql(url: str, query: str, username: str = "clerk.620102", **variables) -> dict:
    """As a demo user (the 城关区 petition clerk unless named), logged in once per platform."""
    key = f"{url}#{username}"
    if key not in _clients:
        _clients[key] = StaffClient(url, username)
    return _clients[key].post(query, **variables)


def stats(url: str, organ: str) -> dict:
    """The organ's counts, asked by that organ's own clerk (statistics are subtree-scoped)."""
    # Counting days are Beijing days: after 16:00 UTC a report received now counts tomorrow.
    today = dt.datetime.now(CHINA_TZ).date()
    body = graphql(
        url,
        STATS,
        f"clerk.{organ}",
        organ=organ,
        **{"from": (today - dt.timedelta(days=30)).isoformat(), "to": today.isoformat()},
    )
    assert "errors" not in body, body
    return body["data"]["organStats"]


def test_a_registration_shows_in_the_organs_counts_within_five_seconds(platform):
    url = platform.gateway_url
    before = stats(url, "620102")
    body = graphql(
        url,
        REGISTER,
        input={
            "organCode": "620102",
            "channel": "phone",
            "summary": "来电反映某街道办事处违规发放补贴",
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
    assert "errors" not in body, body
    registered = body["data"]["registerPetition"]
    assert registered["registrationNumber"].startswith(f"620102-{dt.datetime.now(CHINA_TZ).year}-")

    started = time.monotonic()
    while time.monotonic() - started < 5:
        after = stats(url, "620102")
        if after["total"] == before["total"] + 1:
            break
        time.sleep(0.1)
    assert after["total"] == before["total"] + 1
    phone = {c["channel"]: c["count"] for c in after["byChannel"]}.get("phone", 0)
    phone_before = {c["channel"]: c["count"] for c in before["byChannel"]}.get("phone", 0)
    assert phone == phone_before + 1
    # The province sees its whole subtree.
    assert stats(url, "62")["total"] >= after["total"]


def test_bad_input_gets_a_coded_bilingual_error_and_registers_nothing(platform):
    url = platform.gateway_url
    before = stats(url, "6201")["total"]
    body = graphql(
        url,
        REGISTER,
        input={
            "organCode": "999999",
            "channel": "letter",
            "summary": "无此机关",
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
    error = body["errors"][0]
    assert error["extensions"]["code"]
    assert error["extensions"]["message_zh"] and error["extensions"]["message_en"]
    body = graphql(
        url, STATS, "clerk.6201", organ="6201", **{"from": "2026-12-01", "to": "2026-01-01"}
    )
    assert body["errors"][0]["extensions"]["code"] == "date_range_invalid"
    time.sleep(1)
    assert stats(url, "6201")["total"] == before


def test_health_and_readiness(platform):
    for name in ("gateway", "intake", "routing", "supervision", "stats"):
        base = platform.settings.url_of(name)
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{platform.settings.url_of('stats')}/readyz").status_code == 200


def test_no_password_session_id_csrf_or_service_token_in_the_platforms_logs(platform):
    url = platform.gateway_url
    clerk = StaffClient(url, "clerk.620102")
    session_id = clerk.http.cookies["baton_session"]
    body = clerk.post(
        REGISTER,
        input={
            "organCode": "620102",
            "channel": "letter",
            "summary": "来信反映某单位违规",
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
    assert "errors" not in body, body
    clerk.post("mutation { logout }")
    time.sleep(0.5)  # let the children write their logs
    logs = "".join(path.read_text(errors="replace") for path in platform.log_dir.glob("*.log"))
    assert "POST /graphql" in logs or "gateway" in logs  # the logs are there to scan
    for secret in (session_id, clerk.csrf, "baton-demo-2026", "Bearer ey"):
        assert secret not in logs
