"""Events stored before every Handling event recorded its moment (version 1) still load:
the moment is taken from the stored timestamp, and the case carries on with new events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from services.routing.application import RoutingApplication
from tests.actors import MONITOR

from .orgs import COUNTY, TOWNSHIP_A, clerk, leader, org_tree

CASE = UUID("00000000-0000-4000-8000-000000000001")
TRANSFER = "00000000-0000-4000-8000-0000000000aa"
STORED_AT = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)

# What version 1 of `domain.handling` stored for one assigned case, sent back once
# (written by that code; only the timestamps are fixed here).
VERSION_1 = [
    ("Opened", {"originator_topic": "domain.handling:Handling", "organ_code": COUNTY,
                "actor": "登记员", "report_type": "accusation", "reported_persons": []}),
    ("TransferProposed", {"transfer_id": TRANSFER, "kind": "assign_down", "from_organ": COUNTY,
                          "from_office": "petition", "to_organ": TOWNSHIP_A,
                          "to_office": "petition", "external_body": None, "reason": "属乡镇管辖",
                          "deadline": None, "suggestion": None, "organ_code": COUNTY,
                          "actor": "王信访"}),
    ("TransferApproved", {"transfer_id": TRANSFER, "organ_code": COUNTY, "actor": "张书记"}),
    ("TransferDispatched", {"transfer_id": TRANSFER, "notified_offices": [],
                            "organ_code": COUNTY, "actor": "王信访"}),
    ("TransferReceived", {"transfer_id": TRANSFER, "received_by": "钱签收",
                          "organ_code": TOWNSHIP_A, "actor": "王信访"}),
    ("DisposalDecided", {"mode": "inquiry", "reason": "函询", "organ_code": TOWNSHIP_A,
                         "actor": "王信访"}),
    ("Concluded", {"outcome": "criticism_education", "substantiation": "true",
                   "findings": "属实", "organ_code": TOWNSHIP_A, "actor": "王信访"}),
    ("ReportedBack", {"to_organ": COUNTY, "to_office": "petition", "summary": "报结",
                      "organ_code": TOWNSHIP_A, "actor": "王信访"}),
    ("SentBack", {"reason": "退回重办", "organ_code": COUNTY, "actor": "王信访"}),
]  # fmt: skip


def _stamp(version: int) -> datetime:
    return STORED_AT + timedelta(hours=version)


def _stored(version: int, name: str, state: dict[str, Any]) -> StoredEvent:
    timestamp = {"_type_": "datetime_iso", "_data_": _stamp(version).isoformat()}
    body = json.dumps({"timestamp": timestamp, **state}, ensure_ascii=False)
    return StoredEvent(CASE, version, f"domain.handling:Handling.{name}", body.encode())


def test_a_case_stored_by_version_1_replays_and_carries_on() -> None:
    now = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    routing = RoutingApplication(org_tree(), clock=lambda: now)
    routing.recorder.insert_events(
        [_stored(v, name, state) for v, (name, state) in enumerate(VERSION_1, start=1)]
    )

    case = routing.case(CASE, MONITOR)
    assert case["version"] == 9 and case["status"] == "open"
    assert case["holder"] == {"organ_code": TOWNSHIP_A, "office": "petition", "external_body": None}
    assert [(link["kind"], link["at"]) for link in case["custody"]] == [
        ("opened", _stamp(1).isoformat()),
        ("assign_down", _stamp(5).isoformat()),
        ("report_back", _stamp(8).isoformat()),
        ("send_back", _stamp(9).isoformat()),
    ]
    transfer = case["transfers"][0]
    assert (transfer["proposed_at"], transfer["closed_at"]) == (
        _stamp(2).isoformat(),
        _stamp(5).isoformat(),
    )
    assert case["reviews"] == [
        {"accepted": False, "reason": "退回重办", "by": "王信访", "at": _stamp(9).isoformat()}
    ]
    assert case["assignments"] == [
        {"organ_code": COUNTY, "office": "petition", "transfer_id": TRANSFER}
    ]

    # The case goes on under version 2: the new event records the clock's moment.
    routing.conclude(CASE, clerk(TOWNSHIP_A), "admonishing_talk", "partly_true", "补充核实")
    newest = routing.events_of(CASE)[-1]
    assert newest.at == now and newest.report_back_required is True
    assert routing.case(CASE, MONITOR)["conclusion"]["at"] == now.isoformat()
    held = routing.inbox(MONITOR, TOWNSHIP_A)["held"]
    assert [(c["case_id"], c["version"]) for c in held] == [(str(CASE), 10)]


def test_a_supervised_transfer_with_a_client_typed_deadline_still_loads_without_it() -> None:
    """Before supervision computed a supervise_down's deadline, the client typed one: the
    stored date is read and ignored, and the case carries on."""
    now = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    routing = RoutingApplication(org_tree(), clock=lambda: now)
    typed = {**VERSION_1[1][1], "kind": "supervise_down", "deadline": "2025-03-01"}
    routing.recorder.insert_events(
        [_stored(1, *VERSION_1[0]), _stored(2, "TransferProposed", typed)]
    )
    case = routing.case(CASE, MONITOR)
    transfer = case["pending_transfer"] or case["transfers"][0]
    assert transfer["kind"] == "supervise_down" and transfer["state"] == "proposed"
    assert "deadline" not in transfer and "2025-03-01" not in json.dumps(case)
    routing.approve_transfer(CASE, TRANSFER, leader(COUNTY))
    assert routing.case(CASE, MONITOR)["transfers"][0]["state"] == "approved"
    # The stored record itself is not rewritten.
    assert routing.events_of(CASE)[1].deadline == "2025-03-01"
