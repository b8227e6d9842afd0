"""A reporter's progress through the running platform: GraphQL → gateway → intake.

The receipt code comes from registerPetition (a web report always gets one); a wrong code
gets the same coded not-found answer as any unknown code. The gateway forwards the
caller's address and `baton up` trusts it as intake's proxy, so the rate limit counts
each real client, not the gateway.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from .logged_in import StaffClient

pytestmark = pytest.mark.integration

REGISTER = """
mutation Register($input: RegisterPetitionInput!) {
  registerPetition(input: $input) { caseId registrationNumber receiptCode }
}"""
PROGRESS = """
query Progress($code: String!) {
  progress(code: $code) { stage messageZh messageEn receivedOn divertedTo reason resultZh }
}"""


def graphql(url: str, query: str, local_address: str | None = None, **variables) -> dict:
    transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
    with httpx.Client(transport=transport, timeout=20) as client:
        response = client.post(f"{url}/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def register_web_report(url: str, username: str = "clerk.620102") -> dict:
    clerk = StaffClient(url, username)
    body = clerk.post(
        REGISTER,
        input={
            "organCode": "620102",
            "channel": "web",
            "summary": "网络举报某街道办事处违规发放补贴",
            "receivedAt": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
    clerk.close()
    assert "errors" not in body, body
    return body["data"]["registerPetition"]


def wrong(code: str) -> str:
    """The same code with its last letter changed (still a well-formed code)."""
    return code[:-1] + ("A" if code[-1] != "A" else "B")


def test_progress_by_the_receipt_code_from_registration(platform):
    url = platform.gateway_url
    registered = register_web_report(url, "clerk.620102")
    assert registered["receiptCode"]

    body = graphql(url, PROGRESS, code=registered["receiptCode"])
    assert "errors" not in body, body
    progress = body["data"]["progress"]
    assert progress["stage"] == "received"
    assert progress["messageZh"] == "已收到,正在甄别"
    assert progress["messageEn"] == "Received and being screened"
    assert progress["receivedOn"] and progress["resultZh"] is None

    # The logged-in staff member reached intake as the actor (services answer only tokens).
    assert (
        httpx.get(
            f"{platform.settings.url_of('intake')}/petitions/{registered['caseId']}"
        ).status_code
        == 401
    )
    clerk = StaffClient(url, "clerk.620102")
    try:
        case = clerk.post(
            "query($id: ID!) { case(id: $id) { facts { registeredBy } } }", id=registered["caseId"]
        )
    finally:
        clerk.close()
    assert case["data"]["case"]["facts"]["registeredBy"] == "clerk.620102", case

    missing = graphql(url, PROGRESS, code=wrong(registered["receiptCode"]))
    assert missing["data"] is None
    error = missing["errors"][0]
    assert error["extensions"]["code"] == "receipt_code_unknown"
    assert error["extensions"]["message_zh"] and error["extensions"]["message_en"]
    assert registered["caseId"] not in str(missing)


def test_the_rate_limit_counts_each_client_behind_the_gateway(platform):
    url = platform.gateway_url
    code = wrong(register_web_report(url)["receiptCode"])
    codes = [
        graphql(url, PROGRESS, local_address="127.0.0.2", code=code)["errors"][0]["extensions"][
            "code"
        ]
        for _ in range(11)
    ]
    # A burst of 10 per client, then refused.
    assert codes[:10] == ["receipt_code_unknown"] * 10
    assert codes[10] == "rate_limited"
    # Another client behind the same gateway is not held back.
    other = graphql(url, PROGRESS, local_address="127.0.0.3", code=code)
    assert other["errors"][0]["extensions"]["code"] == "receipt_code_unknown"
