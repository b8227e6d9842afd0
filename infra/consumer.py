"""Consumer: exactly-once in effect.

A handler writes its effects and a tracking row named `<topic>#<partition>` holding the
upstream notification id in one PostgreSQL transaction, and skips what its tracking rows
already hold; so Kafka redeliveries and relay republishes change nothing. Offsets are
committed to Kafka only after the database commit, and are only a hint of where to resume.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from domain.contracts import Envelope
from domain.errors import DomainError
from infra.audit.envelopes import InboundGuard
from infra.deadletter import DeadLetter, DeadLetters, RawRecord, is_transient, reason_of
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
        dead_letters: DeadLetters | None = None,
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
        # With dead letters, a record the handler cannot apply is kept there and skipped.
        self.dead_letters = dead_letters
        self._kafka: KafkaConsumer | None = None
        self._retries_checked = 0.0

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; reconnects after faults, waiting 0.5 s doubling to 10 s."""
        delay = 0.5
        while not stop.is_set():
            try:
                self.poll_once()
                self.retry_dead_letters()
                delay = 0.5
            except Exception:
                log.exception("consumer %s failed; reconnecting in %.1f s", self.name, delay)
                self.close()
                stop.wait(delay)
                delay = min(delay * 2, 10.0)
        self.close()

    def retry_dead_letters(self, every: float = 1.0) -> int:
        """Re-apply the dead letters an administrator marked for retry (at most every s)."""
        if self.dead_letters is None or time.monotonic() - self._retries_checked < every:
            return 0
        self._retries_checked = time.monotonic()
        return self.dead_letters.retry_pending(self.name, self.topic, self._reapply)

    def _reapply(self, letter: DeadLetter) -> None:
        record = letter.record
        if self.guard is not None and not self.guard.authentic(
            record.value, dict(record.headers)
        ):
            raise ValueError("the dead letter's signature no longer holds")
        # Its own tracking row: applied once however often it is retried.
        self.handle(Envelope.from_json(record.value), letter.tracking_name)

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
                if self.dead_letters is not None:
                    self._dead_letter(tp, record, exc)
                    return
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
            self._apply(tp, record, envelope)

    def _apply(self, tp: TopicPartition, record: ConsumerRecord, envelope: Envelope) -> None:
        if self.dead_letters is None:
            self.handle(envelope, tracking_name(self.topic, tp.partition))
            return
        try:
            self.handle(envelope, tracking_name(self.topic, tp.partition))
        except Exception as exc:
            if is_transient(exc):
                raise  # run() retries with backoff; redelivery changes nothing applied
            self._dead_letter(tp, record, exc)

    def _dead_letter(self, tp: TopicPartition, record: ConsumerRecord, exc: Exception) -> None:
        assert self.dead_letters is not None
        raw = RawRecord(
            self.topic,
            tp.partition,
            record.offset,
            record.key,
            [(k, v) for k, v in (record.headers or []) if v is not None],
            record.value,
        )
        self.dead_letters.record(self.name, self.service, raw, *reason_of(exc))

    def _process_guarded(self, tp: TopicPartition, record: ConsumerRecord) -> None:
        assert self.guard is not None
        headers = {k: v for k, v in (record.headers or []) if v is not None}
        redelivered = self.guard.redelivered
        if self.dead_letters is not None:
            # Signed by the source and next in its chain, but of a version unknown here.
            unknown = self.guard.admit_unknown_version(record.value, headers)
            if unknown is not None:
                self._dead_letter(tp, record, unknown)
                return
        envelope = self.guard.admit(tp.partition, record.offset, record.value, headers)
        if envelope is None:
            if self.guard.redelivered == redelivered:
                self.rejected.append((self.topic, tp.partition, record.offset, "quarantined"))
            return
        # Authentic and in order: the chain moves even when the record is dead-lettered,
        # so the case's next events are not taken for a gap.
        self._apply(tp, record, envelope)
        self.guard.applied(envelope, tp.partition, record.offset)
