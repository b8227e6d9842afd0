"""Builds the tamper-evidence parts of a process from its settings: the checkpointer a
relay runs, the guard in front of each consumer, and the witness every process runs."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from kafka import KafkaProducer

from infra.audit.checkpoints import CHECKPOINTS_SCHEMA, Checkpoint, Checkpointer, StoreReader
from infra.audit.envelopes import InboundGuard
from infra.audit.recorder import AuditedProcessRecorder
from infra.audit.verify import audited_tables
from infra.audit.witness import Witness, message_for
from infra.doorbell import Doorbell, ring
from infra.eventstore import ServiceApplication, connect, connection_pool, ensure_schema
from infra.kafka_security import client_security
from infra.relay import ensure_topic
from infra.settings import Settings


def store_reader(app: ServiceApplication) -> StoreReader:
    """The audit rows and stored events of an application's store."""
    recorder = app.recorder
    assert isinstance(recorder, AuditedProcessRecorder), "the store has no audit table"
    return StoreReader(
        app.datastore_connection, recorder.events_table_name, recorder.audit_table_name
    )


Connect = Callable[[], AbstractContextManager[Any]]


class CheckpointPublisher:
    """Sends checkpoints to the witnesses on `audit.checkpoints`, and rings their doorbell
    on a connection from `bell` (infra/doorbell.py) when one is given."""

    def __init__(self, bootstrap: str, topic: str, bell: Connect | None = None) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.bell = bell
        self._producer: KafkaProducer | None = None

    def __call__(self, checkpoint: Checkpoint, proof: dict[str, Any] | None) -> None:
        if self._producer is None:
            ensure_topic(self.bootstrap, self.topic, 1)
            # Not idempotent: after the broker restarted empty, kafka-python's idempotent
            # producer failed with UnknownProducerIdError for as long as it lived, and
            # each checkpoint held the relay's loop for the whole timeout. A witness
            # takes a checkpoint twice as well as once.
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap,
                acks="all",
                enable_idempotence=False,
                **client_security(),
            )
        try:
            sent = self._producer.send(self.topic, value=message_for(checkpoint, proof)).get(
                timeout=10
            )
        except Exception:
            self.close()  # the next checkpoint starts with a new producer
            raise
        if self.bell is not None:
            with self.bell() as conn:
                ring(conn, self.topic, {sent.partition: sent.offset})

    def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            # A broken producer's close must not hide why it was closed.
            with contextlib.suppress(Exception):
                producer.close(timeout=2)


def checkpointer_for(app: ServiceApplication, settings: Settings) -> Checkpointer:
    """A store's checkpointer, signing with the service's key and publishing if it can."""
    with app.datastore_connection() as conn:
        conn.execute(CHECKPOINTS_SCHEMA)
    publish = (
        CheckpointPublisher(
            settings.kafka_bootstrap_servers, settings.checkpoint_topic, app.datastore_connection
        )
        if settings.kafka_bootstrap_servers
        else None
    )
    return Checkpointer(
        service=app.service,
        store=app.schema,
        reader=store_reader(app),
        key=settings.audit_keys().signer(app.service),
        publish=publish,
    )


def checkpointer_for_store(settings: Settings, service: str, schema: str) -> Checkpointer:
    """A checkpointer for a store found in the database (`baton checkpoint`)."""
    database_url = settings.database_url
    assert database_url, "DATABASE_URL is needed"

    @contextmanager
    def store_connection() -> Iterator[Any]:
        with connect(database_url, schema) as conn:
            yield conn

    with store_connection() as conn:
        tables = audited_tables(conn, schema)
        conn.execute(CHECKPOINTS_SCHEMA)
    if tables is None:
        raise LookupError(f"{schema} holds no audited store")
    publish = (
        CheckpointPublisher(
            settings.kafka_bootstrap_servers, settings.checkpoint_topic, store_connection
        )
        if settings.kafka_bootstrap_servers
        else None
    )
    return Checkpointer(
        service=service,
        store=schema,
        reader=StoreReader(store_connection, *tables),
        key=settings.audit_keys().signer(service),
        publish=publish,
    )


def guard_for(settings: Settings, service: str, consumer: str, source: str) -> InboundGuard:
    """The guard that lets `service`'s consumer apply only `source`'s signed chain."""
    assert settings.database_url, "DATABASE_URL is needed for the consumers' quarantine"
    schema = settings.schema_of(service)
    ensure_schema(settings.database_url, schema)
    return InboundGuard(
        connection_pool(settings.database_url, schema, max_size=2),
        consumer=consumer,
        topic=settings.topic_of(source),
        source=source,
        public_key=settings.audit_keys().public_key(source),
    )


def process_name(app: Any = None) -> str:
    """The service (or gateway) this process runs, for naming its witness."""
    named = getattr(getattr(app, "state", None), "service", None)
    if named:
        return str(named)
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    parts = (spec.name if spec else "").split(".")
    if parts[0] == "services" and len(parts) > 1:
        return parts[1]
    return parts[0] or "process"


def witness_worker(
    settings: Settings, name: str
) -> tuple[str, Callable[[threading.Event], None]] | None:
    """A worker keeping other stores' checkpoints in this process's schema, if it can."""
    if not (settings.database_url and settings.kafka_bootstrap_servers):
        return None
    database_url, bootstrap = settings.database_url, settings.kafka_bootstrap_servers
    schema = settings.schema_of(name)
    ensure_schema(database_url, schema)

    @contextmanager
    def witness_connection() -> Iterator[Any]:
        with connect(database_url, schema) as conn:
            yield conn

    witness = Witness(name, witness_connection, settings.audit_keys().public_key)

    def run(stop: threading.Event) -> None:
        doorbell = Doorbell(database_url, settings.checkpoint_topic)
        try:
            witness.run(bootstrap, settings.checkpoint_topic, stop, doorbell)
        finally:
            doorbell.close()

    return f"{name}-witness", run
