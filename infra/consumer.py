"""Consumer: exactly-once in effect.

A handler writes its effects and a tracking row named `<topic>#<partition>` holding the
upstream notification id in one PostgreSQL transaction, and skips what its tracking rows
already hold; so Kafka redeliveries and relay republishes change nothing. Offsets are
committed to Kafka only after the database commit, and are only a hint of where to resume.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from domain.contracts import Envelope
from domain.errors import DomainError
from infra.audit.envelopes import InboundGuard
from infra.kafka_security import client_security
from infra.partitions import Replica, owned_partitions, replica_from_env
from infra.relay import ensure_topic

log = logging.getLogger(__name__)
tracer = trace.get_tracer("baton.consumer")

Handler = Callable[[Envelope, str], None]
"""handle(envelope, tracking_name): effects + tracking row in one transaction."""


def tracking_name(topic: str, partition: int) -> str:
    return f"{topic}#{partition}"


class Consumer:
    """Feeds one topic's envelopes to a handler, partition by partition."""

    def __init__(
        self,
        name: str,
        topic: str,
        bootstrap: str,
        handle: Handler,
        partitions: int = 4,
        poll_timeout_ms: int = 200,
        service: str | None = None,
        guard: InboundGuard | None = None,
        replica: Replica | None = None,
    ) -> None:
        self.name = name
        self.topic = topic
        self.bootstrap = bootstrap
        self.handle = handle
        self.partitions = partitions
        self.poll_timeout_ms = poll_timeout_ms
        self.service = service or name
        self.rejected: list[tuple[str, int, int, str]] = []
        # With a guard, only signed records that continue their case's chain are applied.
        self.guard = guard
        # Replicas of a service split the partitions by ordinal (infra/partitions.py).
        self.replica = replica or replica_from_env()
        self._kafka: KafkaConsumer | None = None

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; reconnects after broker failures."""
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:
                log.exception("consumer %s failed; reconnecting", self.name)
                self.close()
                stop.wait(1.0)
        self.close()

    def close(self) -> None:
        if self._kafka is not None:
            try:
                self._kafka.close(autocommit=False)
            except Exception:  # a broken connection must not stop the shutdown
                log.debug("closing consumer %s failed", self.name, exc_info=True)
            self._kafka = None

    @property
    def kafka(self) -> KafkaConsumer:
        if self._kafka is None:
            ensure_topic(self.bootstrap, self.topic, self.partitions)
            # Partitions are assigned, not joined through a group: Tansu's group joins are
            # slow. The group id only names where offsets are committed; replicas of one
            # service share it and commit disjoint partitions.
            consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap,
                group_id=self.name,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                client_id=self.name,
                max_poll_records=500,
                **client_security(),
            )
            every = consumer.partitions_for_topic(self.topic) or range(self.partitions)
            parts = owned_partitions(self.topic, every, self.replica)
            assigned = [TopicPartition(self.topic, p) for p in parts]
            consumer.assign(assigned)
            for tp in assigned:
                committed = consumer.committed(tp)
                if committed is None:
                    consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, committed)
            self._kafka = consumer
        return self._kafka

    def poll_once(self) -> int:
        """Process one poll's records; returns how many were handled."""
        batches = self.kafka.poll(timeout_ms=self.poll_timeout_ms)
        handled = 0
        for tp, records in batches.items():
            for record in records:
                self._process(tp, record)
                handled += 1
            # Only now, after every database commit of this batch.
            self.kafka.commit({tp: OffsetAndMetadata(records[-1].offset + 1, None, -1)})
        return handled

    def _process(self, tp: TopicPartition, record: ConsumerRecord) -> None:
        carrier = {k: v.decode() for k, v in (record.headers or []) if v is not None}
        with tracer.start_as_current_span(
            f"{self.topic} process",
            context=propagate.extract(carrier),
            kind=SpanKind.CONSUMER,
            attributes={
                "baton.service": self.service,
                "baton.component": "consumer",
                "messaging.destination.name": self.topic,
                "messaging.kafka.partition": tp.partition,
                "messaging.kafka.offset": record.offset,
            },
        ):
            if self.guard is not None:
                self._process_guarded(tp, record)
                return
            try:
                envelope = Envelope.from_json(record.value)
            except DomainError as exc:
                # Loud, and kept: a newer producer than this consumer knows about.
                log.error(
                    "consumer %s rejects %s@%s:%s: %s",
                    self.name,
                    self.topic,
                    tp.partition,
                    record.offset,
                    exc.code,
                )
                self.rejected.append((self.topic, tp.partition, record.offset, exc.code))
                return
            self.handle(envelope, tracking_name(self.topic, tp.partition))

    def _process_guarded(self, tp: TopicPartition, record: ConsumerRecord) -> None:
        assert self.guard is not None
        headers = {k: v for k, v in (record.headers or []) if v is not None}
        redelivered = self.guard.redelivered
        envelope = self.guard.admit(tp.partition, record.offset, record.value, headers)
        if envelope is None:
            if self.guard.redelivered == redelivered:
                self.rejected.append((self.topic, tp.partition, record.offset, "quarantined"))
            return
        self.handle(envelope, tracking_name(self.topic, tp.partition))
        self.guard.applied(envelope, tp.partition, record.offset)
