"""Static partition assignment: every partition has exactly one owner for any replica
count, and a bad ordinal stops the process at start rather than splitting wrongly."""

from __future__ import annotations

import pytest

from infra.partitions import Replica, owned_partitions, replica_from_env


@pytest.mark.parametrize("count", [1, 2, 3, 5, 12, 16])
def test_every_partition_has_exactly_one_owner(count):
    partitions = range(12)
    owners = {p: [i for i in range(count) if Replica(i, count).owns(p)] for p in partitions}
    assert all(len(found) == 1 for found in owners.values())
    shares = [len(owned_partitions("t", partitions, Replica(i, count))) for i in range(count)]
    assert sum(shares) == 12
    assert max(shares) - min(shares) <= 1  # as even as the counts allow


def test_owned_partitions_are_sorted_and_ignore_repeats():
    assert owned_partitions("t", [5, 1, 3, 1, 0, 2, 4], Replica(1, 2)) == [1, 3, 5]


def test_a_replica_beyond_the_partition_count_owns_nothing_and_says_so(caplog):
    assert owned_partitions("intake.events", range(4), Replica(5, 6)) == []
    assert "owns none of the 4 partitions of intake.events" in caplog.text


def test_unset_environment_means_a_lone_replica_owning_everything():
    replica = replica_from_env({})
    assert replica == Replica(0, 1)
    assert owned_partitions("t", range(4), replica) == [0, 1, 2, 3]


def test_the_environment_names_the_ordinal():
    assert replica_from_env({"BATON_REPLICA_INDEX": "2", "BATON_REPLICA_COUNT": "3"}) == Replica(
        2, 3
    )
    assert replica_from_env({"BATON_REPLICA_COUNT": "3"}) == Replica(0, 3)


@pytest.mark.parametrize(
    "env",
    [
        {"BATON_REPLICA_INDEX": "2", "BATON_REPLICA_COUNT": "2"},
        {"BATON_REPLICA_INDEX": "-1", "BATON_REPLICA_COUNT": "2"},
        {"BATON_REPLICA_INDEX": "0", "BATON_REPLICA_COUNT": "0"},
        {"BATON_REPLICA_INDEX": "one", "BATON_REPLICA_COUNT": "2"},
        {"BATON_REPLICA_INDEX": "1"},
    ],
)
def test_a_bad_ordinal_is_refused(env):
    with pytest.raises(ValueError, match="BATON_REPLICA"):
        replica_from_env(env)
