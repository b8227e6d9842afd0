"""Which partitions of a topic this replica consumes 分区分配: a static assignment from the
replica's ordinal (`BATON_REPLICA_INDEX` of `BATON_REPLICA_COUNT`, e.g. a StatefulSet's
pod index), so replicas of one service share a topic without a consumer group.

Static rather than a Kafka group: the embedded broker's group joins are slow, and a fixed
owner per partition means no rebalance can hand a partition over mid-batch. A replica that
dies keeps its partitions until it is restarted (a StatefulSet restarts it under the same
ordinal) or the survivors are given the new count; tracking rows make either exact.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

INDEX_ENV = "BATON_REPLICA_INDEX"
COUNT_ENV = "BATON_REPLICA_COUNT"


@dataclass(frozen=True)
class Replica:
    """This process's place among the replicas of its service."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"{COUNT_ENV} must be at least 1, not {self.count}")
        if not 0 <= self.index < self.count:
            raise ValueError(f"{INDEX_ENV} must be in 0..{self.count - 1}, not {self.index}")

    def owns(self, partition: int) -> bool:
        # Round robin: replica i of n takes partitions i, i+n, i+2n, ...
        return partition % self.count == self.index


def replica_from_env(environ: Mapping[str, str] | None = None) -> Replica:
    """The replica named by the environment; a lone replica (0 of 1) when unset."""
    env = os.environ if environ is None else environ
    index, count = env.get(INDEX_ENV, "").strip(), env.get(COUNT_ENV, "").strip()
    if not index and not count:
        return Replica()
    try:
        return Replica(int(index or "0"), int(count or "1"))
    except ValueError as exc:
        raise ValueError(
            f"bad replica setting ({INDEX_ENV}={index!r}, {COUNT_ENV}={count!r}): {exc}"
        ) from None


def owned_partitions(topic: str, partitions: Iterable[int], replica: Replica) -> list[int]:
    """The sorted partitions of `topic` that `replica` consumes (maybe none)."""
    every = sorted(set(partitions))
    mine = [p for p in every if replica.owns(p)]
    if not mine:
        log.warning(
            "replica %s of %s owns none of the %s partitions of %s: it stays idle",
            replica.index,
            replica.count,
            len(every),
            topic,
        )
    return mine
