"""The routing application in memory: consuming intake, concurrency, and the REST API."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from domain.actors import Actor
from domain.contracts import Envelope, PetitionEvents
from domain.errors import Conflict
from domain.handling import Handling
from infra.access_log import MemoryAccessLog
from services.routing.application import RoutingApplication
from services.routing.main import create_app
from tests.actors import MONITOR, staff
from tests.service_tokens import VERIFIER, bearer

from .orgs import CITY, COUNTY, STATIONED, TOWNSHIP_A, TOWNSHIP_B, clerk, leader, org_tree

TRACK = "intake.events#0"
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


class Clock:
    """The routing application's clock: a minute later at every reading."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def envelope(type_: str, case_id: UUID, notification_id: int, **payload: Any) -> Envelope:
    return Envelope(
        event_id=str(uuid4()),
        type=type_,
        case_id=str(case_id),
        sequence=1,
        organ_code=str(payload.get("organ_code", "")),
        actor="登记员",
        occurred_at="2025-01-02T03:04:05+00:00",
        source="intake",
        payload=payload,
        notification_id=notification_id,
    )


@pytest.fixture
def routing() -> RoutingApplication:
    return RoutingApplication(org_tree(), clock=Clock())


@pytest.fixture
def access_log() -> MemoryAccessLog:
    return MemoryAccessLog()


@pytest.fixture
def client(routing: RoutingApplication, access_log: MemoryAccessLog) -> TestClient:
    app = create_app(routing, verifier=VERIFIER, access_log=access_log)
    return TestClient(app, headers=bearer(MONITOR))


def actor_json(actor: Actor) -> Actor:
    return actor


# --- consuming intake.events -----------------------------------------------------------


def test_accepted_opens_a_handling_exactly_once(routing: RoutingApplication) -> None:
    case_id = uuid4()
    accepted = envelope(
        PetitionEvents.ACCEPTED,
        case_id,
        7,
        organ_code=TOWNSHIP_A,
        report_type="accusation",
        reported_persons=[{"name": "张某", "unit": "县交通局", "cadre_level": "county_managed"}],
    )
    routing.handle(accepted, TRACK)
    assert routing.tracked_position(TRACK) == 7
    case = routing.case(case_id, MONITOR)
    assert case["holder"] == {"organ_code": TOWNSHIP_A, "office": "petition", "external_body": None}
    assert case["version"] == 1
    routing.handle(accepted, TRACK)  # redelivered
    routing.handle(envelope(PetitionEvents.ACCEPTED, case_id, 9, organ_code=TOWNSHIP_A), TRACK)
    assert routing.case(case_id, MONITOR)["version"] == 1
    assert len(routing.events_of(case_id)) == 1
    assert routing.tracked_position(TRACK) == 9


def test_other_types_are_ignored_but_tracked(routing: RoutingApplication) -> None:
    routing.handle(envelope(PetitionEvents.REGISTERED, uuid4(), 3, organ_code=COUNTY), TRACK)
    assert routing.tracked_position(TRACK) == 3
    assert routing.recorder.max_notification_id() in (None, 0)


def test_malformed_case_ids_are_skipped_not_retried_forever(routing: RoutingApplication) -> None:
    bad = envelope(PetitionEvents.LINKED_AS_REPEAT, uuid4(), 4, first_case_id=None)
    routing.handle(bad, TRACK)
    assert routing.tracked_position(TRACK) == 4


def test_a_repeat_is_shown_to_the_first_case_holder(routing: RoutingApplication) -> None:
    first, repeat = uuid4(), uuid4()
    routing.handle(envelope(PetitionEvents.ACCEPTED, first, 1, organ_code=COUNTY), TRACK)
    linked = envelope(
        PetitionEvents.LINKED_AS_REPEAT, repeat, 2, organ_code=TOWNSHIP_A, first_case_id=str(first)
    )
    routing.handle(linked, TRACK)
    routing.handle(linked, TRACK)
    repeats = routing.case(first, MONITOR)["repeats"]
    assert repeats == [
        {
            "case_id": str(repeat),
            "linked_at_organ": TOWNSHIP_A,
            "shown_to_organ": COUNTY,
            "shown_to_office": "petition",
            "at": (START + timedelta(minutes=2)).isoformat(),
        }
    ]
    # A repeat of a case routing never opened changes nothing but the position.
    routing.handle(
        envelope(PetitionEvents.LINKED_AS_REPEAT, uuid4(), 3, first_case_id=str(uuid4())), TRACK
    )
    assert routing.tracked_position(TRACK) == 3


def test_jurisdiction_is_suggested_with_its_reason(routing: RoutingApplication) -> None:
    case_id = uuid4()
    persons = [{"name": "张某", "unit": "区交通局", "cadre_level": "county_managed"}]
    routing.open_case(case_id, TOWNSHIP_A, "登记员", "accusation", persons)
    suggestion = routing.jurisdiction(case_id, MONITOR)
    assert suggestion["organ_code"] == COUNTY
    assert suggestion["action"] == "report_up"
    assert suggestion["reason_zh"] and suggestion["reason_en"]
    routing.propose_transfer(case_id, clerk(TOWNSHIP_A), "report_up", "县管干部", to_organ=COUNTY)
    pending = routing.case(case_id, MONITOR)["pending_transfer"]
    assert pending["suggestion"]["organ_code"] == COUNTY
    nobody = routing.open_case(uuid4(), COUNTY, "登记员")
    with pytest.raises(Conflict) as exc:
        routing.jurisdiction(nobody, MONITOR)
    assert exc.value.code == "jurisdiction_unknown"


# --- concurrency -----------------------------------------------------------------------


def test_a_stale_expected_version_is_a_conflict(routing: RoutingApplication) -> None:
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    routing.decide_disposal(case_id, clerk(COUNTY), "inquiry", "函询", expected_version=1)
    with pytest.raises(Conflict) as exc:
        routing.decide_disposal(case_id, clerk(COUNTY), "hold", "暂存", expected_version=1)
    assert exc.value.code == "concurrent_update"
    assert routing.case(case_id, MONITOR)["disposal"]["mode"] == "inquiry"


def test_two_people_at_once_one_wins_nothing_is_lost(
    routing: RoutingApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both load version 1; the second save collides and is refused."""
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    loaded = threading.Barrier(2)
    original = routing.repository.get

    def get_then_wait(aggregate_id: UUID, **kwargs: Any) -> Handling:
        aggregate: Handling = original(aggregate_id, **kwargs)
        loaded.wait(timeout=5)
        return aggregate

    monkeypatch.setattr(routing.repository, "get", get_then_wait)
    outcomes: list[str] = []

    def act(mode: str) -> None:
        try:
            routing.decide_disposal(case_id, clerk(COUNTY), mode, "处置")
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=act, args=(m,)) for m in ("inquiry", "hold")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    monkeypatch.undo()
    assert sorted(outcomes) == ["concurrent_update", "ok"]
    assert routing.case(case_id, MONITOR)["version"] == 2


# --- REST ------------------------------------------------------------------------------


def post(client: TestClient, path: str, actor: Actor, **body: Any) -> dict[str, Any]:
    response = client.post(path, json=body, headers=bearer(actor))
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()
    return data


def test_rest_story_through_inbox_and_review(
    client: TestClient, routing: RoutingApplication
) -> None:
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    base = f"/cases/{case_id}"
    county, county_leader = actor_json(clerk(COUNTY)), actor_json(leader(COUNTY))
    township = actor_json(clerk(TOWNSHIP_B))

    case = post(client, f"{base}/transfers", actor=county, kind="assign_down",
                reason="属乡镇管辖", to_organ=TOWNSHIP_B, expected_version=1)  # fmt: skip
    tid = case["pending_transfer"]["id"]
    post(client, f"{base}/transfers/{tid}/approve", actor=county_leader)
    post(client, f"{base}/transfers/{tid}/dispatch", actor=county)
    inbox = client.get("/inbox", params={"organ_code": TOWNSHIP_B}).json()
    assert [c["case_id"] for c in inbox["incoming"]] == [str(case_id)]
    assert inbox["incoming"][0]["transfer"]["id"] == tid
    post(client, f"{base}/transfers/{tid}/receive", actor=township, received_by="钱签收")
    inbox = client.get("/inbox", params={"organ_code": TOWNSHIP_B, "office": "petition"}).json()
    assert [c["case_id"] for c in inbox["held"]] == [str(case_id)] and inbox["incoming"] == []

    post(client, f"{base}/disposal", actor=township, mode="preliminary_verification", reason="可查")
    post(client, f"{base}/conclusion", actor=township, outcome="not_substantiated",
         substantiation="untrue", findings="查无实据")  # fmt: skip
    post(client, f"{base}/report-back", actor=township, summary="报结")
    post(client, f"{base}/review", actor=county, accept=False, reason="证据不足")
    post(client, f"{base}/conclusion", actor=township, outcome="name_cleared",
         substantiation="untrue", findings="澄清正名")  # fmt: skip
    post(client, f"{base}/report-back", actor=township, summary="重新报结")
    post(client, f"{base}/review", actor=county, accept=True)
    post(client, f"{base}/feedback", actor=county, method="letter", content="书面答复",
         satisfaction="satisfied")  # fmt: skip
    post(client, f"{base}/five-in-place", actor=county, items=[i for i in
         ("investigation", "handling", "feedback", "archiving", "education")])  # fmt: skip
    case = post(client, f"{base}/archive", actor=county)
    assert case["status"] == "archived"
    assert [link["kind"] for link in case["custody"]] == [
        "opened", "assign_down", "report_back", "send_back", "report_back"
    ]  # fmt: skip
    # The transfer and the custody chain are dated by the application's clock, one
    # reading per command.
    transfer = case["transfers"][0]
    assert [
        transfer[f"{step}_at"] for step in ("proposed", "approved", "dispatched", "closed")
    ] == [(START + timedelta(minutes=n)).isoformat() for n in (2, 3, 4, 5)]
    assert [link["at"] for link in case["custody"]] == [
        (START + timedelta(minutes=n)).isoformat() for n in (1, 5, 8, 9, 11)
    ]
    assert client.get(f"{base}").json() == case


def test_rest_refusals_are_coded(client: TestClient, routing: RoutingApplication) -> None:
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    base = f"/cases/{case_id}"
    county = actor_json(clerk(COUNTY))

    def refused(path: str, status: int, code: str, actor: Actor, **body: Any) -> None:
        response = client.post(path, json=body, headers=bearer(actor))
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == code
        assert error["message_zh"] and error["message_en"]

    refused(f"{base}/transfers", 409, "route_not_ancestor", actor=county, kind="report_up",
            reason="r", to_organ=TOWNSHIP_A)  # fmt: skip
    refused(f"{base}/transfers", 409, "route_foreign_stationed_unit", actor=county,
            kind="to_stationed_unit", reason="r", to_organ="620103Z01")  # fmt: skip
    refused(f"{base}/transfers", 422, "request_invalid", actor=county, kind="report_up",
            reason="r", to_organ="62ABC")  # fmt: skip
    refused(f"{base}/transfers", 404, "organ_unknown", actor=county, kind="report_up",
            reason="r", to_organ="99")  # fmt: skip
    # The city sees the county's case but only the holder works on it (the policy, 403).
    refused(f"{base}/transfers", 403, "forbidden", actor=actor_json(clerk(CITY)),
            kind="report_up", reason="r", to_organ=CITY)  # fmt: skip
    # A leader of the holder may act, but the holder's office is another one (the case).
    refused(f"{base}/transfers", 403, "not_holder",
            actor=staff("handler-zhao", COUNTY, "supervision", "handler"),
            kind="report_up", reason="r", to_organ=CITY)  # fmt: skip
    refused(f"{base}/disposal", 409, "concurrent_update", actor=county, mode="hold",
            reason="r", expected_version=5)  # fmt: skip
    refused(f"{base}/disposal", 422, "request_invalid", actor=county, mode="burn", reason="r")
    refused(f"{base}/archive", 409, "not_concluded", actor=county)
    refused(f"/cases/{uuid4()}/archive", 404, "case_unknown", actor=county)
    refused(f"{base}/transfers/{uuid4()}/approve", 409, "transfer_unknown",
            actor=actor_json(leader(COUNTY)))  # fmt: skip
    case = post(client, f"{base}/transfers", actor=county, kind="to_stationed_unit",
                reason="属派驻组监督范围", to_organ=STATIONED)  # fmt: skip
    tid = case["pending_transfer"]["id"]
    refused(f"{base}/transfers/{tid}/approve", 403, "forbidden", actor=county)
    # Nobody approves their own proposal, even a leader who is also its clerk.
    own = client.post(f"{base}/transfers/{tid}/approve", json={}, headers=bearer(
        staff("王信访", COUNTY, "petition", "petition_clerk", "leader")))  # fmt: skip
    assert own.status_code == 403
    assert own.json()["error"]["details"]["reason"] == "approver_proposed_it"
    refused(f"{base}/transfers/{tid}/dispatch", 409, "transfer_not_approved", actor=county)
    # Not dispatched yet: the stationed unit cannot see the case at all (404, as missing).
    refused(f"{base}/transfers/{tid}/receive", 404, "case_unknown",
            actor=actor_json(clerk(STATIONED)))  # fmt: skip
    refused(f"{base}/transfers/{tid}/receive", 409, "transfer_not_dispatched", actor=county)
    post(client, f"{base}/transfers/{tid}/withdraw", actor=county, reason="撤回")
    assert client.get(f"/cases/{uuid4()}").status_code == 404
    assert client.get("/inbox", params={"organ_code": "1x"}).status_code == 422
    assert client.get("/inbox", params={"organ_code": "99"}).json()["error"]["code"] == (
        "organ_unknown"
    )
    assert client.get(f"{base}/jurisdiction").json()["error"]["code"] == "jurisdiction_unknown"


def test_openapi_document_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/cases/{case_id}",
        "/cases/{case_id}/jurisdiction",
        "/inbox",
        "/cases/{case_id}/transfers",
        "/cases/{case_id}/transfers/{transfer_id}/receive",
        "/cases/{case_id}/review",
        "/cases/{case_id}/archive",
    ):
        assert path in paths
