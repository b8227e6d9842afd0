"""One case across the levels, end to end: intake → intake.events → routing → routing.events.

A township registers and accepts a report (the real intake application); routing opens
the case from `intake.events`; the township reports it up to its county, which tries its
stationed unit (refused), sees repeat reports registered at the city and the province,
assigns it down to another township, which concludes and reports back; the county sends
it back to be redone, then accepts the new result and archives it. Every step is on
`routing.events`, in order, with the hash chain intact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.actors import Actor
from domain.contracts import HandlingEvents, first_broken_link
from infra.consumer import Consumer
from infra.relay import Relay
from services.intake.application import IntakeApplication
from services.routing.application import RoutingApplication
from tests.service_tokens import bearer

from ..spine.helpers import drain, read_topic, redeliver_all, wait_until
from .conftest import actor, consume_all, new_name

pytestmark = pytest.mark.integration

PROVINCE, CITY, COUNTY = "62", "6201", "620102"
TOWNSHIP_A, TOWNSHIP_B, STATIONED = "620102001", "620102002", "620102Z01"

EXPECTED = [
    "Opened",
    *("TransferProposed", "TransferApproved", "TransferDispatched", "TransferReceived"),
    *("TransferProposed", "TransferApproved", "TransferDispatched", "TransferRefused"),
    "RepeatLinked",
    "RepeatLinked",
    *("TransferProposed", "TransferApproved", "TransferDispatched", "TransferReceived"),
    *("TransferProposed", "TransferApproved", "TransferDispatched", "TransferReceived"),
    "DisposalDecided",
    "Concluded",
    "ReportedBack",
    "SentBack",
    "Concluded",
    "ReportedBack",
    "ResultAccepted",
    "FeedbackGiven",
    "FiveInPlaceConfirmed",
    "Archived",
]


def register(intake: IntakeApplication, organ: str, summary: str) -> UUID:
    registration = intake.register(
        organ_code=organ,
        actor=actor(f"{organ}-登记员", organ, role="petition_clerk"),
        channel="letter",
        summary=summary,
        received_at=datetime.now(UTC) - timedelta(days=1),
        reported_persons=[
            {"name": "张某某", "unit": "城关区交通运输局", "cadre_level": "county_managed"}
        ],
    )
    return registration.case_id


class Desk:
    """Calls on the routing REST API, checking each answer."""

    def __init__(self, client: TestClient, case_id: UUID) -> None:
        self.client = client
        self.base = f"/cases/{case_id}"

    def post(self, path: str, actor: Actor, **body: Any) -> dict[str, Any]:
        response = self.client.post(f"{self.base}{path}", json=body, headers=bearer(actor))
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    def move(
        self,
        kind: str,
        sender: Actor,
        signer: Actor,
        receiver: Actor,
        *,
        refuse: str | None = None,
        **target: Any,
    ) -> dict[str, Any]:
        case = self.post("/transfers", actor=sender, kind=kind, reason=f"{kind} 理由", **target)
        tid = case["pending_transfer"]["id"]
        self.post(f"/transfers/{tid}/approve", actor=signer)
        self.post(f"/transfers/{tid}/dispatch", actor=sender)
        if refuse:
            return self.post(f"/transfers/{tid}/refuse", actor=receiver, reason=refuse)
        return self.post(f"/transfers/{tid}/receive", actor=receiver, received_by=receiver.name)


def test_one_case_across_four_levels_and_a_stationed_unit(
    intake: IntakeApplication,
    routing: RoutingApplication,
    client: TestClient,
    kafka_bootstrap: str,
) -> None:
    intake_topic, routing_topic = new_name("t_in") + ".events", new_name("t_rt") + ".events"
    intake_relay = Relay(intake, kafka_bootstrap, topic=intake_topic, check_interval=0)
    intake_relay.start()
    consumer = Consumer(new_name("routing"), intake_topic, kafka_bootstrap, routing.handle)

    def sync(until: Callable[[], bool]) -> None:
        drain(intake_relay)
        wait_until(lambda: consumer.poll_once() >= 0 and until(), timeout=20)
        consume_all(consumer)

    # A township registers and accepts the report; routing opens the case there.
    case_id = register(intake, TOWNSHIP_A, "反映区交通局某科长违规收受礼金")
    intake.accept(
        case_id, "accusation", actor=actor("酒泉路-王信访", TOWNSHIP_A, role="petition_clerk")
    )
    sync(lambda: client.get(f"/cases/{case_id}").status_code == 200)
    desk = Desk(client, case_id)
    case = client.get(f"/cases/{case_id}").json()
    assert case["holder"]["organ_code"] == TOWNSHIP_A and case["holder"]["office"] == "petition"

    a_clerk, a_leader = actor("王信访", TOWNSHIP_A), actor("刘书记", TOWNSHIP_A, role="leader")
    c_clerk, c_leader = actor("赵信访", COUNTY), actor("孙副书记", COUNTY, role="leader")
    b_clerk, b_leader = actor("钱信访", TOWNSHIP_B), actor("周书记", TOWNSHIP_B, role="leader")
    b_handler = actor("吴承办", TOWNSHIP_B, "supervision")
    court_unit = actor("郑组长", STATIONED)

    # Township → county (报送), county → its stationed unit, which refuses it.
    case = desk.move("report_up", a_clerk, a_leader, c_clerk, to_organ=COUNTY)
    assert case["holder"]["organ_code"] == COUNTY
    case = desk.move(
        "to_stationed_unit", c_clerk, c_leader, court_unit, to_organ=STATIONED,
        refuse="被反映人不在驻法院组监督范围",
    )  # fmt: skip
    assert case["holder"]["organ_code"] == COUNTY

    # Repeat reports registered at the city and at the province show on the county's case.
    for organ in (CITY, PROVINCE):
        repeat = register(intake, organ, "再次反映区交通局某科长收受礼金")
        intake.link_as_repeat(
            repeat,
            case_id,
            "同一被反映人同一问题",
            actor=actor(f"{organ}-登记员", organ, role="petition_clerk"),
        )
    sync(lambda: len(client.get(f"/cases/{case_id}").json()["repeats"]) == 2)
    case = client.get(f"/cases/{case_id}").json()
    # Repeats are other cases, so on other partitions: their order is not defined.
    assert sorted((r["linked_at_organ"], r["shown_to_organ"]) for r in case["repeats"]) == [
        (PROVINCE, COUNTY),
        (CITY, COUNTY),
    ]
    inbox = client.get("/inbox", params={"organ_code": COUNTY, "office": "petition"}).json()
    assert [(c["case_id"], c["repeats"]) for c in inbox["held"]] == [(str(case_id), 2)]

    # County → another township (交办), inside it to the supervision office (移送).
    desk.move("assign_down", c_clerk, c_leader, b_clerk, to_organ=TOWNSHIP_B)
    case = desk.move("internal_transfer", b_clerk, b_leader, b_handler, to_office="supervision")
    assert case["holder"] == {
        "organ_code": TOWNSHIP_B,
        "office": "supervision",
        "external_body": None,
    }

    desk.post("/disposal", actor=b_handler, mode="preliminary_verification", reason="问题具体可查")
    desk.post("/conclusion", actor=b_handler, outcome="criticism_education",
              substantiation="partly_true", findings="收受土特产属实，金额较小")  # fmt: skip
    case = desk.post("/report-back", actor=b_handler, summary="初核完毕，予以批评教育")
    assert case["status"] == "under_review" and case["holder"]["organ_code"] == COUNTY
    case = desk.post("/review", actor=c_clerk, accept=False, reason="未核实礼金去向，退回重办")
    assert case["status"] == "open" and case["holder"]["organ_code"] == TOWNSHIP_B
    desk.post("/conclusion", actor=b_handler, outcome="admonishing_talk",
              substantiation="partly_true", findings="补充核实礼金去向，予以诫勉谈话")  # fmt: skip
    desk.post("/report-back", actor=b_handler, summary="重新办理完毕")
    desk.post("/review", actor=c_clerk, accept=True, reason="同意")
    desk.post("/feedback", actor=c_clerk, method="phone", content="已告知处理结果",
              satisfaction="basically_satisfied")  # fmt: skip
    five = ["investigation", "handling", "feedback", "archiving", "education"]
    desk.post("/five-in-place", actor=c_clerk, items=five)
    case = desk.post("/archive", actor=c_clerk)
    assert case["status"] == "archived"

    # Every step, in order, on routing.events, with the hash chain intact.
    routing_relay = Relay(routing, kafka_bootstrap, topic=routing_topic, check_interval=0)
    routing_relay.start()
    drain(routing_relay)
    envelopes = [e for _, _, e, _ in read_topic(kafka_bootstrap, routing_topic)]
    mine = sorted((e for e in envelopes if e.case_id == str(case_id)), key=lambda e: e.sequence)
    assert [e.type for e in mine] == [f"Handling.{name}" for name in EXPECTED]
    assert [e.sequence for e in mine] == list(range(1, len(EXPECTED) + 1))
    assert first_broken_link(mine) is None
    assert all(e.organ_code and e.actor for e in mine)
    places = [(e.type.split(".")[1], e.organ_code) for e in mine]
    # Every payload records its moment; the custody chain shows the same moments.
    moments = {e.sequence: e.payload["at"] for e in mine}
    assert all(moments.values())
    assert [link["at"] for link in case["custody"]] == [
        datetime.fromisoformat(moments[link["version"]]).isoformat() for link in case["custody"]
    ]
    holders = [
        (e.payload["holder_organ"], e.payload["holder_office"])
        for e in mine
        if e.type in (HandlingEvents.TRANSFER_RECEIVED, HandlingEvents.SENT_BACK)
    ]
    assert holders == [
        (COUNTY, "petition"),
        (TOWNSHIP_B, "petition"),
        (TOWNSHIP_B, "supervision"),
        (TOWNSHIP_B, "supervision"),
    ]
    owed = [e.payload["report_back_required"] for e in mine if e.type == HandlingEvents.CONCLUDED]
    assert owed == [True, True]
    assert ("TransferRefused", STATIONED) in places
    assert ("SentBack", COUNTY) in places and ("Archived", COUNTY) in places

    # Intake's events delivered a second time change nothing in routing.
    before = routing.recorder.max_notification_id()
    redeliver_all(kafka_bootstrap, intake_topic)
    consume_all(consumer)
    assert routing.recorder.max_notification_id() == before
    assert client.get(f"/cases/{case_id}").json() == case
    consumer.close()
    intake_relay.close()
    routing_relay.close()
