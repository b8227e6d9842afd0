"""Run one service process: its HTTP app in the main thread, workers (relay, consumers)
in background threads, all stopped cleanly on SIGINT/SIGTERM; or a process of workers
alone (a relay apart from the service that answers)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Sequence

import psycopg
import uvicorn
from fastapi import FastAPI

from infra.audit.wiring import checkpointer_for, guard_for, process_name, witness_worker
from infra.consumer import BatchHandler, Consumer, Handler
from infra.dbroles import DECLARED_SCHEMAS, grant_runtime
from infra.deadletter import DeadLetters, retry_bell
from infra.deadletter import schema_of as dead_letter_schema
from infra.doorbell import Doorbell
from infra.eventstore import ServiceApplication
from infra.relay import Relay
from infra.settings import Settings, get_settings

MIGRATE_ENV = "BATON_MIGRATE"

log = logging.getLogger(__name__)

Worker = Callable[[threading.Event], None]

# Relays, consumers and the witness catch up on work nobody waits for; under a burst of
# requests they yield the CPU to the threads that answer (the HTTP loop and its workers):
# a Linux nice value is a thread's own, and the Kafka client threads a worker starts
# inherit it. While the CPU is not contended they run at once (register→visible at 50/s:
# p99 31.5–33.5 ms with, 35.5 ms without, 2026-12-04). At the lowest priority (19) rather
# than 10 they take less of a burst's CPU and catch up in bigger batches after it: REST x4
# against the bare save, median of 8 rounds, 0.50 against 0.475 (2026-12-06).
BACKGROUND_NICE_ENV = "BATON_BACKGROUND_NICE"
DEFAULT_BACKGROUND_NICE = 19
_BACKGROUND = ("-follows-", "-witness", "-relay")


def background_nice() -> int:
    """How much lower background workers' threads run (`BATON_BACKGROUND_NICE`, 0: not)."""
    value = os.environ.get(BACKGROUND_NICE_ENV, str(DEFAULT_BACKGROUND_NICE))
    try:
        return max(0, min(19, int(value)))
    except ValueError:
        raise ValueError(f"{BACKGROUND_NICE_ENV} must be a whole number from 0 to 19") from None


def yield_to_requests(name: str) -> None:
    """Lower this thread's CPU priority by `background_nice()` if `name` is a background
    worker's (relative to the process: a service started under `nice` stays below)."""
    nice = background_nice()
    if nice and any(mark in name for mark in _BACKGROUND):
        own = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, own + nice))


class Workers:
    """Background loops sharing one stop flag."""

    def __init__(self, workers: Sequence[tuple[str, Worker]]) -> None:
        self.stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._guard, args=(name, fn), name=name, daemon=True)
            for name, fn in workers
        ]

    def _guard(self, name: str, fn: Worker) -> None:
        # A worker that dies is run again, with backoff, until the process stops: a relay
        # whose database session ended with a PostgreSQL restart otherwise stayed dead
        # (its service kept answering, and its events were never published).
        yield_to_requests(name)
        delay = 1.0
        while not self.stop.is_set():
            try:
                fn(self.stop)
                return
            except Exception:
                log.exception("worker %s died; starting it again in %.0f s", name, delay)
            self.stop.wait(delay)
            delay = min(delay * 2, 10.0)

    def start(self) -> Workers:
        for thread in self._threads:
            thread.start()
        return self

    def join(self, timeout: float = 5.0) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout)


def serve(
    app: FastAPI,
    host: str,
    port: int,
    workers: Sequence[tuple[str, Worker]] = (),
    *,
    request_lines: bool | None = None,
) -> None:
    """Serve until a signal, then stop the workers; `request_lines`: uvicorn logs a line
    per request (by default as `BATON_SERVICE_REQUEST_LINES` says; the gateway always).

    Every process also witnesses the other stores' checkpoints. Under `BATON_MIGRATE=1`
    (`baton migrate`, run as the owner role) building the app and its workers declared
    every table; the runtime role gets its grants and nothing is served.
    """
    settings = get_settings()
    witness = witness_worker(settings, process_name(app))
    if os.environ.get(MIGRATE_ENV) == "1":
        migrate_grants(settings)
        return
    running = Workers([*workers, *([witness] if witness else [])]).start()
    try:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="info",
            access_log=(
                settings.baton_service_request_lines if request_lines is None else request_lines
            ),
            timeout_graceful_shutdown=3,
        )
        SlowTickServer(config).run()
    finally:
        running.join()


def run_workers(workers: Sequence[tuple[str, Worker]]) -> None:
    """Run `workers` until SIGINT or SIGTERM: a process with nothing to serve."""
    running = Workers(workers)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: running.stop.set())
    running.start()
    while not running.stop.wait(1.0):
        pass
    running.join()


class SlowTickServer(uvicorn.Server):
    """uvicorn's server looking at its exit flag and date header once a second rather
    than ten times: an idle service's main thread then costs a tenth of what it did."""

    async def main_loop(self) -> None:
        while not await self.on_tick(0):  # 0: every tick refreshes the date header
            await asyncio.sleep(1.0)


def relay_worker(
    app: ServiceApplication, settings: Settings, gather: float = 0.0
) -> tuple[str, Worker]:
    """The relay publishing this service's store to its topic (`gather`: `Relay`'s)."""
    assert settings.kafka_bootstrap_servers, "KAFKA_BOOTSTRAP_SERVERS is needed for the relay"
    relay = Relay(
        app,
        settings.kafka_bootstrap_servers,
        topic=settings.topic_of(app.service),
        partitions=settings.topic_partitions,
        signer=settings.audit_keys().signer(app.service),
        checkpointer=checkpointer_for(app, settings),
        checkpoint_interval=settings.audit_checkpoint_seconds,
        gather=gather,
    )
    relay.create_tables()
    return f"{app.service}-relay", relay.run


def own_relay(
    app: ServiceApplication, settings: Settings, gather: float = 0.0
) -> list[tuple[str, Worker]]:
    """The service's relay worker, or none when it runs apart (`BATON_RELAY_APART=1`);
    its tables are declared either way (`baton migrate` runs the service's module)."""
    worker = relay_worker(app, settings, gather)
    return [] if settings.baton_relay_apart else [worker]


def consumer_worker(
    settings: Settings,
    service: str,
    source: str,
    handle: Handler,
    group: str | None = None,
    handle_batch: BatchHandler | None = None,
    wanted: Iterable[str] | None = None,
    gather: float = 0.0,
) -> tuple[str, Worker]:
    """A consumer of `source`'s topic feeding `handle` (or `handle_batch` a poll's records
    at a time), for `service`; woken only for the event types in `wanted` (all when None)
    at once, or `gather` s later, the others later still (`infra.doorbell`)."""
    assert settings.kafka_bootstrap_servers, "KAFKA_BOOTSTRAP_SERVERS is needed for consumers"
    assert settings.database_url, "DATABASE_URL is needed for consumers"
    name = f"{settings.baton_namespace}{group or service}"
    consumer = Consumer(
        name=name,
        topic=settings.topic_of(source),
        bootstrap=settings.kafka_bootstrap_servers,
        handle=handle,
        handle_batch=handle_batch,
        partitions=settings.topic_partitions,
        service=service,
        guard=guard_for(settings, service, name, source),
        dead_letters=dead_letters_of(settings),
        # Rung by the source's relay, and by an administrator's request to retry a letter.
        doorbell=Doorbell(
            settings.database_url,
            settings.topic_of(source),
            retry_bell(dead_letter_schema(settings.baton_namespace)),
            wanted=wanted,
            gather=gather,
        ),
    )
    return f"{service}-follows-{source}", consumer.run


def dead_letters_of(settings: Settings) -> DeadLetters:
    """The platform's dead-letter table (one shared schema per namespace)."""
    assert settings.database_url, "DATABASE_URL is needed for the dead letters"
    return DeadLetters(settings.database_url, dead_letter_schema(settings.baton_namespace))


def migrate_grants(settings: Settings) -> None:
    """Grant the runtime role its share of every schema this process declared."""
    assert settings.database_url, "DATABASE_URL (the owner's) is needed to migrate"
    runtime = os.environ.get("BATON_RUNTIME_ROLE", "baton_runtime")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        for schema in sorted(DECLARED_SCHEMAS):
            grant_runtime(conn, schema, runtime)
    log.info("migrated %s for %s", ", ".join(sorted(DECLARED_SCHEMAS)), runtime)
