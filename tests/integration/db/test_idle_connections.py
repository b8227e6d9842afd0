"""Every PostgreSQL connection is a server process of a few MiB: the event store's pool
keeps one connection, the side pools none, and both close a burst's extra ones once idle
(issue 15, memory after 20,000 registrations)."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from infra import eventstore
from infra.eventstore import ServiceApplication, connection_pool

pytestmark = pytest.mark.integration


def _busy(pool: ConnectionPool[Any], threads: int = 4) -> None:
    """Hold `threads` connections at once, so the pool grows past its minimum."""

    def hold(_: int) -> None:
        with pool.connection() as conn:
            conn.execute("SELECT pg_sleep(0.3)")

    with ThreadPoolExecutor(threads) as workers:
        list(workers.map(hold, range(threads)))


def _shrinks_to(pool: ConnectionPool[Any], size: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pool.get_stats()["pool_size"] == size:
            return True
        time.sleep(0.1)
    return False


def test_a_side_pool_closes_its_connections_when_idle(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(eventstore, "IDLE_SECONDS", 0.5)
    schema = f"idle_{uuid.uuid4().hex[:8]}"
    eventstore.ensure_schema(database_url, schema)
    pool = connection_pool(database_url, schema, max_size=4)
    try:
        assert pool.get_stats()["pool_size"] == 0
        _busy(pool)
        assert pool.get_stats()["pool_size"] > 1
        assert _shrinks_to(pool, 0)
        with pool.connection() as conn:  # and connects again when needed
            assert conn.execute("SHOW search_path").fetchone() == (schema,)
    finally:
        pool.close()


def test_the_event_store_pool_keeps_one_connection_and_closes_the_rest_when_idle(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(eventstore, "IDLE_SECONDS", 0.5)
    app = ServiceApplication("idle", database_url, schema=f"idle_{uuid.uuid4().hex[:8]}")
    try:
        pool = app.recorder.datastore.pool  # type: ignore[attr-defined]
        assert pool.max_idle == 0.5
        assert pool.min_size == 1 and pool.max_size == 15
        _busy(pool)
        assert pool.get_stats()["pool_size"] > 1
        assert _shrinks_to(pool, 1)
    finally:
        app.close()


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="a server of your own")
def test_the_embedded_server_keeps_its_shared_buffers_small(database_admin_url: str) -> None:
    with psycopg.connect(database_admin_url) as conn:
        row = conn.execute("SHOW shared_buffers").fetchone()
    assert row is not None and row[0] == "32MB"
