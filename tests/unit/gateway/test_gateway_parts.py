"""Pure parts of the gateway: encoded paths, the real client address, field names, the
merged timeline, available actions, the trusted-documents manifest, registration bodies."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from starlette.requests import Request

from domain.access import Principal
from gateway.clients import path
from gateway.config import ClientAddress, GatewaySettings
from gateway.graphql.actions import available
from gateway.graphql.context import camel
from gateway.graphql.petitions import RegisterPetitionInput, ReporterInput, registration
from gateway.graphql.timeline import merged, timeline
from gateway.trusted import digest, load_manifest


def test_path_parameters_are_one_encoded_segment() -> None:
    assert path("/organs/{}/stats", "../healthz#") == "/organs/..%2Fhealthz%23/stats"
    assert path("/cases/{}/transfers/{}", "a b", "x?y=1") == "/cases/a%20b/transfers/x%3Fy%3D1"
    assert path("/organs/{}/stats", "620102") == "/organs/620102/stats"


def request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    address = ClientAddress(["10.0.0.0/24", "127.0.0.1"])
    assert address(request("10.0.0.9", "198.51.100.1, 203.0.113.7")) == "203.0.113.7"
    assert address(request("127.0.0.1", "203.0.113.8")) == "203.0.113.8"
    assert address(request("198.51.100.2", "203.0.113.9")) == "198.51.100.2"
    assert address(request("10.0.0.9", "not-an-address")) == "10.0.0.9"
    assert address(request("10.0.0.9")) == "10.0.0.9"
    assert ClientAddress([])(request("10.0.0.9", "203.0.113.7")) == "10.0.0.9"


def test_trusted_proxies_setting_is_comma_separated_or_json(monkeypatch) -> None:
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16")
    assert GatewaySettings().trusted_proxies == ["10.0.0.1", "10.1.0.0/16"]
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", '["10.0.0.2"]')
    assert GatewaySettings().trusted_proxies == ["10.0.0.2"]
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "proxy.example")
    with pytest.raises(ValueError):
        GatewaySettings()


def test_service_field_paths_become_graphql_names() -> None:
    assert camel("reporter.id_number") == "reporter.idNumber"
    assert camel("reported_persons.0.cadre_level") == "reportedPersons.0.cadreLevel"
    assert camel("summary") == "summary"


def test_the_timeline_merges_both_services_by_instant() -> None:
    intake = [
        {
            "sequence": 1,
            "what": "Petition.Registered",
            "who": "a",
            "organ": "62",
            "office": "petition",
            "at": "2026-01-02T09:00:00+08:00",
        }
    ]
    routing = [
        {
            "sequence": 1,
            "what": "Handling.Opened",
            "who": "a",
            "organ": "62",
            "office": "petition",
            "at": "2026-01-02T01:00:01+00:00",
        },
        {
            "sequence": 2,
            "what": "Handling.TransferProposed",
            "who": "b",
            "organ": "62",
            "office": "petition",
            "at": "2026-01-02T00:59:00+00:00",
        },
    ]
    whats = [e["what"] for e in merged(intake, routing)]
    assert whats == ["Handling.TransferProposed", "Petition.Registered", "Handling.Opened"]


def test_supervision_events_merge_in_by_instant_with_their_detail() -> None:
    intake = [{"sequence": 1, "what": "Petition.Registered", "who": "a", "organ": "620102",
               "office": "petition", "at": "2026-01-02T09:00:00+08:00"}]
    supervision = [
        {"sequence": 1, "what": "SupervisionOrder.Drafted", "who": "钱市办", "organ": "6201",
         "office": "supervision", "at": "2026-01-02T02:00:00+00:00",
         "detail": {"order_level": "yellow_card"}},
        {"sequence": 1, "what": "CaseDeadline.Opened", "who": "supervision",
         "organ": "620102", "office": None, "at": "2026-01-02T09:30:00+08:00",
         "detail": {"kind": "acceptance_notice", "due": "2026-01-23"}},
    ]
    events = merged(intake, [], supervision)
    assert [(e["what"], e["source"]) for e in events] == [
        ("Petition.Registered", "intake"),
        ("CaseDeadline.Opened", "supervision"),
        ("SupervisionOrder.Drafted", "supervision"),
    ]
    assert events[1]["detail"] == {"kind": "acceptance_notice", "due": "2026-01-23"}
    assert (events[2]["organ_code"], events[2]["office"]) == ("6201", "supervision")
    assert events[0]["detail"] is None


def test_a_derived_timeline_when_a_service_gives_none() -> None:
    petition = {
        "organ_code": "62",
        "registered_at": "2026-01-02T09:00:00+08:00",
        "registered_by": "clerk",
        "stage": "accepted",
        "screened_at": "2026-01-02T10:00:00+08:00",
        "screened_by": "clerk",
    }
    handling = {
        "transfers": [
            {
                "id": "t",
                "kind": "report_up",
                "state": "received",
                "from_organ": "620102",
                "from_office": "petition",
                "to_organ": "6201",
                "to_office": "petition",
                "proposed_at": "2026-01-02T03:00:00+00:00",
                "proposed_by": "c",
                "received_by": "d",
                "closed_at": "2026-01-02T04:00:00+00:00",
            }
        ]
    }
    events = timeline(petition, handling)
    assert [e["what"] for e in events] == [
        "registered",
        "screened_accepted",
        "transfer_proposed",
        "transfer_received",
    ]
    assert events[-1]["organ_code"] == "6201" and events[-1]["who"] == "d"


CLERK = Principal("u1", "620102", "petition", frozenset({"petition_clerk"}))
LEADER = Principal("u2", "620102", "petition", frozenset({"leader"}))
RECEIVED = {"organ_code": "620102", "stage": "received", "real_name": True}


def test_available_actions_follow_stage_policy_and_routing() -> None:
    assert available(CLERK, "clerk", RECEIVED, None) == [
        "acceptPetition",
        "divertPetition",
        "proposeNotAccept",
        "linkRepeat",
        "checkRealName",
    ]
    assert available(LEADER, "leader", RECEIVED, None) == []
    proposed = {**RECEIVED, "not_accept_proposal": {"proposed_by": "clerk"}}
    assert available(LEADER, "leader", proposed, None) == ["approveNotAccept", "rejectNotAccept"]
    # Nobody decides on their own proposal.
    assert "approveNotAccept" not in available(LEADER, "clerk", proposed, None)
    sibling = Principal("u3", "620103", "petition", frozenset({"petition_clerk"}))
    assert available(sibling, "x", RECEIVED, None) == []
    handling = {"available_actions": ["conclude", "review", "approve_transfer"]}
    accepted = {**RECEIVED, "stage": "accepted"}
    assert available(CLERK, "clerk", accepted, handling) == [
        "notifyAcceptance",
        "concludeCase",
        "reviewResult",
        "approveTransfer",
    ]


def test_the_manifest_holds_hashes_and_a_missing_one_trusts_nothing(tmp_path) -> None:
    document = "query Me { me { user { username } } }"
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"documents": {digest(document): document}}))
    assert load_manifest(manifest) == {digest(document)}
    manifest.write_text(json.dumps([digest(document).upper()]))
    assert load_manifest(manifest) == {digest(document)}
    assert load_manifest(tmp_path / "absent.json") == frozenset()


def test_a_registration_body_carries_only_what_was_given() -> None:
    given = RegisterPetitionInput(
        organ_code="620102",
        channel="visit",
        summary="摘要",
        received_at=dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC),
        visitors=3,
        reporter=ReporterInput(name="赵六", id_number="x", phone="1"),
        conduct_date=dt.date(2025, 3, 1),
    )
    body = registration(given)
    assert body["visitors"] == 3 and body["conduct_date"] == "2025-03-01"
    assert body["reporter"] == {"name": "赵六", "id_number": "x", "phone": "1"}
    assert "handed_over_from" not in body and "conduct_period" not in body
    assert body["received_at"] == "2026-01-02T09:00:00+00:00"
