"""Event-store factory: an `eventsourcing` application per service, on PostgreSQL with one
schema per service, or in memory for unit tests of application code.

Stored events carry the OpenTelemetry context of the request that caused them (under
`_trace`, outside the domain event), so that the relay can continue the trace when it
publishes the event much later, from another thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import psycopg
from eventsourcing.application import Application, ProcessingEvent, Repository
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    ProcessRecorder,
    Tracking,
    Transcoder,
    Transcoding,
)
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import Environment
from opentelemetry import propagate
from psycopg_pool import ConnectionPool

from domain.contracts import Envelope
from infra import dbroles
from infra.aggregates import batch_of
from infra.audit.recorder import RECORDER_TOPIC
from infra.idempotency import IdempotencyStore, MemoryIdempotency, PostgresIdempotency
from infra.snapshots import snapshot_store
from infra.unreadable import ReportingMapper, ReportingRepository

log = logging.getLogger(__name__)

TRACE_KEY = "_trace"


def postgres_env(database_url: str, schema: str) -> dict[str, str]:
    """The eventsourcing environment for a PostgreSQL URL and schema."""
    parts = urlsplit(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": schema,
        # One connection kept, up to 15 under load: every connection is a server process
        # (a few MiB each); the extra ones go again when idle (see IDLE_SECONDS).
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "14",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "CREATE_TABLE": "y",
        # Left off on purpose: with database functions on, a process recorder can drop
        # its tracking row (see the architecture page).
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        # Every stored event is chained into the store's audit table (infra/audit).
        "PROCESS_RECORDER_TOPIC": RECORDER_TOPIC,
    }


def ensure_schema(database_url: str, schema: str) -> None:
    """Create the schema if missing (the library does not), as the owner if need be."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regnamespace(%s)", (schema,)).fetchone()
        if exists and exists[0] is not None:
            return
        if dbroles.can_declare(conn, schema):
            with conn.transaction():  # declarations take turns (dbroles.DDL_LOCK)
                conn.execute(dbroles.DDL_LOCK, (dbroles.ddl_lock_name(schema),))
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            dbroles.DECLARED_SCHEMAS.add(schema)
            return
    if not dbroles.declare_as_owner([], schema, dbroles.user_of(database_url)):
        raise RuntimeError(f"schema {schema} is missing: run `baton migrate` as the owner role")


@contextmanager
def connect(database_url: str, schema: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection whose search_path is the schema; commits on success."""
    with dbroles.DeclaringConnection.connect(
        database_url, options=f"-c search_path={schema}"
    ) as conn:
        yield conn


# A pool closes one connection it did not need for this long, again every as long, down
# to its minimum: a burst's extra server processes (a few MiB each) do not stay for good.
IDLE_SECONDS = 5.0


def connection_pool(database_url: str, schema: str, max_size: int = 4) -> ConnectionPool:
    """A pool of connections whose search_path is the schema (for read models).

    It keeps none while idle: a process has half a dozen of these pools (side tables,
    idempotency keys, audit, dead letters, ...), most of them used now and then, and each
    kept connection is a server process. Under load they stay open; the first use after
    a quiet spell connects (a few ms).
    """
    return ConnectionPool(
        database_url,
        min_size=0,
        max_size=max_size,
        max_idle=IDLE_SECONDS,
        kwargs={"options": f"-c search_path={schema}"},
        connection_class=dbroles.DeclaringConnection,
        open=True,
        name=f"baton-{schema}",
    )


class TraceCarryingTranscoder(Transcoder):
    """Adds the current trace context to every stored event state, drops it on load."""

    def __init__(self, inner: JSONTranscoder) -> None:
        self.inner = inner

    def register(self, transcoding: Transcoding) -> None:
        self.inner.register(transcoding)

    def encode(self, obj: Any) -> bytes:
        if isinstance(obj, dict):
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            if carrier:
                obj = {**obj, TRACE_KEY: carrier}
        return self.inner.encode(obj)

    def decode(self, data: bytes) -> Any:
        obj = self.inner.decode(data)
        if isinstance(obj, dict):
            obj.pop(TRACE_KEY, None)
        return obj

    def decode_with_trace(self, data: bytes) -> tuple[dict[str, Any], dict[str, str]]:
        """The state and the trace context it was stored under."""
        obj = self.inner.decode(data)
        return obj, obj.pop(TRACE_KEY, None) or {}


class ServiceApplication(Application[Any]):
    """An event-sourced application owning one service's schema.

    `database_url=None` keeps everything in memory (unit tests of application code).
    """

    def __init__(
        self,
        service: str,
        database_url: str | None = None,
        schema: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.service = service
        self.database_url = database_url
        self.schema = schema or service
        self._side_pool: ConnectionPool | None = None
        self._idempotency: IdempotencyStore | None = None
        self._idempotency_pool: ConnectionPool | None = None
        self._idempotency_lock = threading.Lock()
        # The tracking positions this process committed (`tracked_position`).
        self._tracked: dict[str, int] = {}
        full_env: dict[str, str] = {}
        if database_url is not None:
            ensure_schema(database_url, self.schema)
            full_env.update(postgres_env(database_url, self.schema))
        full_env.update(env or {})
        super().__init__(env=full_env)

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        factory = super().construct_factory(env)
        datastore = getattr(factory, "datastore", None)
        if isinstance(datastore, PostgresDatastore):
            # The library opens its pool lazily and schedules the shrinking on opening,
            # with this value (its own default keeps a burst's connections 10 minutes).
            datastore.pool.max_idle = IDLE_SECONDS
        return factory

    def construct_transcoder(self) -> Transcoder:
        inner = super().construct_transcoder()
        assert isinstance(inner, JSONTranscoder)
        return TraceCarryingTranscoder(inner)

    def construct_mapper(self) -> Mapper[Any]:
        # Undecodable stored events become coded refusals naming the case.
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=ReportingMapper
        )

    def construct_repository(self) -> Repository[Any]:
        repository = super().construct_repository()
        # The library builds it from its settings; only `get`'s failures are ours.
        repository.__class__ = ReportingRepository
        return repository

    def construct_recorder(self) -> ApplicationRecorder:
        # A process recorder can store tracking rows with events, in one transaction.
        return self.factory.process_recorder()

    def construct_snapshot_store(self) -> EventStore[Any]:
        return snapshot_store(self)

    def _take_snapshots(self, processing_event: ProcessingEvent[Any]) -> None:
        # The events are stored: a snapshot that fails (another process took the same
        # one first) must not turn a stored command into an error. Snapshots are a cache.
        try:
            super()._take_snapshots(processing_event)
        except Exception:
            log.warning("%s: a snapshot was not taken", self.service, exc_info=True)

    @property
    def process_recorder(self) -> ProcessRecorder:
        return cast(ProcessRecorder, self.recorder)

    def save_tracked(self, tracking_name: str, position: int, *aggregates: Any) -> None:
        """Store the aggregates' new events and the tracking row in one transaction."""
        processing: ProcessingEvent[Any] = ProcessingEvent(
            tracking=Tracking(tracking_name, position)
        )
        processing.collect_events(*aggregates)
        try:
            recordings = self._record(processing)
        except IntegrityError:
            # Another writer moved the row (or an aggregate) first: read it again next time.
            self._tracked.pop(tracking_name, None)
            raise
        self._tracked[tracking_name] = position
        self._take_snapshots(processing)
        self._notify(recordings)

    def save_tracked_batch(
        self,
        tracking_name: str,
        envelopes: Sequence[Envelope],
        effects_of: Callable[[Envelope], Sequence[Any]],
    ) -> None:
        """Apply a consumer's batch: the aggregates the envelopes change and one tracking
        row, in one transaction; none at all when nothing changes (tracking catches up
        with the next batch that changes something).

        While the batch is worked out, `infra.aggregates.find` answers from the
        aggregates changed so far, so a later envelope sees what an earlier one did.
        """
        done = self.tracked_position(tracking_name) or 0
        changed: dict[Any, Any] = {}
        last = done
        with batch_of(self, changed):
            for envelope in envelopes:
                if envelope.notification_id <= done:
                    continue
                for aggregate in effects_of(envelope):
                    changed[aggregate.id] = aggregate
                last = envelope.notification_id
        if changed:
            self.save_tracked(tracking_name, last, *changed.values())

    def tracked_position(self, tracking_name: str) -> int | None:
        """The position last tracked under the name: as this process committed it, else
        read from the store. A consumer owns its partitions' rows, so a position it holds
        is only ever behind one another writer moved (a replica that had the partition
        before): the save then fails on the row, which forgets it, and the retry reads it.
        It spares a round trip per batch."""
        known = self._tracked.get(tracking_name)
        if known is not None:
            return known
        return self.process_recorder.max_tracking_id(tracking_name)

    @contextmanager
    def datastore_connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection to this service's schema, for side tables next to the store."""
        if self.database_url is None:
            raise RuntimeError("side tables need PostgreSQL; this application is in memory")
        if self._side_pool is None:
            self._side_pool = connection_pool(self.database_url, self.schema)
        with self._side_pool.connection() as conn:
            yield conn

    @property
    def idempotency(self) -> IdempotencyStore:
        """The keys of this service's keyed create requests (see `infra.idempotency`)."""
        with self._idempotency_lock:
            return self._idempotency_store()

    def _idempotency_store(self) -> IdempotencyStore:
        if self._idempotency is None:
            if self.database_url is None:
                self._idempotency = MemoryIdempotency()
            else:
                # Its own pool: a request waiting on a key's lock must not hold a connection
                # the winner of that key needs for its side tables.
                self._idempotency_pool = connection_pool(self.database_url, self.schema, 8)
                self._idempotency = PostgresIdempotency(self._idempotency_pool, self.schema)
        return self._idempotency

    def close(self) -> None:
        if self._idempotency_pool is not None:
            self._idempotency_pool.close()
            self._idempotency_pool = None
        if self._side_pool is not None:
            self._side_pool.close()
            self._side_pool = None
        super().close()


def service_store(service: str, database_url: str, schema: str) -> ServiceApplication:
    """A reader of `service`'s event store (a rebuild, a verification).

    eventsourcing names the tables after the application class (IntakeApplication →
    `intakeapplication_events`), so the reader takes the name the service's class has.
    """
    reader = type(f"{service.capitalize()}Application", (ServiceApplication,), {})
    return reader(service, database_url, schema)
