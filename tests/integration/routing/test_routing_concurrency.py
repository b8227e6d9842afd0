"""Two people act on the same case at once, on real PostgreSQL: one wins, the other is
told "concurrent_update", and nothing is lost."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from services.routing.application import RoutingApplication
from tests.service_tokens import bearer

from .conftest import actor

pytestmark = pytest.mark.integration

COUNTY, CITY = "620102", "6201"


def test_two_receipts_at_once(
    routing: RoutingApplication, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    base = f"/cases/{case_id}"
    clerk, leader = actor("赵信访", COUNTY), actor("孙副书记", COUNTY, role="leader")
    tid = client.post(
        f"{base}/transfers", json={"kind": "report_up", "reason": "市管干部", "to_organ": CITY},
        headers=bearer(clerk),
    ).json()["pending_transfer"]["id"]  # fmt: skip
    client.post(f"{base}/transfers/{tid}/approve", json={}, headers=bearer(leader))
    client.post(f"{base}/transfers/{tid}/dispatch", json={}, headers=bearer(clerk))

    # Both requests load the case before either saves.
    both_loaded = threading.Barrier(2)
    original = routing.repository.get

    loads = iter(range(2))

    def get_then_wait(aggregate_id: UUID, **kwargs: Any) -> Any:
        aggregate = original(aggregate_id, **kwargs)
        if next(loads, None) is not None:  # the commands' loads, not the answers' reads
            both_loaded.wait(timeout=10)
        return aggregate

    monkeypatch.setattr(routing.repository, "get", get_then_wait)
    answers: list[tuple[int, str]] = []

    def receive(name: str) -> None:
        body = {"received_by": name}
        # A client of its own per person: requests on one client's portal are serialised.
        response = TestClient(client.app).post(
            f"{base}/transfers/{tid}/receive", json=body, headers=bearer(actor(name, CITY))
        )
        code = response.json().get("error", {}).get("code", "ok")
        answers.append((response.status_code, code))

    threads = [threading.Thread(target=receive, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    monkeypatch.undo()

    assert sorted(answers) == [(200, "ok"), (409, "concurrent_update")]
    case = client.get(base).json()
    assert case["holder"]["organ_code"] == CITY
    assert case["transfers"][-1]["state"] == "received"
    assert [e.originator_version for e in routing.events_of(case_id)] == [1, 2, 3, 4, 5]


def test_a_stale_client_is_refused(routing: RoutingApplication, client: TestClient) -> None:
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    clerk = actor("赵信访", COUNTY)
    first = client.post(
        f"/cases/{case_id}/disposal",
        json={"mode": "inquiry", "reason": "函询", "expected_version": 1},
        headers=bearer(clerk),
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.post(
        f"/cases/{case_id}/disposal",
        json={"mode": "hold", "reason": "暂存", "expected_version": 1},
        headers=bearer(clerk),
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "concurrent_update"
    assert stale.json()["error"]["details"] == {
        "case_id": str(case_id), "expected_version": 1, "version": 2
    }  # fmt: skip
    assert client.get(f"/cases/{case_id}").json()["disposal"]["mode"] == "inquiry"
