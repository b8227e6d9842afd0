"""The gateway serves users concurrently: a slow service call of one request does not
hold up another (real HTTP to a deliberately slow upstream standing in for intake)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from gateway.app import build
from infra.embedded import free_port

pytestmark = pytest.mark.integration

DELAY = 1.0
PROGRESS = '{ progress(code: "ABCD-EFGH-JKMN") { stage } }'


def slow_intake() -> FastAPI:
    app = FastAPI()

    @app.post("/public/progress")
    async def progress() -> dict:
        await asyncio.sleep(DELAY)
        return {
            "stage": "accepted",
            "message_zh": "已受理",
            "message_en": "Accepted",
            "received_on": "2026-01-02",
        }

    return app


@pytest.fixture
def upstream_port() -> Iterator[int]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(slow_intake(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=5)


def test_two_requests_against_a_slow_service_finish_together(gateway_settings, upstream_port):
    settings = gateway_settings.model_copy(update={"intake_port": upstream_port})
    app = build(settings)

    async def both() -> tuple[float, list[dict]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            await client.post("/graphql", json={"query": PROGRESS})  # connections warm
            started = time.perf_counter()
            answers = await asyncio.gather(
                *(client.post("/graphql", json={"query": PROGRESS}) for _ in range(2))
            )
            return time.perf_counter() - started, [a.json() for a in answers]

    try:
        elapsed, bodies = asyncio.run(both())
    finally:
        app.state.gateway.identity.close()
    assert [b["data"]["progress"]["stage"] for b in bodies] == ["accepted", "accepted"]
    # Served one after the other this would take 2 × DELAY.
    assert DELAY <= elapsed < 1.5 * DELAY, elapsed
