"""Which key a relay publishes each aggregate's records under (pure; no broker)."""

from __future__ import annotations

import uuid

from infra.relay_tail import PartitionKeys, PublishedTail


def test_an_aggregate_of_a_case_is_keyed_by_the_case_its_first_event_names():
    case, deadline = str(uuid.uuid4()), uuid.uuid4()
    looked_up: list[str] = []

    def first_state(originator):
        looked_up.append(str(originator))
        return {"case_id": case}

    keys = PartitionKeys(first_state)
    assert keys.key(deadline, 1, {"case_id": case, "kind": "acceptance"}) == case
    assert keys.key(deadline, 2, {"met_on": "2026-12-04"}) == case
    assert looked_up == []  # the first event was seen: no store read


def test_after_a_restart_the_first_event_is_read_once_from_the_store():
    case, deadline = str(uuid.uuid4()), uuid.uuid4()
    reads: list[str] = []
    keys = PartitionKeys(lambda originator: reads.append(str(originator)) or {"case_id": case})
    assert keys.key(deadline, 3, {"level": "yellow"}) == case
    assert keys.key(deadline, 4, {"level": "red"}) == case
    assert reads == [str(deadline)]


def test_an_aggregate_whose_first_event_names_no_case_is_keyed_by_itself():
    petition, evaluation = uuid.uuid4(), uuid.uuid4()
    keys = PartitionKeys(lambda originator: {"month": "2026-11"})
    assert keys.key(petition, 1, {"organ_code": "620102"}) == str(petition)
    # A later event naming a case does not move the aggregate to another partition.
    assert keys.key(evaluation, 2, {"case_id": str(uuid.uuid4())}) == str(evaluation)


def test_the_cache_is_bounded():
    keys = PartitionKeys(lambda originator: None, size=2)
    for _ in range(5):
        keys.key(uuid.uuid4(), 1, {})
    assert len(keys._keys) == 2


def test_a_published_tail_is_taken_once_and_only_with_the_same_hash():
    tail = PublishedTail(events={("c", 1): "h1", ("c", 2): "h2"})
    assert tail.take("c", 1, "h1") is True
    assert tail.take("c", 1, "h1") is False
    assert tail.take("c", 2, "other") is False
    assert not tail
