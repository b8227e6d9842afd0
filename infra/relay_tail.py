"""What a relay published but did not get to record before it died, and the key it
publishes each aggregate's records under.

The relay records its position, offsets and chain heads after the broker acknowledged a
batch. A relay killed in between (or whose record was lost with an unflushed commit)
would publish that batch again, and consumers would see each record twice at new
offsets, which they must take for replays. So on start the relay reads each partition
past its recorded offset and notes which of its events are already there; publishing
skips those and records them as published.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from kafka import KafkaConsumer, TopicPartition

from domain.contracts import Envelope
from domain.errors import DomainError

log = logging.getLogger(__name__)


@dataclass
class PublishedTail:
    """Events found on the topic past the recorded offsets: (case, sequence) → hash."""

    events: dict[tuple[str, int], str] = field(default_factory=dict)
    offsets: dict[int, int] = field(default_factory=dict)

    def take(self, case_id: str, sequence: int, digest: str) -> bool:
        """Whether this event is already on the topic as sealed (then forget it)."""
        found = self.events.pop((case_id, sequence), None)
        return found == digest

    def __bool__(self) -> bool:
        return bool(self.events)


def read_tail(
    probe: KafkaConsumer,
    topic: str,
    source: str,
    recorded: dict[int, int],
    partitions: list[int],
    quiet_seconds: float = 0.5,
    limit_seconds: float = 20.0,
) -> PublishedTail:
    """Every record of `source` past `recorded[p]` in each partition, read to the end."""
    tail = PublishedTail()
    assigned = [TopicPartition(topic, p) for p in partitions]
    if not assigned:
        return tail
    probe.assign(assigned)
    for tp in assigned:
        probe.seek(tp, recorded.get(tp.partition, -1) + 1)
    deadline = time.monotonic() + limit_seconds
    quiet_since = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < quiet_seconds:
        batches = probe.poll(timeout_ms=200)
        if any(batches.values()):
            quiet_since = time.monotonic()
        for tp, records in batches.items():
            for record in records:
                tail.offsets[tp.partition] = max(record.offset, tail.offsets.get(tp.partition, -1))
                try:
                    envelope = Envelope.from_json(record.value)
                except DomainError:
                    continue
                if envelope.source == source:
                    tail.events[(envelope.case_id, envelope.sequence)] = envelope.hash
    if tail.events:
        log.warning(
            "topic %s already holds %s events the relay had not recorded; not sending them again",
            topic,
            len(tail.events),
        )
    return tail


class PartitionKeys:
    """The key each aggregate's records are published under: the case its first event
    names (`case_id`), else the aggregate's own id.

    A case's deadlines, orders and the like are aggregates of their own; keyed by their
    case, a consumer gets all of one case's events in the order they were stored, as a
    rebuild reads them. The key is fixed by the first event, so one aggregate's records
    never spread over partitions (its chain is checked in order).
    """

    def __init__(
        self, first_state: Callable[[UUID | str], dict[str, Any] | None], size: int = 100_000
    ) -> None:
        self.first_state = first_state
        self.size = size
        self._keys: OrderedDict[str, str] = OrderedDict()

    def key(self, originator_id: UUID | str, version: int, state: dict[str, Any]) -> str:
        aggregate = str(originator_id)
        found = self._keys.get(aggregate)
        if found is None:
            first = state if version == 1 else (self.first_state(originator_id) or {})
            found = str(first.get("case_id") or aggregate)
            self._keys[aggregate] = found
            if len(self._keys) > self.size:
                self._keys.popitem(last=False)
        else:
            self._keys.move_to_end(aggregate)
        return found


def continued_cases(notifications: Iterable[Any]) -> list[str]:
    """The aggregates of a batch whose first event in it is not their first at all: only
    they need the head their chain ends at (a first event links to the genesis hash), so
    a batch of registrations reads none."""
    firsts: dict[str, int] = {}
    for notification in notifications:
        firsts.setdefault(str(notification.originator_id), notification.originator_version)
    return [case for case, first in firsts.items() if first > 1]
