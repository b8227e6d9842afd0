"""What a ring tells (infra/doorbell.py): offsets, and the event types when known."""

from infra.doorbell import parse_payload, payload_of


def test_offsets_and_types_go_and_come_back():
    payload = payload_of({2: 7, 0: 4}, {"Petition.Registered", "Petition.Accepted"})
    assert payload == "0:4,2:7;Petition.Accepted,Petition.Registered"
    assert parse_payload(payload) == (
        {0: 4, 2: 7},
        frozenset({"Petition.Accepted", "Petition.Registered"}),
    )


def test_a_ring_without_types_tells_none():
    assert payload_of({1: 3}) == "1:3"
    assert parse_payload("1:3") == ({1: 3}, None)
    assert parse_payload("") == ({}, None), "a nudge: no records, no types"


def test_too_many_types_for_a_notification_are_not_told():
    types = {f"Some.Event{i:05d}" for i in range(1000)}
    payload = payload_of({0: 1}, types)
    assert payload == "0:1"
    assert parse_payload(payload) == ({0: 1}, None)


def test_malformed_parts_are_skipped():
    assert parse_payload("0:4,x:y,3:-1;") == ({0: 4, 3: -1}, frozenset())
