"""Run one service process: its HTTP app in the main thread, workers (relay, consumers)
in background threads, all stopped cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import uvicorn
from fastapi import FastAPI

from infra.consumer import Consumer, Handler
from infra.eventstore import ServiceApplication
from infra.relay import Relay
from infra.settings import Settings

log = logging.getLogger(__name__)

Worker = Callable[[threading.Event], None]


class Workers:
    """Background loops sharing one stop flag."""

    def __init__(self, workers: Sequence[tuple[str, Worker]]) -> None:
        self.stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._guard, args=(name, fn), name=name, daemon=True)
            for name, fn in workers
        ]

    def _guard(self, name: str, fn: Worker) -> None:
        try:
            fn(self.stop)
        except Exception:
            log.exception("worker %s died", name)

    def start(self) -> Workers:
        for thread in self._threads:
            thread.start()
        return self

    def join(self, timeout: float = 5.0) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout)


def serve(app: FastAPI, host: str, port: int, workers: Sequence[tuple[str, Worker]] = ()) -> None:
    """Serve until a signal, then stop the workers."""
    running = Workers(workers).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=3)
    finally:
        running.join()


def relay_worker(app: ServiceApplication, settings: Settings) -> tuple[str, Worker]:
    """The relay publishing this service's store to its topic."""
    assert settings.kafka_bootstrap_servers, "KAFKA_BOOTSTRAP_SERVERS is needed for the relay"
    relay = Relay(
        app,
        settings.kafka_bootstrap_servers,
        topic=settings.topic_of(app.service),
        partitions=settings.topic_partitions,
    )
    return f"{app.service}-relay", relay.run


def consumer_worker(
    settings: Settings,
    service: str,
    source: str,
    handle: Handler,
    group: str | None = None,
) -> tuple[str, Worker]:
    """A consumer of `source`'s topic feeding `handle`, for `service`."""
    assert settings.kafka_bootstrap_servers, "KAFKA_BOOTSTRAP_SERVERS is needed for consumers"
    consumer = Consumer(
        name=f"{settings.baton_namespace}{group or service}",
        topic=settings.topic_of(source),
        bootstrap=settings.kafka_bootstrap_servers,
        handle=handle,
        partitions=settings.topic_partitions,
        service=service,
    )
    return f"{service}-follows-{source}", consumer.run
