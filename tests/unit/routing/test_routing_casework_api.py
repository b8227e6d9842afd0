"""Routing's REST for the casework pages: inbox trays with counts, batch reads, timelines
and each case's `available_actions` for the caller; their bad inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from domain.actors import Actor
from infra.access_log import MemoryAccessLog
from services.routing.application import RoutingApplication
from services.routing.main import create_app
from tests.service_tokens import VERIFIER, bearer

from .orgs import CITY, COUNTY, OTHER_COUNTY, TOWNSHIP_B, clerk, handler, leader, org_tree

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def routing() -> RoutingApplication:
    return RoutingApplication(org_tree(), clock=Clock())


@pytest.fixture
def log() -> MemoryAccessLog:
    return MemoryAccessLog()


@pytest.fixture
def client(routing: RoutingApplication, log: MemoryAccessLog) -> TestClient:
    return TestClient(create_app(routing, verifier=VERIFIER, access_log=log))


def post(client: TestClient, path: str, actor: Actor, **body: Any) -> dict[str, Any]:
    response = client.post(path, json=body, headers=bearer(actor))
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def propose(client: TestClient, case_id: UUID, actor: Actor, **body: Any) -> str:
    case = post(client, f"/cases/{case_id}/transfers", actor, **body)
    return str(case["pending_transfer"]["id"])


def ids(tray: list[dict[str, Any]]) -> list[str]:
    return [c["case_id"] for c in tray]


def test_inbox_trays_follow_a_case_out_and_back(
    client: TestClient, routing: RoutingApplication
) -> None:
    county, county_leader, township = clerk(COUNTY), leader(COUNTY), clerk(TOWNSHIP_B)
    held = routing.open_case(uuid4(), COUNTY, "登记员")
    sent = routing.open_case(uuid4(), COUNTY, "登记员")
    refused = routing.open_case(uuid4(), COUNTY, "登记员")

    def inbox(actor: Actor, **params: str) -> dict[str, Any]:
        response = client.get("/inbox", params=params, headers=bearer(actor))
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        assert data["counts"] == {tray: len(data[tray]) for tray in data["counts"]}
        return data

    waiting = propose(client, held, county, kind="assign_down", reason="交办", to_organ=TOWNSHIP_B)
    mine = inbox(county)  # the caller's own organ by default
    assert mine["organ_code"] == COUNTY
    assert set(ids(mine["held"])) == {str(held), str(sent), str(refused)}
    assert ids(mine["awaiting_approval"]) == [str(held)]
    assert mine["awaiting_approval"][0]["transfer"]["id"] == waiting

    tid = propose(client, sent, county, kind="assign_down", reason="交办", to_organ=TOWNSHIP_B)
    post(client, f"/cases/{sent}/transfers/{tid}/approve", county_leader)
    post(client, f"/cases/{sent}/transfers/{tid}/dispatch", county)
    assert ids(inbox(township)["incoming"]) == [str(sent)]
    post(client, f"/cases/{sent}/transfers/{tid}/receive", township)
    tid = propose(client, refused, county, kind="assign_down", reason="交办", to_organ=TOWNSHIP_B)
    post(client, f"/cases/{refused}/transfers/{tid}/approve", county_leader)
    post(client, f"/cases/{refused}/transfers/{tid}/dispatch", county)
    post(client, f"/cases/{refused}/transfers/{tid}/refuse", township, reason="不属本级管辖")

    mine = inbox(county, office="petition")
    assert ids(mine["sent_elsewhere"]) == [str(sent)]
    assert mine["sent_elsewhere"][0]["holder_organ"] == TOWNSHIP_B
    assert mine["sent_elsewhere"][0]["status"] == "open"
    assert ids(mine["came_back"]) == [str(refused)]
    assert mine["came_back"][0]["transfer"]["refusal_reason"] == "不属本级管辖"
    assert ids(inbox(township)["held"]) == [str(sent)]


def test_another_organs_inbox_is_refused_and_logged(
    client: TestClient, log: MemoryAccessLog
) -> None:
    refused = client.get(
        "/inbox", params={"organ_code": OTHER_COUNTY}, headers=bearer(clerk(COUNTY))
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["reason"] == "no_rule_grants_read_inbox"
    assert [(e.object, e.outcome, e.case_organ) for e in log.entries] == [
        ("inbox", "refused", OTHER_COUNTY)
    ]
    for params, code in (
        ({"organ_code": "1x"}, "request_invalid"),
        ({"organ_code": "99"}, "organ_unknown"),
        ({"office": "kitchen"}, "request_invalid"),
    ):
        response = client.get("/inbox", params=params, headers=bearer(clerk(COUNTY)))
        assert response.json()["error"]["code"] == code, params


def test_batch_reads_keep_order_and_hide_what_is_out_of_scope(
    client: TestClient, routing: RoutingApplication, log: MemoryAccessLog
) -> None:
    ours = [routing.open_case(uuid4(), COUNTY, "登记员") for _ in range(3)]
    theirs = routing.open_case(uuid4(), OTHER_COUNTY, "登记员")
    unknown = uuid4()
    asked = [ours[2], theirs, ours[0], unknown, ours[1], ours[2]]
    response = client.get("/cases", params={"ids": asked}, headers=bearer(clerk(COUNTY)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert ids(body["cases"]) == [str(ours[2]), str(ours[0]), str(ours[1])]
    assert body["missing"] == [str(theirs), str(unknown)]  # alike: no hint which exists
    assert [e.case_id for e in log.entries if e.outcome == "refused"] == [str(theirs)]
    city = clerk(CITY)
    too_many = client.get(
        "/cases", params={"ids": [uuid4() for _ in range(101)]}, headers=bearer(city)
    )
    assert too_many.status_code == 422
    for params in ({"ids": "not-a-uuid"}, {}):
        answer = client.get("/cases", params=params, headers=bearer(city))
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "request_invalid"


def test_available_actions_are_what_would_work_now(
    client: TestClient, routing: RoutingApplication
) -> None:
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    county, county_leader = clerk(COUNTY), leader(COUNTY)

    def actions(actor: Actor) -> list[str]:
        response = client.get(f"/cases/{case_id}", headers=bearer(actor))
        assert response.status_code == 200, response.text
        return list(response.json()["available_actions"])

    assert actions(county) == ["propose_transfer", "decide_disposal"]
    assert actions(handler(COUNTY)) == []  # the supervision office does not hold it
    assert actions(clerk(CITY)) == []  # the city reads, the county works
    tid = propose(client, case_id, county, kind="assign_down", reason="交办", to_organ=TOWNSHIP_B)
    assert actions(county) == ["withdraw_transfer"]
    assert actions(county_leader) == ["approve_transfer"]
    proposer_leader = leader(COUNTY, name=county.username)
    assert "approve_transfer" not in actions(proposer_leader)  # nobody approves their own
    post(client, f"/cases/{case_id}/transfers/{tid}/approve", county_leader)
    assert actions(county) == ["dispatch_transfer", "withdraw_transfer"]
    post(client, f"/cases/{case_id}/transfers/{tid}/dispatch", county)
    assert actions(clerk(TOWNSHIP_B)) == ["receive_transfer", "refuse_transfer"]
    assert actions(county) == []
    # Each listed action is accepted when run.
    post(client, f"/cases/{case_id}/transfers/{tid}/receive", clerk(TOWNSHIP_B))
    township = clerk(TOWNSHIP_B)
    assert actions(township) == ["propose_transfer", "decide_disposal"]
    post(client, f"/cases/{case_id}/disposal", township, mode="inquiry", reason="函询")
    assert actions(township) == ["propose_transfer", "decide_disposal", "conclude"]


def test_the_timeline_names_what_who_organ_office_and_when(
    client: TestClient, routing: RoutingApplication
) -> None:
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    county, township = clerk(COUNTY), clerk(TOWNSHIP_B)
    tid = propose(client, case_id, county, kind="assign_down", reason="交办", to_organ=TOWNSHIP_B)
    post(client, f"/cases/{case_id}/transfers/{tid}/approve", leader(COUNTY))
    post(client, f"/cases/{case_id}/transfers/{tid}/dispatch", county)
    post(client, f"/cases/{case_id}/transfers/{tid}/receive", township)
    response = client.get(f"/cases/{case_id}/timeline", headers=bearer(county))
    assert response.status_code == 200, response.text
    entries = response.json()
    assert [(e["sequence"], e["what"], e["who"], e["organ"], e["office"]) for e in entries] == [
        (1, "Handling.Opened", "登记员", COUNTY, "petition"),
        (2, "Handling.TransferProposed", county.username, COUNTY, "petition"),
        (3, "Handling.TransferApproved", leader(COUNTY).username, COUNTY, "petition"),
        (4, "Handling.TransferDispatched", county.username, COUNTY, "petition"),
        (5, "Handling.TransferReceived", township.username, TOWNSHIP_B, "petition"),
    ]
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    outsider = client.get(f"/cases/{case_id}/timeline", headers=bearer(clerk(OTHER_COUNTY)))
    assert outsider.status_code == 404 and outsider.json()["error"]["code"] == "case_unknown"
    bad = client.get("/cases/not-a-uuid/timeline", headers=bearer(county))
    assert bad.status_code == 422


def test_a_supervised_transfer_takes_no_deadline_from_the_client(
    client: TestClient, routing: RoutingApplication
) -> None:
    """Supervision computes a supervise_down's deadline from the rules and the calendar."""
    held = routing.open_case(uuid4(), CITY, "登记员")
    url = f"/cases/{held}/transfers"
    body = {"kind": "supervise_down", "reason": "督办", "to_organ": COUNTY}
    typed = client.post(url, json={**body, "deadline": "2027-03-01"}, headers=bearer(clerk(CITY)))
    assert typed.status_code == 422, typed.text
    assert typed.json()["error"]["code"] == "request_invalid"
    assert routing.case(held, clerk(CITY))["transfers"] == []  # nothing half-written
    proposed = post(client, url, clerk(CITY), **body)["pending_transfer"]
    assert proposed["kind"] == "supervise_down" and "deadline" not in proposed
