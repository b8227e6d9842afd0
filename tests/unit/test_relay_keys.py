"""Which key a relay publishes each aggregate's records under, and the chain heads it keeps
at hand (pure; no broker)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from domain.contracts import GENESIS_HASH
from infra.audit.heads import ChainHeads
from infra.relay_tail import PartitionKeys, PublishedTail, continued_cases


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


def test_chain_heads_keep_the_recent_and_read_older_ones_back_only_when_needed():
    stored = {"a": (3, "ha"), "b": (1, "hb")}
    asked: list[list[str]] = []

    def load(case_ids: list[str]) -> dict[str, tuple[int, str]]:
        asked.append(sorted(case_ids))
        return {c: stored[c] for c in case_ids if c in stored}

    def stored_event(case: str, version: int) -> SimpleNamespace:
        return SimpleNamespace(originator_id=case, originator_version=version)

    batch = [stored_event("new", 1), stored_event("a", 4), stored_event("new", 2),
             stored_event("b", 2)]
    assert continued_cases(batch) == ["a", "b"]  # a first event needs no head
    heads = ChainHeads(load, size=2)
    heads.prefetch(continued_cases(batch))
    assert asked == [["a", "b"]]
    assert heads.get("a") == (3, "ha") and heads.get("new") is None
    heads.prefetch(["a"])  # at hand: nothing read
    assert len(asked) == 1
    heads.update({"c": (1, "hc")})  # past the size: the oldest goes
    assert len(heads) == 2 and "a" not in heads and "c" in heads
    heads.prefetch(["a"])
    assert asked[-1] == ["a"] and heads.get("a") == (3, "ha")
    assert heads.head("gone") == (0, GENESIS_HASH)  # never stored: the genesis link
    assert asked[-1] == ["gone"]
    heads.clear()
    assert len(heads) == 0
