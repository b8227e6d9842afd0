"""Intake's cross-service rules on real PostgreSQL: holders and final results from
routing.events, province-wide repeat candidates, and stale writes refused with 409."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.contracts import Envelope, HandlingEvents

from .conftest import REPORTER, Intake

pytestmark = pytest.mark.integration

TRACK = "routing.events#1"
PERSON = {"name": "李建国", "unit": "某县财政局"}


class Routing:
    """routing.events as the consumer hands them to intake."""

    def __init__(self, service: Intake) -> None:
        self.service = service
        self.position = 0
        self.sequences: dict[str, int] = {}

    def send(self, kind: str, case_id: str, **payload: Any) -> None:
        self.position += 1
        self.sequences[case_id] = self.sequences.get(case_id, 0) + 1
        envelope = Envelope(
            event_id=str(uuid4()),
            type=kind,
            case_id=case_id,
            sequence=self.sequences[case_id],
            organ_code=str(payload.get("organ_code", "6201")),
            actor="handler.wu",
            occurred_at="",
            source="routing",
            payload=payload,
            notification_id=self.position,
        )
        self.service.intake.handle_routing_event(envelope, TRACK)


def accept(service: Intake, case: dict[str, Any]) -> None:
    organ = case["registration_number"].split("-")[0]
    response = service.client.post(
        f"/petitions/{case['case_id']}/screening/accept",
        json={"report_type": "accusation"},
        headers=service.as_("clerk.li", organ=organ),
    )
    assert response.status_code == 200, response.text


def test_candidates_come_from_the_province_and_show_who_holds_them(service: Intake) -> None:
    routing = Routing(service)
    at_province = service.register(organ_code="62", reported_persons=[PERSON])
    at_enterprise = service.register(organ_code="62E01", reported_persons=[PERSON])
    for case in (at_province, at_enterprise):
        accept(service, case)
    routing.send(HandlingEvents.OPENED, at_province["case_id"], organ_code="62")
    routing.send(
        HandlingEvents.TRANSFER_RECEIVED,
        at_province["case_id"],
        organ_code="62",
        transfer_id="t1",
        received_by="handler.ma",
        holder_organ="6201",
        holder_office="supervision",
    )
    # Redelivered: tracked, so nothing changes.
    routing.position -= 1
    routing.send(
        HandlingEvents.TRANSFER_RECEIVED,
        at_province["case_id"],
        holder_organ="62",
        holder_office="investigation",
    )
    later = service.register(organ_code="620102", reported_persons=[PERSON])
    response = service.client.get(f"/petitions/{later['case_id']}/repeat-candidates")
    assert response.status_code == 200, response.text
    holders = {c["case_id"]: c["holder"] for c in response.json()}
    assert holders == {
        at_province["case_id"]: {
            "organ_code": "6201",
            "organ_name": "兰州市纪委监委",
            "office": "supervision",
        },
        at_enterprise["case_id"]: {
            "organ_code": "62E01",
            "organ_name": "酒钢集团公司纪委",
            "office": "petition",
        },
    }


def test_the_reporter_sees_a_result_only_once_it_is_final(service: Intake) -> None:
    routing = Routing(service)
    case = service.register(reporter=REPORTER)
    accept(service, case)

    def stage() -> tuple[str, str | None]:
        seen = service.client.post("/public/progress", json={"receipt_code": case["receipt_code"]})
        return seen.json()["stage"], seen.json()["result_en"]

    routing.send(HandlingEvents.OPENED, case["case_id"])
    routing.send(
        HandlingEvents.CONCLUDED,
        case["case_id"],
        outcome="party_sanction",
        report_back_required=True,
    )
    assert stage() == ("in_handling", None)
    routing.send(HandlingEvents.SENT_BACK, case["case_id"], reason="事实不清")
    routing.send(
        HandlingEvents.CONCLUDED,
        case["case_id"],
        outcome="not_substantiated",
        report_back_required=True,
    )
    assert stage() == ("in_handling", None)
    routing.send(HandlingEvents.RESULT_ACCEPTED, case["case_id"], reason="同意")
    assert stage() == ("concluded", "Concluded: Not substantiated")
    view = service.intake.side.handling_of([UUID(case["case_id"])])[case["case_id"]]
    assert view["outcome"] is None  # nothing waits for review any more


def test_a_stale_correction_is_refused_with_409(service: Intake) -> None:
    case = service.register()
    url = f"/petitions/{case['case_id']}/corrections"
    version = service.client.get(f"/petitions/{case['case_id']}").json()["version"]
    first = service.client.post(
        url, json={"reason": "补录", "summary": "新摘要", "expected_version": version}
    )
    assert first.status_code == 200, first.text
    stale = service.client.post(
        url, json={"reason": "补录", "summary": "再改", "expected_version": version}
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "concurrent_update"
    assert stale.json()["error"]["details"]["version"] == version + 1
    shown = service.client.get(f"/petitions/{case['case_id']}").json()
    assert shown["summary"] == "新摘要"
