"""Relay: the event store is the outbox.

One relay per store (a PostgreSQL advisory lock makes sure of it), woken by the store's
NOTIFY, reads the notification log after its recorded position, publishes each event on
`<service>.events` as an `Envelope` keyed by case id with `acks=all`, flushes once, and
only then records its new position. At-least-once: a crash between the broker's
acknowledgement and the position update republishes a few events, which consumers
ignore by their tracking rows.

If the topic is missing or no longer holds what the relay published (a memory-only
broker that restarted), the relay starts again from the first event.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import Notification, StoredEvent
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from psycopg.sql import SQL, Identifier

from domain.contracts import GENESIS_HASH, Envelope, event_id_for
from infra import memory
from infra.audit.checkpoints import Checkpointer
from infra.audit.envelopes import signature_headers
from infra.audit.heads import ChainHeads
from infra.doorbell import notified, ring_statement
from infra.eventstore import ServiceApplication, TraceCarryingTranscoder, connect
from infra.jsonsafe import to_json_safe
from infra.kafka_security import client_security
from infra.message import Message
from infra.relay_tail import PartitionKeys, PublishedTail, continued_cases, read_tail
from infra.settings import Settings
from infra.telemetry import tracing_on

log = logging.getLogger(__name__)
tracer = trace.get_tracer("baton.relay")

# Attributes that describe the stored event rather than what happened, and sealed
# attributes (ciphertext of reporter identity), never leave the store.
_NOT_PUBLISHED = frozenset({"originator_id", "originator_version", "timestamp", "class_version"})
SEALED_PREFIX = "sealed_"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS relay_position (
    topic text PRIMARY KEY,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_offsets (
    topic text NOT NULL,
    partition integer NOT NULL,
    last_offset bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS relay_chain (
    topic text NOT NULL,
    case_id text NOT NULL,
    sequence integer NOT NULL,
    hash text NOT NULL,
    PRIMARY KEY (topic, case_id)
);
"""


class TopicChanged(Exception):
    """The topic is not the one the relay last found intact (the broker restarted)."""


def ensure_topic(bootstrap: str, topic: str, partitions: int, anew: bool = False) -> Any:
    """Create the topic with the given partition count unless it exists (with `anew`,
    delete it first); its id now."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="baton-admin", **client_security()
    )
    try:
        if anew:
            with contextlib.suppress(UnknownTopicOrPartitionError):
                admin.delete_topics([topic])
        if anew or topic not in admin.list_topics():
            with contextlib.suppress(TopicAlreadyExistsError):  # another was quicker
                admin.create_topics(
                    [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
                )
        return topic_id(admin, topic)
    finally:
        admin.close()


def current_topic_id(bootstrap: str, topic: str) -> Any:
    """`topic_id` through an admin client of its own, closed after."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="baton-check", **client_security()
    )
    try:
        return topic_id(admin, topic)
    finally:
        admin.close()


def open_connections(manager: Callable[[], Any]) -> tuple[Any, ...]:
    """A kafka-python client's open broker connections, as objects, from its connection
    manager (`manager()` reaches it); empty when the client's internals are not as
    expected (kafka-python is pinned).

    A broker that restarted (empty or not) has closed them: while they are the very ones
    open at a check, no restart came between."""
    try:
        conns = manager()._conns  # noqa: SLF001
        return tuple(
            conn for _, conn in sorted(conns.items(), key=lambda item: str(item[0]))
            if conn.connected
        )
    except AttributeError:
        return ()


def topic_id(admin: KafkaAdminClient, topic: str) -> Any:
    """The topic's id as the broker tells it now, None if it has no such topic: a broker
    that lost the topic and got it again (created anew) gives another id.

    One metadata request for this topic through the admin client (under 1 ms). A
    consumer's `topics()` asks for every topic and waits on its refresh loop's backoff:
    100 ms, which was most of a registration's way to statistics.
    """
    (found,) = admin.describe_topics([topic])
    return found["topic_id"] if found["error_code"] == 0 else None


_PLAIN = frozenset({str, int, bool, float, type(None)})


def envelope_for(
    source: str, notification: Notification, state: dict[str, Any], with_event_id: bool = True
) -> Envelope:
    """The unchained envelope of one stored event; a rebuild, which never reads the event
    id (a uuid5 per event), may go without it."""
    case_id = str(notification.originator_id)
    # Plain values and datetimes are the common case: made JSON-safe inline.
    payload = {
        key: value
        if type(value) in _PLAIN
        else value.isoformat()
        if type(value) is dt.datetime
        else to_json_safe(value)
        for key, value in state.items()
        if key not in _NOT_PUBLISHED and not key.startswith(SEALED_PREFIX)
    }
    timestamp = state.get("timestamp")
    return Envelope(
        event_id=event_id_for(source, case_id, notification.originator_version)
        if with_event_id
        else "",
        type=notification.topic.rpartition(":")[2],
        case_id=case_id,
        sequence=notification.originator_version,
        organ_code=str(state.get("organ_code") or ""),
        actor=str(state.get("actor") or ""),
        occurred_at=to_json_safe(timestamp) if timestamp is not None else "",
        source=source,
        payload=payload,
        notification_id=notification.id,
    )


def decode_stored(
    app: ServiceApplication, notification: StoredEvent
) -> tuple[dict[str, Any], dict[str, str]]:
    """A stored event's state as plain data, and the trace context it was stored under."""
    data = notification.state
    mapper = app.mapper
    if mapper.cipher:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor:
        data = mapper.compressor.decompress(data)
    transcoder = mapper.transcoder
    assert isinstance(transcoder, TraceCarryingTranscoder)
    return transcoder.decode_with_trace(data)


class Relay:
    """Publishes one application's stored events to its topic."""

    def __init__(
        self,
        app: ServiceApplication,
        bootstrap: str,
        topic: str | None = None,
        partitions: int = 4,
        batch_size: int = 500,
        idle_wait: float = 5.0,
        check_interval: float = 2.0,
        signer: Ed25519PrivateKey | None = None,
        checkpointer: Checkpointer | None = None,
        checkpoint_interval: float = 60.0,
        gather: float = 0.0,
    ) -> None:
        if app.database_url is None:
            raise ValueError("the relay needs an application on PostgreSQL")
        self.app = app
        self.database_url: str = app.database_url
        self.bootstrap = bootstrap
        self.topic = topic or f"{app.service}.events"
        self.partitions = partitions
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        # How long a woken relay lets more events come before it reads: for a store whose
        # readers nobody waits on, several events go out in one batch (one read, one
        # flush, one record, one ring, and one wake-up of each reader).
        self.gather = gather
        self.check_interval = check_interval
        # Consumers apply only what this key signed (infra/audit/envelopes.py).
        self.signer = signer or Settings().audit_keys().signer(app.service)
        # The store's checkpoints are signed by whoever holds the relay's lock.
        self.checkpointer = checkpointer
        self.checkpoint_interval = checkpoint_interval
        self._last_checkpoint = 0.0
        self.position = 0
        self.offsets: dict[int, int] = {}
        self.chain = ChainHeads(self._stored_heads, size=10_000)
        self.tail = PublishedTail()
        self.keys = PartitionKeys(self._first_state)
        self._producer: KafkaProducer | None = None
        # Publishing failed: the topic may have been lost, or hold a batch unrecorded.
        self._unsure = False
        # The topic's id when it was last found intact: a broker restarted empty has the
        # topic again (consumers create it) under a new id.
        self._topic_id: Any = None
        self._probe: KafkaConsumer | None = None
        self._admin: KafkaAdminClient | None = None
        # The producer's connections when the topic's id was last confirmed.
        self._checked_connections: tuple[Any, ...] = ()
        self._last_check = 0.0
        # Published since the memory was last given back (infra.memory).
        self._worked = False

    # -- lifecycle ---------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Hold the store's relay lock and publish until `stop` is set.

        The lock's connection also LISTENs on the channel the store NOTIFYs in every
        insert transaction, so an idle relay sleeps until an event is stored (or
        `idle_wait` passes, for the topic check and checkpoints) instead of polling.
        """
        with psycopg.connect(self.database_url, autocommit=True) as lock_conn:
            while not stop.is_set():
                got = lock_conn.execute(
                    "SELECT pg_try_advisory_lock(hashtext(%s))", (self._lock_name,)
                ).fetchone()
                if got and got[0]:
                    break
                stop.wait(1.0)
            else:
                return
            log.info("relay for %s holds its lock", self.topic)
            lock_conn.execute(SQL("LISTEN {0}").format(Identifier(self.channel)))
            try:
                self.start()
                woken = False
                while not stop.is_set():
                    # The lock lives as long as its session: after PostgreSQL restarted,
                    # another replica's relay may hold it. Raises (and run() is started
                    # again by its worker) rather than publish beside it. A notification
                    # just heard on that session says as much, without a round trip.
                    if not woken:
                        lock_conn.execute("SELECT 1")
                    woken = False
                    try:
                        published = self.publish_pending()
                    except Exception:
                        log.exception("relay %s failed; retrying", self.topic)
                        self._reset_clients(abort=True)
                        stop.wait(1.0)
                        continue
                    self._maybe_checkpoint()
                    if published < self.batch_size:
                        woken = self._wait_for_events(lock_conn)
            finally:
                self.close()

    @property
    def channel(self) -> str:
        """The channel eventsourcing's recorder NOTIFYs when it stores events."""
        return str(getattr(self.app.recorder, "channel_name", ""))

    def _wait_for_events(self, conn: psycopg.Connection[Any]) -> bool:
        """Sleep until the store is written to (True), or `idle_wait` passes (then, after
        work, the memory a burst took goes back to the system)."""
        woken = notified(conn, self.idle_wait)
        if woken and self.gather:
            time.sleep(self.gather)
        if not woken and self._worked:
            self._worked = not memory.after_work()
        # Notifications that came with the same burst are answered by the same publish.
        for _ in conn.notifies(timeout=0.0):
            pass
        return woken

    def _maybe_checkpoint(self) -> None:
        now = time.monotonic()
        if self.checkpointer is None or now - self._last_checkpoint < self.checkpoint_interval:
            return
        self._last_checkpoint = now
        try:
            self.checkpointer.checkpoint()
        except Exception:  # a failed checkpoint must not stop publishing
            log.exception("checkpoint of %s failed", self.app.schema)

    @property
    def _lock_name(self) -> str:
        return f"baton-relay:{self.app.schema}:{self.topic}"

    def create_tables(self) -> None:
        with connect(self.database_url, self.app.schema) as conn:
            conn.execute(_SCHEMA)

    def start(self) -> None:
        ensure_topic(self.bootstrap, self.topic, self.partitions)
        self.create_tables()
        self._load_state()
        self._topic_id = self._current_topic_id()
        if self.topic_intact(self._topic_id):
            self._read_tail()

    def _current_topic_id(self) -> Any:
        """The topic's id as the broker tells it now (`topic_id`)."""
        return topic_id(self.admin, self.topic)

    def _read_tail(self) -> None:
        parts = sorted(self.probe.partitions_for_topic(self.topic) or range(self.partitions))
        self.tail = read_tail(self.probe, self.topic, self.app.service, self.offsets, parts)

    def close(self) -> None:
        self._reset_clients()

    def _reset_clients(self, abort: bool = False) -> None:
        """Close the clients; with `abort`, the producer sends nothing it still holds.

        After a failed batch (the broker gone) a graceful close flushes what the producer
        holds, and a broker back by then (empty) took it at the start of a new topic,
        ahead of the store's earlier events: consumers saw later links first, and the
        relay, finding them there, did not send them again in their place."""
        if abort and self._producer is not None:
            try:
                self._producer._sender.force_close()  # noqa: SLF001 - kafka-python is pinned
            except AttributeError:
                log.debug("the producer has no sender to force closed", exc_info=True)
        for client in (self._producer, self._probe, self._admin):
            if client is not None:
                try:
                    client.close(timeout=2) if isinstance(client, KafkaProducer) else client.close()
                except Exception:  # closing a broken client must not hide the real error
                    log.debug("closing a kafka client failed", exc_info=True)
        self._producer = None
        self._probe = None
        self._admin = None
        self._checked_connections = ()

    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            # Not kafka-python's idempotent producer: its InitProducerId failed with
            # UnknownError for as long as the process lived after Tansu restarted empty.
            # The relay keeps each partition in store order itself:
            # - a partition's records of one batch travel as one record batch, sent at
            #   flush (linger) and not split below 1 MiB (batch_size): the broker takes all of
            #   them or none: after a refused batch no later record of that partition
            #   has gone out ahead of it (Tansu answers a new topic's first produce with
            #   UnknownError now and then, which is not retriable);
            # - no send is retried inside the producer (a retry after a lost
            #   acknowledgement puts a copy at a new offset, a replay to consumers);
            #   a failed batch is read back from the topic before it is sent again.
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap,
                acks="all",
                # The embedded broker keeps every record in memory: gzip (in the standard
                # library) halves what it holds (broker 141 -> 74 MiB after 20,000
                # registrations) for about 15 µs of CPU a record.
                compression_type="gzip",
                linger_ms=60_000,
                batch_size=1 << 20,
                enable_idempotence=False,
                retries=0,
                max_in_flight_requests_per_connection=1,
                # Its connections tell the relay the broker did not restart (above): kept
                # open while idle, not closed after the client's default 9 minutes.
                connections_max_idle_ms=7 * 24 * 3600 * 1000,
                client_id=f"relay-{self.topic}",
                **client_security(),
            )
        return self._producer

    @property
    def probe(self) -> KafkaConsumer:
        if self._probe is None:
            self._probe = KafkaConsumer(
                bootstrap_servers=self.bootstrap,
                enable_auto_commit=False,
                client_id=f"relay-probe-{self.topic}",
                **client_security(),
            )
        return self._probe

    @property
    def admin(self) -> KafkaAdminClient:
        if self._admin is None:
            self._admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap,
                client_id=f"relay-admin-{self.topic}",
                **client_security(),
            )
        return self._admin

    # -- state -------------------------------------------------------------------------

    def _load_state(self) -> None:
        with connect(self.database_url, self.app.schema) as conn:
            row = conn.execute(
                "SELECT position FROM relay_position WHERE topic = %s", (self.topic,)
            ).fetchone()
            self.position = int(row[0]) if row else 0
            self.offsets = dict(
                conn.execute(  # type: ignore[arg-type]
                    "SELECT partition, last_offset FROM relay_offsets WHERE topic = %s",
                    (self.topic,),
                ).fetchall()
            )
        self.chain.clear()

    def _stored_heads(self, case_ids: list[str]) -> dict[str, tuple[int, str]]:
        """The recorded chain heads of these aggregates (those published before)."""
        with self.app.datastore_connection() as conn:
            rows = conn.execute(
                "SELECT case_id, sequence, hash FROM relay_chain "
                "WHERE topic = %s AND case_id = ANY(%s)",
                (self.topic, case_ids),
            ).fetchall()
        return {case_id: (sequence, digest) for case_id, sequence, digest in rows}

    def _record(
        self,
        position: int,
        offsets: dict[int, int],
        heads: dict[str, tuple[int, str]],
        types: set[str] | None = None,
    ) -> None:
        # A pooled connection (not a new server process per batch), committed without
        # waiting for the disk: a position lost with a crash of the server only means a
        # few events published again, which consumers skip by their tracking rows. One
        # message: statement by statement it was seven round trips, pipelined still a
        # send and a poll each.
        with self.app.datastore_connection() as conn:
            message = Message(conn)
            message.execute("SET LOCAL synchronous_commit TO OFF")
            message.execute(
                "INSERT INTO relay_position (topic, position) VALUES (%s, %s) "
                "ON CONFLICT (topic) DO UPDATE SET position = EXCLUDED.position",
                (self.topic, position),
            )
            # One statement each, whatever the batch's size (a row per statement was a
            # statement per published event): columns as arrays, each key once.
            message.execute(
                "INSERT INTO relay_offsets (topic, partition, last_offset) "
                "SELECT %s, * FROM unnest(%s::integer[], %s::bigint[]) "
                "ON CONFLICT (topic, partition) DO UPDATE SET last_offset = "
                "GREATEST(relay_offsets.last_offset, EXCLUDED.last_offset)",
                (self.topic, list(offsets), list(offsets.values())),
            )
            message.execute(
                "INSERT INTO relay_chain (topic, case_id, sequence, hash) "
                "SELECT %s, * FROM unnest(%s::text[], %s::integer[], %s::text[]) "
                "ON CONFLICT (topic, case_id) DO UPDATE SET sequence = EXCLUDED.sequence, "
                "hash = EXCLUDED.hash",
                (
                    self.topic,
                    list(heads),
                    [sequence for sequence, _ in heads.values()],
                    [hash_ for _, hash_ in heads.values()],
                ),
            )
            # The broker holds the batch: consumers asleep on the topic's bell wake now.
            message.execute(*ring_statement(self.topic, offsets, types))
            message.send()
        self.position = position
        self._worked = True
        for partition, offset in offsets.items():
            self.offsets[partition] = max(offset, self.offsets.get(partition, -1))
        self.chain.update(heads)

    def _restart_from_first_event(self) -> None:
        log.warning(
            "topic %s lost what the relay published; republishing from the start", self.topic
        )
        with connect(self.database_url, self.app.schema) as conn:
            for table in ("relay_position", "relay_offsets", "relay_chain"):
                conn.execute(f"DELETE FROM {table} WHERE topic = %s", (self.topic,))
        self.position = 0
        self.offsets = {}
        self.chain.clear()
        self.tail = PublishedTail()
        self._reset_clients(abort=True)
        # Whatever reached the topic since the broker came back is not the start of this
        # store: the topic is made anew and empty, and nothing is read back from it (a
        # record found there and not sent again left consumers without the links before
        # it; one left there shifted every offset after it). Consumers see another id
        # and read it from its start (`infra.consumer`).
        self._unsure = False
        ensure_topic(self.bootstrap, self.topic, self.partitions, anew=True)

    # -- the broker's memory ------------------------------------------------------------

    def topic_intact(self, topic_id: Any) -> bool:
        """Does the topic (whose id the broker just gave, None: no such topic) still hold
        the last record published to each partition?"""
        if not self.offsets:
            return True
        if topic_id is None:
            return False
        partitions = [TopicPartition(self.topic, p) for p in self.offsets]
        ends = self.probe.end_offsets(partitions)
        for tp in partitions:
            last = self.offsets[tp.partition]
            # Tansu may under-report a partition's end after a multi-record batch, so a
            # short answer is confirmed by fetching the record itself.
            if ends.get(tp, 0) > last:
                continue
            if not self._record_exists(tp, last):
                return False
        return True

    def _record_exists(self, tp: TopicPartition, offset: int) -> bool:
        probe = self.probe
        probe.assign([tp])
        probe.seek(tp, offset)
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            for records in probe.poll(timeout_ms=300, max_records=1).values():
                return any(record.offset == offset for record in records)
        return False

    # -- publishing ---------------------------------------------------------------------

    def publish_pending(self) -> int:
        """Publish the next batch; returns how many events went out."""
        try:
            return self._publish_pending()
        except BaseException:
            # Whatever failed (the broker gone, PostgreSQL gone mid-record), the topic is
            # checked and read back before anything more is sent: a broker that came back
            # empty must not first receive new events, then the whole store again.
            self._unsure = True
            raise

    def _publish_pending(self) -> int:
        now = time.monotonic()
        # A broker restart closes the producer's connections: while they are the ones
        # open at the last check, an idle relay has nothing to look at (every look was a
        # metadata request and often a fetch, every 5 s, for each relay).
        _, unchanged = self._connections()
        if self._unsure or (not unchanged and now - self._last_check >= self.check_interval):
            self._last_check = now
            topic_id = self._current_topic_id()
            # Another id: the broker lost the topic and has a new one by that name (a
            # consumer created it, or a batch sent after the broker came back did), which
            # may even hold records at the offsets last published.
            recreated = None not in (topic_id, self._topic_id) and topic_id != self._topic_id
            if recreated or not self.topic_intact(topic_id):
                self._restart_from_first_event()
                topic_id = self._current_topic_id()
            self._topic_id = topic_id
            self._checked_connections = self._producer_connections()
        if self._unsure:
            self._read_tail()
            self._unsure = False
        notifications = self.app.recorder.select_notifications(
            start=self.position + 1, limit=self.batch_size
        )
        if not notifications:
            return 0
        self._publish(notifications)
        return len(notifications)

    def _publish(self, notifications: Sequence[Notification]) -> None:
        connections, unchanged = self._connections()
        if not unchanged:
            if self._current_topic_id() != self._topic_id:
                # The broker came back empty since the topic was checked: nothing new may
                # reach it before the whole store does, at the offsets it had (consumers
                # take a link they hold at an offset they had not reached for a replay).
                raise TopicChanged(self.topic)
            self._checked_connections = connections
        heads: dict[str, tuple[int, str]] = {}
        types: set[str] = set()
        futures = []
        # With tracing off, no span and no propagation per record (7 µs each, for nothing).
        traced = tracing_on()
        self.chain.prefetch(continued_cases(notifications))
        for notification in notifications:
            state, carrier = self._decode(notification)
            envelope = envelope_for(self.app.service, notification, state)
            _, prev_hash = (
                heads.get(envelope.case_id)
                or self.chain.get(envelope.case_id)
                or (0, GENESIS_HASH)
            )
            envelope = envelope.sealed(prev_hash)
            heads[envelope.case_id] = (envelope.sequence, envelope.hash)
            if self.tail and self.tail.take(envelope.case_id, envelope.sequence, envelope.hash):
                continue  # published before the relay died, not yet recorded
            types.add(envelope.type)
            with self._span(envelope, carrier) if traced else contextlib.nullcontext():
                # Untraced, the stored trace context goes on as it was (what a no-op span
                # would have passed on).
                headers: dict[str, str] = {} if traced else dict(carrier)
                if traced:
                    propagate.inject(headers)
                value = envelope.to_json()
                headers.update(signature_headers(self.signer, self.topic, value))
                futures.append(
                    self.producer.send(
                        self.topic,
                        key=self.keys.key(
                            notification.originator_id, notification.originator_version, state
                        ).encode(),
                        value=value,
                        headers=[(k, v.encode()) for k, v in headers.items()],
                    )
                )
        self.producer.flush(timeout=30)
        offsets: dict[int, int] = dict(self.tail.offsets)
        # Records published before the relay died are of types not known here: the bell
        # then tells no types, and wakes every reader.
        told = None if self.tail.offsets else types
        self.tail.offsets = {}
        for future in futures:
            metadata = future.get(timeout=30)  # raises if the broker did not acknowledge
            offsets[metadata.partition] = max(metadata.offset, offsets.get(metadata.partition, -1))
        self._record(notifications[-1].id, offsets, heads, told)

    def _span(
        self, envelope: Envelope, carrier: dict[str, str]
    ) -> contextlib.AbstractContextManager[trace.Span]:
        """A producer span continuing the trace of the request that stored the event."""
        return tracer.start_as_current_span(
            f"{self.topic} publish",
            context=propagate.extract(carrier),
            kind=SpanKind.PRODUCER,
            attributes={
                "baton.service": self.app.service,
                "baton.component": "relay",
                "baton.case_id": envelope.case_id,
                "baton.event_type": envelope.type,
                "messaging.destination.name": self.topic,
            },
        )

    def _connections(self) -> tuple[tuple[Any, ...], bool]:
        """The producer's connections now, and whether they are the very ones open when
        the topic's id was last confirmed (then no broker restart came between)."""
        connections = self._producer_connections()
        return connections, bool(connections) and connections == self._checked_connections

    def _producer_connections(self) -> tuple[Any, ...]:
        """The producer's open broker connections, as objects.

        A broker that restarted (empty or not) has closed them: while they are the very
        ones open when the topic's id was last confirmed, no restart came between, and
        the batch needs no metadata request (about a tenth of intake's CPU with one
        request per batch). A connection found broken at send fails the batch (no
        retries), which checks the topic again. Empty when the client's internals are
        not as expected: then the topic is checked before every batch.
        """
        return open_connections(lambda: self.producer._sender._client._manager)  # noqa: SLF001

    def _first_state(self, originator_id: UUID | str) -> dict[str, Any] | None:
        """The state of an aggregate's first stored event (for its partition key)."""
        for stored in self.app.recorder.select_events(UUID(str(originator_id)), lte=1, limit=1):
            return decode_stored(self.app, stored)[0]
        return None

    def _decode(self, notification: Notification) -> tuple[dict[str, Any], dict[str, str]]:
        return decode_stored(self.app, notification)
