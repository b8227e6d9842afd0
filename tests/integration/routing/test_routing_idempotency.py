"""Idempotency keys on routing's transfer proposal, on real PostgreSQL: a retried proposal
answers the first one (without a key the retry is refused, a transfer being pending), a
reused key with another body is refused, a malformed key is a coded 400."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.routing.application import RoutingApplication
from tests.service_tokens import bearer

from .conftest import actor

pytestmark = pytest.mark.integration

COUNTY, CITY = "620102", "6201"
CLERK = actor("赵信访", COUNTY)
PROPOSAL = {"kind": "report_up", "reason": "市管干部", "to_organ": CITY}


def propose(client: TestClient, case_id: str, key: str | bytes | None, **body: Any) -> Any:
    headers = bearer(CLERK)
    if key is not None:
        headers["Idempotency-Key"] = key  # type: ignore[assignment]
    return client.post(f"/cases/{case_id}/transfers", json={**PROPOSAL, **body}, headers=headers)


def stored(routing: RoutingApplication) -> int:
    with routing.datastore_connection() as conn:
        row = conn.execute("SELECT count(*) FROM routingapplication_events").fetchone()
    assert row is not None
    return int(row[0])


def test_a_retried_proposal_answers_the_first(
    routing: RoutingApplication, client: TestClient
) -> None:
    case_id = str(routing.open_case(uuid4(), COUNTY, "登记员"))
    first = propose(client, case_id, "propose-1")
    assert first.status_code == 201, first.text
    before = stored(routing)

    again = propose(client, case_id, "propose-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["pending_transfer"]["id"] == first.json()["pending_transfer"]["id"]
    assert stored(routing) == before

    # Without the key, the retry is a second proposal, which the pending one refuses.
    assert propose(client, case_id, None).status_code == 409

    reused = propose(client, case_id, "propose-1", reason="另一个理由")
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert stored(routing) == before


def test_concurrent_retries_propose_once(routing: RoutingApplication, client: TestClient) -> None:
    case_id = str(routing.open_case(uuid4(), COUNTY, "登记员"))
    before = stored(routing)
    with ThreadPoolExecutor(10) as pool:
        answers = list(
            pool.map(lambda _: propose(TestClient(client.app), case_id, "burst"), range(10))
        )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["pending_transfer"]["id"] for a in answers}) == 1
    assert stored(routing) == before + 1


@pytest.mark.parametrize("key", [b"", b"x" * 129, b"two words", "键".encode(), b"\x01"])
def test_a_malformed_key_is_a_coded_400(
    routing: RoutingApplication, client: TestClient, key: bytes
) -> None:
    case_id = str(routing.open_case(uuid4(), COUNTY, "登记员"))
    before = stored(routing)
    refused = propose(client, case_id, key)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "idempotency_key_invalid"
    assert error["message_zh"] and error["message_en"]
    assert stored(routing) == before
