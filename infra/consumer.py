"""Consumer: exactly-once in effect, a batch at a time.

A handler writes its effects and a tracking row named `<topic>#<partition>` holding the
upstream notification id in one PostgreSQL transaction, and skips what its tracking rows
already hold; so Kafka redeliveries and relay republishes change nothing. Offsets are
committed to Kafka only after the database commit, and are only a hint of where to resume:
at most once a second, after the guard has written the chain heads of what was applied
(so a restart reads a few records again, and they are skipped).

A handler that can take a batch (`handle_batch`) gets one poll's records of a partition
at once and applies them in one transaction with one tracking update, skipping without a
transaction a batch it has nothing to do for (its tracking catches up with the next batch
it does apply). If a batch fails on anything but a lost connection, it is rolled back
and applied again record by record (`apply_one`), so the records before a poison message
are applied and the failure names the one record that fails.

A record the handler cannot apply (an unknown schema version, a handler error that is
not a transient database or broker fault) goes to the dead letters, and the consumer goes
on; an administrator's retry re-applies it under a tracking row of its own.

A consumer with a doorbell (infra/doorbell.py, as `consumer_worker` makes them) sleeps
as soon as it has read everything the relay rang about, instead of polling the broker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import psycopg
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from psycopg.errors import TransactionRollback

from domain.contracts import Envelope
from domain.errors import DomainError
from infra import memory
from infra.audit.envelopes import InboundGuard
from infra.deadletter import DeadLetter, DeadLetters, RawRecord, is_transient, reason_of
from infra.doorbell import Doorbell
from infra.kafka_security import client_security
from infra.partitions import Replica, owned_partitions, replica_from_env
from infra.relay import current_topic_id, ensure_topic, open_connections

log = logging.getLogger(__name__)
tracer = trace.get_tracer("baton.consumer")

Handler = Callable[[Envelope, str], None]
"""handle(envelope, tracking_name): effects + tracking row in one transaction."""

BatchHandler = Callable[[Sequence[Envelope], str], None]
"""handle_batch(envelopes, tracking_name): every effect + one tracking row, one transaction."""

# How long the broker may hold a fetch that finds nothing. Tansu usually answers a waiting
# fetch as soon as a record arrives, but not always at once, so while records flow the
# wait stays short; once the topic has been quiet a while it grows, since each empty fetch
# costs both sides CPU (an idle consumer at 500 ms costs 0.5 % of a core, at 2 s 0.2 %).
FETCH_WAIT_BUSY_MS = 20
FETCH_WAIT_IDLE_MS = 2000
QUIET_AFTER_SECONDS = 5.0
QUIET_POLL_MS = 2000
# With a doorbell (infra/doorbell.py) the broker's wait hardly matters: a consumer that has
# read everything it was rung about sleeps on the bell, looking anyway every few seconds
# for records nobody rang about (a lost ring, a producer that does not ring). A look is one
# or two short fetches; a ring is answered by a poll long enough to see the records even
# behind a fetch sent before they were written. Every 15 s rather than 5: eight consumers'
# looks were a fifth of an idle platform's CPU (idle 2.10 -> 1.77 % of a core), and only
# a record nobody rang about waits for one.
BELL_FALLBACK_SECONDS = 15.0
BELL_POLL_MS = 100
BELL_LOOK_MS = 30
# Polls in a row that find nothing although the bell told of records (a topic the broker
# lost and the relay rewrites from offset 0): after these many, the rings are forgotten.
# Not one: under load a poll may end before the fetch sent after the ring is answered.
BELL_EMPTY_POLLS = 10
# Offsets are committed at most this often (they are a hint: what was applied after the
# last commit comes again after a restart and is skipped), and also this long after the
# last records when the consumer falls asleep, so `baton status` shows no lag when idle.
COMMIT_EVERY_SECONDS = 1.0
# Errors of the connection, not of the record: retried whole, never split up. A deadlock
# or serialization failure (TransactionRollback) is split up: small transactions pass.
TRANSIENT = (psycopg.OperationalError, psycopg.InterfaceError)


def tracking_name(topic: str, partition: int) -> str:
    return f"{topic}#{partition}"


@dataclass(frozen=True)
class Admitted:
    """A record that may be applied, with its envelope."""

    record: ConsumerRecord
    envelope: Envelope


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
        handle_batch: BatchHandler | None = None,
        replica: Replica | None = None,
        dead_letters: DeadLetters | None = None,
        doorbell: Doorbell | None = None,
    ) -> None:
        self.name = name
        self.topic = topic
        self.bootstrap = bootstrap
        self.handle = handle
        self.handle_batch = handle_batch
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
        # With a doorbell rung by the relay, an idle consumer sleeps instead of polling.
        self.doorbell = doorbell
        self._kafka: KafkaConsumer | None = None
        self._last_record = time.monotonic()
        self._retries_checked = 0.0
        self._owned: set[int] = set()
        self._next: dict[int, int] = {}  # partition -> the offset after the last one read
        self._flowing = True
        # Applied records since the memory was last given back (infra.memory).
        self._worked = False
        self._empty_polls = 0
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        self._committed_at = 0.0
        # The topic's id when the positions were taken, and the client's broker
        # connections when it was last confirmed (`_same_topic`).
        self._topic_id: Any = None
        self._confirmed: tuple[Any, ...] = ()

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; reconnects after faults, waiting 0.5 s doubling to 10 s."""
        delay = 0.5
        while not stop.is_set():
            try:
                if self.doorbell is None:
                    self.poll_once()
                else:
                    expected = self._await_records(stop)
                    if stop.is_set():
                        break
                    self.poll_once(BELL_POLL_MS if expected else BELL_LOOK_MS)
                nudged = self.doorbell is not None and self.doorbell.take_nudge()
                # A retry asked for is done now, not at the next unasked look (15 s).
                self.retry_dead_letters(every=0.0 if nudged else 1.0)
                delay = 0.5
            except Exception:
                log.exception("consumer %s failed; reconnecting in %.1f s", self.name, delay)
                self._flowing = True  # look again after the pause, not after the next ring
                self.close()
                stop.wait(delay)
                delay = min(delay * 2, 10.0)
        self._commit_on_stop()
        self.close()
        if self.doorbell is not None:
            self.doorbell.close()

    def _await_records(self, stop: threading.Event) -> bool:
        """Sleep on the doorbell unless records are due; True if records are expected."""
        assert self.doorbell is not None
        if self._behind():
            return True
        if self._flowing and not self._told():
            # Records came that no ring told of (a look found them): read on until a poll
            # finds nothing, as without a bell.
            return True
        # Everything rung has been read: sleep now rather than poll once more for nothing
        # (an empty poll is several empty fetches, each costing this process and the broker).
        self._flowing = False
        rang = False
        if self._uncommitted:
            # Asleep, but with offsets to commit once their second is up (unless rung first).
            due = COMMIT_EVERY_SECONDS - (time.monotonic() - self._committed_at)
            rang = due > 0 and self.doorbell.wait(due, stop)
            if not rang:
                if stop.is_set():
                    return False
                self._commit(force=True)
        if not rang and not self.doorbell.wait(BELL_FALLBACK_SECONDS, stop):
            if self._worked:  # idle for a while after work: what it took goes back
                self._worked = not memory.after_work()
            return False
        self._empty_polls = 0  # news: the polls that found nothing before do not count
        return self._behind() or not self.doorbell.rung

    def _told(self) -> bool:
        """Did a ring tell of any owned partition (so `_behind` can be trusted)?"""
        assert self.doorbell is not None
        return any(partition in self._owned for partition in self.doorbell.rung)

    def _behind(self) -> bool:
        """Was the bell rung for a record of an owned partition not read yet?"""
        assert self.doorbell is not None
        return any(
            offset >= self._next.get(partition, 0)
            for partition, offset in self.doorbell.rung.items()
            if partition in self._owned
        )

    def retry_dead_letters(self, every: float = 1.0) -> int:
        """Re-apply the dead letters an administrator marked for retry (at most every s)."""
        if self.dead_letters is None or time.monotonic() - self._retries_checked < every:
            return 0
        self._retries_checked = time.monotonic()
        return self.dead_letters.retry_pending(self.name, self.topic, self._reapply)

    def _reapply(self, letter: DeadLetter) -> None:
        record = letter.record
        if self.guard is not None and not self.guard.authentic(record.value, dict(record.headers)):
            raise ValueError("the dead letter's signature no longer holds")
        # Its own tracking row: applied once however often it is retried.
        self.handle(Envelope.from_json(record.value), letter.tracking_name)

    def _commit(self, force: bool = False) -> None:
        """Commit the offsets read since the last commit, if a second has passed (or now)."""
        if not self._uncommitted:
            return
        if not force and time.monotonic() - self._committed_at < COMMIT_EVERY_SECONDS:
            return
        if self.guard is not None:
            self.guard.flush()  # the chain heads first: offsets never pass them
        if not self._on_confirmed_topic():
            # Offsets of a topic the broker may have lost since, committed to its new one,
            # would send a restarted consumer past records it never read: they are only
            # a hint, and the next poll checks the topic.
            self._uncommitted.clear()
            return
        # One asynchronous commit for all partitions (a lost one only means redeliveries,
        # skipped).
        self.kafka.commit_async(dict(self._uncommitted))
        self._uncommitted.clear()
        self._committed_at = time.monotonic()

    def _commit_on_stop(self) -> None:
        if self._kafka is None or not self._uncommitted or not self._on_confirmed_topic():
            return
        try:
            if self.guard is not None:
                self.guard.flush()
            self._kafka.commit(dict(self._uncommitted))
        except Exception:  # only a hint: the next start skips what it reads again
            log.debug("consumer %s: last offsets not committed", self.name, exc_info=True)

    def close(self) -> None:
        self._uncommitted.clear()  # a new connection resumes from the committed offsets
        if self._kafka is not None:
            try:
                self._kafka.close(autocommit=False)
            except Exception:  # a broken connection must not stop the shutdown
                log.debug("closing consumer %s failed", self.name, exc_info=True)
            self._kafka = None

    @property
    def kafka(self) -> KafkaConsumer:
        if self._kafka is None:
            self._topic_id = ensure_topic(self.bootstrap, self.topic, self.partitions)
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
                fetch_max_wait_ms=FETCH_WAIT_BUSY_MS,
                # Kept open while idle (not closed after the client's default 9 minutes):
                # new connections make the topic be checked again (`_same_topic`).
                connections_max_idle_ms=7 * 24 * 3600 * 1000,
                **client_security(),
            )
            every = consumer.partitions_for_topic(self.topic) or range(self.partitions)
            parts = owned_partitions(self.topic, every, self.replica)
            assigned = [TopicPartition(self.topic, p) for p in parts]
            consumer.assign(assigned)
            self._owned = set(parts)
            for tp in assigned:
                committed = consumer.committed(tp)
                if committed is None:
                    consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, committed)
            self._kafka = consumer
            self._confirmed = self._connections()
        return self._kafka

    def poll_once(self, timeout_ms: int | None = None) -> int:
        """Process one poll's records; returns how many were handled."""
        if timeout_ms is None:
            quiet = self.kafka._fetcher.config["fetch_max_wait_ms"] == FETCH_WAIT_IDLE_MS
            # A quiet consumer also loops less: each pass of kafka-python's poll costs CPU.
            timeout_ms = max(self.poll_timeout_ms, QUIET_POLL_MS) if quiet else self.poll_timeout_ms
        batches = self.kafka.poll(timeout_ms=timeout_ms)
        if not self._same_topic():
            # Read from a topic the broker lost and got anew: nothing of this poll is
            # applied, and the next one reads every partition from its start.
            self._pace(True) if self.doorbell is None else self._count_polls(True)
            return 0
        handled = 0
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        for tp, records in batches.items():
            self._process_batch(tp, records)
            handled += len(records)
            done[tp] = OffsetAndMetadata(records[-1].offset + 1, None, -1)
            self._next[tp.partition] = records[-1].offset + 1
        if self.doorbell is None:
            self._pace(bool(done))
        else:
            self._count_polls(bool(done))
        # Only now, after every database commit of this poll.
        self._uncommitted.update(done)
        self._commit()
        return handled

    def _same_topic(self) -> bool:
        """Is the topic still the one the positions were taken in? If not, they are
        moved to each owned partition's start.

        The relay republishes a topic the broker lost (an embedded broker restarted
        empty) in store order, but not always at the offsets consumers had reached: the
        old topic may have held more (a batch sent twice, a stray record). kafka-python
        reconnects under a poll and fetches on from the positions it holds, so records
        now below them would be skipped for good; read again from the start, what was
        applied is skipped. A broker restart closes the client's connections, and a
        client that met the topic anew holds another id in its metadata: while neither
        happened since the topic was last confirmed, nothing is asked (nor are offsets
        committed otherwise: `_commit`)."""
        if self._on_confirmed_topic():
            return True
        connections = self._connections()
        now = current_topic_id(self.bootstrap, self.topic)
        if now is None:
            return False  # no such topic now: it has nothing to apply; asked again next poll
        if str(now) == str(self._topic_id):
            self._confirmed = connections
            return True
        log.warning(
            "consumer %s: topic %s is not the one it read (the broker lost it); reading it "
            "again from the start",
            self.name,
            self.topic,
        )
        self._topic_id = now
        self._confirmed = connections
        self._uncommitted.clear()  # offsets in the old topic
        self._next.clear()
        if self.guard is not None:
            self.guard.topic_anew(self._owned)
        self.kafka.seek_to_beginning(*self.kafka.assignment())
        return False

    def _on_confirmed_topic(self) -> bool:
        """Are the client's connections and metadata those of the last confirmation?"""
        connections = self._connections()
        return bool(connections) and connections == self._confirmed and self._known_id_unchanged()

    def _known_id_unchanged(self) -> bool:
        """Does the client's metadata (refreshed by the client as it needs) still hold the
        topic's id as confirmed?"""
        assert self._kafka is not None
        try:
            known = self._kafka._cluster.topic_id(self.topic)  # noqa: SLF001 - pinned
        except AttributeError:
            return True
        return known is None or str(known) == str(self._topic_id)

    def _connections(self) -> tuple[Any, ...]:
        """The client's open broker connections (empty when its internals are not as
        expected: then the topic is checked after every poll)."""
        kafka = self._kafka
        assert kafka is not None
        return open_connections(lambda: kafka._manager)  # noqa: SLF001

    def _count_polls(self, busy: bool) -> None:
        """Keep polling while records come; forget rings that polls do not answer."""
        assert self.doorbell is not None
        self._flowing = busy
        self._worked = self._worked or busy
        self._empty_polls = 0 if busy else self._empty_polls + 1
        if self._empty_polls >= BELL_EMPTY_POLLS:
            self.doorbell.rung.clear()
            self._empty_polls = 0

    def _pace(self, busy: bool) -> None:
        """Short fetch waits while records flow, long ones once the topic is quiet."""
        now = time.monotonic()
        if busy:
            self._last_record = now
        quiet = now - self._last_record > QUIET_AFTER_SECONDS
        # kafka-python reads the wait from its fetcher's config for every fetch it sends.
        config = self.kafka._fetcher.config
        config["fetch_max_wait_ms"] = FETCH_WAIT_IDLE_MS if quiet else FETCH_WAIT_BUSY_MS

    # -- one partition's records ----------------------------------------------------------

    def _process_batch(self, tp: TopicPartition, records: Sequence[ConsumerRecord]) -> None:
        admitted = self._admit_all(tp, records)
        if self.handle_batch is None:
            for one in admitted:
                self.apply_one(tp, one)
            return
        if not admitted:
            return
        with self._span(tp, admitted[0].record, len(admitted)):
            try:
                self.handle_batch(
                    [a.envelope for a in admitted], tracking_name(self.topic, tp.partition)
                )
            except Exception as exc:
                if isinstance(exc, TRANSIENT) and not isinstance(exc, TransactionRollback):
                    raise
                log.warning(
                    "consumer %s: a batch of %s failed; applying it record by record",
                    self.name,
                    len(admitted),
                    exc_info=True,
                )
                for one in admitted:
                    self.apply_one(tp, one)
                return
        if self.guard is not None:
            self.guard.applied_many(
                [a.envelope for a in admitted],
                {tp.partition: admitted[-1].record.offset},
                defer=True,  # written before the offsets are committed (`_commit`)
            )

    def apply_one(self, tp: TopicPartition, admitted: Admitted) -> None:
        """Apply one record in a transaction of its own (and move its chain head)."""
        record = admitted.record
        with self._span(tp, record, 1):
            try:
                self.handle(admitted.envelope, tracking_name(self.topic, tp.partition))
            except Exception as exc:
                if self.dead_letters is None or is_transient(exc):
                    raise  # run() retries with backoff; redelivery changes nothing applied
                self._dead_letter(tp, record, exc)
        # Authentic and in order: the chain moves even when the record is dead-lettered,
        # so the case's next events are not taken for a gap.
        if self.guard is not None:
            self.guard.applied(admitted.envelope, tp.partition, record.offset)

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

    def _admit_all(
        self, tp: TopicPartition, records: Sequence[ConsumerRecord]
    ) -> list[Admitted]:
        """The records that may be applied, with their envelopes; the others are kept aside."""
        if self.guard is None:
            return [one for record in records if (one := self._admit(tp, record)) is not None]
        guard = self.guard
        admitted: list[Admitted] = []
        redelivered = guard.redelivered
        checked = guard.admit_many(
            tp.partition,
            [
                (r.offset, r.value, {k: v for k, v in (r.headers or []) if v is not None})
                for r in records
            ],
            # Signed by the source and next in its chain, but of a version unknown here.
            unknown_versions=self.dead_letters is not None,
        )
        for record, item in zip(records, checked, strict=True):
            if isinstance(item, Envelope):
                admitted.append(Admitted(record, item))
            elif isinstance(item, DomainError):
                self._dead_letter(tp, record, item)
            elif guard.redelivered == redelivered:
                self.rejected.append((self.topic, tp.partition, record.offset, "quarantined"))
            redelivered = guard.redelivered
        return admitted

    def _admit(self, tp: TopicPartition, record: ConsumerRecord) -> Admitted | None:
        """The record's envelope if it may be applied (no guard); otherwise kept aside."""
        try:
            return Admitted(record, Envelope.from_json(record.value))
        except DomainError as exc:
            if self.dead_letters is not None:
                self._dead_letter(tp, record, exc)
                return None
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
            return None

    def _span(
        self, tp: TopicPartition, record: ConsumerRecord, count: int
    ) -> AbstractContextManager[trace.Span]:
        """A consumer span continuing the trace of the (first) record it applies."""
        carrier = {k: v.decode() for k, v in (record.headers or []) if v is not None}
        return tracer.start_as_current_span(
            f"{self.topic} process",
            context=propagate.extract(carrier),
            kind=SpanKind.CONSUMER,
            attributes={
                "baton.service": self.service,
                "baton.component": "consumer",
                "messaging.destination.name": self.topic,
                "messaging.kafka.partition": tp.partition,
                "messaging.kafka.offset": record.offset,
                "messaging.batch.message_count": count,
            },
        )
