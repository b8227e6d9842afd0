"""Run one service process: its HTTP app in the main thread, workers (relay, consumers)
in background threads, all stopped cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import uvicorn
from fastapi import FastAPI

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
