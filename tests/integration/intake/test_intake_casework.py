"""Intake's REST for the casework pages on PostgreSQL: search (filters, keyset pages, scope
in the query, holders from routing.events) and a case's timeline; their bad inputs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.contracts import Envelope, HandlingEvents
from domain.guards import CHINA_TZ

from .conftest import REPORTER, Intake

pytestmark = pytest.mark.integration


def search(service: Intake, who: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    response = service.client.get("/petitions", params=params, headers=who or service.actor)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def numbers(page: dict[str, Any]) -> list[str]:
    return [item["registration_number"] for item in page["items"]]


def routing_says(
    service: Intake, case_id: str, type_: str, position: int, payload: dict[str, Any]
) -> None:
    """routing.events carries this event of the case (as the consumer would hand it on)."""
    envelope = Envelope(
        event_id=str(uuid4()),
        type=type_,
        case_id=case_id,
        sequence=position + 1,
        organ_code=str(payload.get("holder_organ") or ""),
        actor="handler.wu",
        occurred_at="",
        source="routing",
        payload=payload,
        notification_id=position,
    )
    service.intake.handle_routing_event(envelope, "routing.events#0")


def hand_to(service: Intake, case_id: str, organ: str, position: int) -> None:
    """routing.events says the case was received by `organ` (as the consumer would)."""
    payload = {"holder_organ": organ, "holder_office": "petition"}
    routing_says(service, case_id, HandlingEvents.TRANSFER_RECEIVED, position, payload)


def test_search_filters_pages_and_scope(service: Intake) -> None:
    persons = [{"name": "李建国", "unit": "某县财政局"}]
    letter = service.register(reported_persons=persons, summary="反映李某违规收受礼金")
    web = service.register(channel="web", summary="反映某局长公款吃喝")
    visit = service.register(channel="visit", visitors=3, summary="集体访反映征地补偿")
    county = service.register(organ_code="620102", summary="反映某村干部侵占集体资金")
    sibling = service.register(organ_code="620103", summary="反映某站长违规发放补贴")
    everyone = {c["registration_number"] for c in (letter, web, visit, county, sibling)}

    # The city's clerk sees its own and its counties' cases, newest first.
    page = search(service)
    assert set(numbers(page)) == everyone and page["next_cursor"] is None
    assert numbers(page)[0] == sibling["registration_number"]
    item = next(i for i in page["items"] if i["case_id"] == letter["case_id"])
    assert item["reported_persons"] == [{"name": "李建国", "unit": "某县财政局"}]
    assert (item["channel"], item["stage"], item["holder_organ"]) == ("letter", "received", "6201")

    assert numbers(search(service, channel="web")) == [web["registration_number"]]
    assert numbers(search(service, reported_person="建国")) == [letter["registration_number"]]
    assert numbers(search(service, reported_person="财政局")) == [letter["registration_number"]]
    assert numbers(search(service, text="公款")) == [web["registration_number"]]
    assert numbers(search(service, text="100%_")) == []  # wildcards are literal
    number = visit["registration_number"]
    assert numbers(search(service, registration_number=number)) == [number]
    assert set(numbers(search(service, organ="620102"))) == {county["registration_number"]}
    today = datetime.now(CHINA_TZ).date()
    assert len(numbers(search(service, **{"from": today, "to": today}))) == 5
    assert numbers(search(service, **{"to": today - timedelta(days=1)})) == []
    assert numbers(search(service, stage="accepted")) == []

    # Keyset pages of two: every case once, in the same order as one page.
    seen, after = [], None
    while True:
        page = search(service, first=2, **({"after": after} if after else {}))
        seen += numbers(page)
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == numbers(search(service))

    # A county's clerk sees the county's case, not the city's nor the sibling's ...
    county_clerk = service.as_("clerk.ma", organ="620102")
    assert numbers(search(service, county_clerk)) == [county["registration_number"]]
    # ... until routing hands it one of the city's cases: held now, so in its scope.
    hand_to(service, letter["case_id"], "620102", 1)
    assert set(numbers(search(service, county_clerk))) == {
        county["registration_number"],
        letter["registration_number"],
    }
    assert numbers(search(service, county_clerk, organ="6201")) == numbers(
        search(service, county_clerk)
    )
    # An administrator reads no case content: the list itself is refused.
    admin = service.as_("admin.he", role="administrator")
    refused = service.client.get("/petitions", headers=admin)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"stage": "bogus"}, "request_invalid"),
        ({"channel": "pigeon"}, "request_invalid"),
        ({"first": 0}, "request_invalid"),
        ({"first": 101}, "request_invalid"),
        ({"organ": "abc"}, "request_invalid"),
        ({"from": "2024-13-01"}, "request_invalid"),
        ({"after": "not a cursor"}, "cursor_invalid"),
        ({"after": "WyJ4IiwgInkiXQ=="}, "cursor_invalid"),
        ({"text": "x" * 101}, "request_invalid"),
        ({"reported_person": "\x00"}, "request_invalid"),
        ({"text": "a\x00b"}, "request_invalid"),
        ({"registration_number": "\x00"}, "request_invalid"),
    ],
)
def test_search_bad_inputs_are_coded(service: Intake, params: dict[str, Any], code: str) -> None:
    response = service.client.get("/petitions", params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message_zh"] and error["message_en"]


def test_the_timeline_lists_intake_events_in_order(service: Intake) -> None:
    case = service.register(reporter=REPORTER)
    url = f"/petitions/{case['case_id']}"
    reveal = service.client.post(f"{url}/reporter/reveal", json={"purpose": "核实"})
    assert reveal.status_code == 200
    accept = service.client.post(
        f"{url}/screening/accept",
        json={"report_type": "accusation"},
        headers=service.as_("clerk.zhao"),
    )
    assert accept.status_code == 200
    response = service.client.get(f"{url}/timeline")
    assert response.status_code == 200, response.text
    entries = response.json()
    assert [(e["sequence"], e["what"], e["who"], e["organ"], e["office"]) for e in entries] == [
        (1, "Petition.Registered", "clerk.li", "6201", "petition"),
        (2, "Petition.ReporterRevealed", "clerk.li", "6201", "petition"),
        (3, "Petition.Accepted", "clerk.zhao", "6201", "petition"),
    ]
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    assert REPORTER["name"] not in response.text
    sibling = service.client.get(
        f"{url}/timeline", headers=service.as_("clerk.sun", organ="620103")
    )
    assert sibling.status_code == 404 and sibling.json()["error"]["code"] == "petition_unknown"


def test_an_organ_a_transfer_is_dispatched_to_reads_the_case_before_receipt(
    service: Intake,
) -> None:
    case = service.register(organ_code="620102", reporter=REPORTER)
    url = f"/petitions/{case['case_id']}"
    unit = service.as_("handler.jiang", role="handler", organ="620102Z01", office="supervision")
    unit_clerk = service.as_("clerk.wei", organ="620102Z01")
    assert service.client.get(url, headers=unit).status_code == 404

    # Proposed and approved: not yet the stationed unit's business.
    proposed = {"transfer_id": "t-1", "kind": "to_stationed_unit", "to_organ": "620102Z01"}
    routing_says(service, case["case_id"], HandlingEvents.TRANSFER_PROPOSED, 1, proposed)
    assert service.client.get(url, headers=unit).status_code == 404
    # A dispatch of another transfer id shows the case to nobody.
    other = {"transfer_id": "t-0", "notified_offices": []}
    routing_says(service, case["case_id"], HandlingEvents.TRANSFER_DISPATCHED, 2, other)
    assert service.client.get(url, headers=unit).status_code == 404

    dispatched = {"transfer_id": "t-1", "notified_offices": []}
    routing_says(service, case["case_id"], HandlingEvents.TRANSFER_DISPATCHED, 3, dispatched)
    response = service.client.get(url, headers=unit)
    assert response.status_code == 200, response.text
    assert response.json()["registration_number"] == case["registration_number"]
    assert REPORTER["name"] not in response.text
    # Only what its scope allows: the reporter stays sealed (the holder's petition office
    # reveals), though the unit's clerk sees the case (403, not 404).
    reveal = service.client.post(
        f"{url}/reporter/reveal", json={"purpose": "核实"}, headers=unit_clerk
    )
    assert reveal.status_code == 403 and reveal.json()["error"]["code"] == "forbidden"
    # A sibling county still sees nothing.
    sibling = service.as_("clerk.sun", organ="620103")
    assert service.client.get(url, headers=sibling).status_code == 404


def test_a_batch_of_cases_by_id_answers_only_what_the_caller_may_see(service: Intake) -> None:
    city = service.register(reporter=REPORTER)
    county = service.register(organ_code="620102", summary="反映某村干部侵占集体资金")
    sibling = service.register(organ_code="620103", summary="反映某站长违规发放补贴")
    unknown = str(uuid4())
    ids = [county["case_id"], unknown, city["case_id"], sibling["case_id"], county["case_id"]]

    county_clerk = service.as_("clerk.ma", organ="620102")
    response = service.client.get("/petitions/batch", params={"ids": ids}, headers=county_clerk)
    assert response.status_code == 200, response.text
    body = response.json()
    # Each case once, in the order asked; the rest missing alike, whatever the reason.
    assert [p["case_id"] for p in body["petitions"]] == [county["case_id"]]
    assert body["missing"] == [unknown, city["case_id"], sibling["case_id"]]
    single = service.client.get(f"/petitions/{county['case_id']}", headers=county_clerk)
    assert body["petitions"][0] == single.json()

    # The city sees its own and its counties' cases, never the reporter.
    response = service.client.get("/petitions/batch", params={"ids": ids})
    assert [p["case_id"] for p in response.json()["petitions"]] == [
        county["case_id"],
        city["case_id"],
        sibling["case_id"],
    ]
    assert REPORTER["name"] not in response.text and REPORTER["phone"] not in response.text


@pytest.mark.parametrize(
    "params",
    [{}, {"ids": "not-a-uuid"}, {"ids": [str(uuid4()) for _ in range(101)]}],
)
def test_a_batch_of_cases_refuses_bad_ids(service: Intake, params: dict[str, Any]) -> None:
    response = service.client.get("/petitions/batch", params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "request_invalid" and error["message_zh"] and error["message_en"]


def test_a_draft_gets_its_substance_hint_and_repeat_candidates_in_scope(service: Intake) -> None:
    persons = [{"name": "欧阳志强", "unit": "某县财政局"}]
    earlier = service.register(
        reported_persons=persons,
        categories=["integrity_discipline"],
        summary="反映欧阳志强2025年3月收受礼金二万元",
    )
    accept = service.client.post(
        f"/petitions/{earlier['case_id']}/screening/accept",
        json={"report_type": "accusation"},
        headers=service.as_("clerk.zhao"),
    )
    assert accept.status_code == 200, accept.text
    draft = {
        "reported_persons": persons,
        "categories": ["integrity_discipline"],
        "summary": "反映欧阳志强有问题",
    }

    response = service.client.post("/petitions/draft-hints", json=draft)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["substance_hint"]["message_zh"] and body["substance_hint"]["missing"]
    [candidate] = body["candidates"]
    assert candidate["case_id"] == earlier["case_id"]
    assert candidate["registration_number"] == earlier["registration_number"]
    assert candidate["holder"]["organ_code"] == "6201" and candidate["reason_zh"]
    # Nothing was registered.
    assert len(search(service)["items"]) == 1

    # A fact-bearing draft gets no hint; a county clerk's draft does not reach the city's
    # case, nor does a sibling county's: candidates stay within the clerk's scope.
    factual = {**draft, "summary": "反映欧阳志强2025年3月在县城酒店收受礼金二万元"}
    assert service.client.post("/petitions/draft-hints", json=factual).json()[
        "substance_hint"
    ] is None
    for organ in ("620102", "620103"):
        clerk = service.as_("clerk.ma", organ=organ)
        other = service.client.post("/petitions/draft-hints", json=draft, headers=clerk)
        assert other.status_code == 200 and other.json()["candidates"] == [], other.text
    # Who may not register may not ask.
    admin = service.as_("admin.he", role="administrator")
    refused = service.client.post("/petitions/draft-hints", json=draft, headers=admin)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "draft",
    [
        {"categories": ["bogus"]},
        {"reported_persons": [{"name": ""}]},
        {"reported_persons": [{"name": f"某{i}"} for i in range(60)]},
        {"summary": "x" * 501},
        {"summary": 5},
    ],
)
def test_a_draft_with_bad_input_is_refused(service: Intake, draft: dict[str, Any]) -> None:
    response = service.client.post("/petitions/draft-hints", json=draft)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "request_invalid" and error["message_zh"] and error["message_en"]
