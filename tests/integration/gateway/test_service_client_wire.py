"""The service client's JSON calls over real HTTP (aiohttp): what a service receives (the
path still percent-encoded, the query as httpx would encode it, the JSON body, the token)
and how its answers come back (a coded refusal, a failure, an unreachable service)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from gateway.clients import ServiceClient, ServiceError, ServiceUnavailable, path
from infra.embedded import free_port

pytestmark = pytest.mark.integration


def echo_service() -> FastAPI:
    app = FastAPI()

    @app.api_route("/echo/{rest:path}", methods=["GET", "POST"])
    async def echo(request: Request, rest: str) -> dict[str, Any]:
        raw = await request.body()
        return {
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(),
            "body": raw.decode() if raw else None,
            "content_type": request.headers.get("content-type"),
            "authorization": request.headers.get("authorization"),
            "actor": request.headers.get("x-baton-actor"),
        }

    @app.post("/refuse")
    async def refuse() -> JSONResponse:
        error = {
            "code": "organ_unknown",
            "message_zh": "机关代码不存在",
            "message_en": "Unknown organ",
            "details": {"field": "organ_code"},
        }
        return JSONResponse({"error": error}, status_code=422)

    @app.get("/fail/{status}")
    async def fail(status: int) -> Response:
        return Response(status_code=status)

    @app.delete("/nothing")
    async def nothing() -> Response:
        return Response(status_code=204)

    return app


@pytest.fixture(scope="module")
def service_url() -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(echo_service(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def calling(client: ServiceClient, *calls: tuple[str, str, dict[str, Any]]) -> list[Any]:
    """Each call's answer (or the exception it raised), all in one event loop."""

    async def run() -> list[Any]:
        answers: list[Any] = []
        try:
            for method, url, kwargs in calls:
                try:
                    answers.append(await client.request(method, url, **kwargs))
                except Exception as exc:
                    answers.append(exc)
        finally:
            await client.close()
        return answers

    return asyncio.run(run())


def test_a_json_call_arrives_as_sent(service_url: str) -> None:
    client = ServiceClient("intake", service_url)
    [posted, queried] = calling(
        client,
        (
            "POST",
            path("/echo/{}", "../healthz#"),
            {
                "token": "t0k3n",
                "headers": {"X-Baton-Actor": "clerk.620102"},
                "json": {"summary": '来信反映 "补贴"', "n": 3},
            },
        ),
        ("GET", "/echo/x", {"params": {"as_of": None, "ids": ["a b", "c&d"], "open": True}}),
    )
    assert posted["raw_path"] == "/echo/..%2Fhealthz%23"
    assert posted["authorization"] == "Bearer t0k3n"
    assert posted["actor"] == "clerk.620102"
    assert posted["content_type"] == "application/json"
    assert posted["body"] == '{"summary":"来信反映 \\"补贴\\"","n":3}'
    assert queried["query"] == "as_of=&ids=a+b&ids=c%26d&open=true"
    assert queried["body"] is None
    assert client.calls == 2


def test_refusals_failures_and_empty_answers(service_url: str) -> None:
    [refused, failed, not_ready, empty] = calling(
        ServiceClient("intake", service_url),
        ("POST", "/refuse", {"json": {}}),
        ("GET", "/fail/500", {}),
        ("GET", "/fail/503", {}),
        ("DELETE", "/nothing", {}),
    )
    assert isinstance(refused, ServiceError)
    assert (refused.code, refused.message_zh, refused.details["field"]) == (
        "organ_unknown",
        "机关代码不存在",
        "organ_code",
    )
    assert isinstance(failed, ServiceUnavailable) and failed.code == "service_failed"
    assert isinstance(not_ready, ServiceUnavailable) and not_ready.code == "service_unavailable"
    assert empty is None


def test_an_unreachable_service_is_unavailable() -> None:
    [answer] = calling(
        ServiceClient("stats", f"http://127.0.0.1:{free_port()}"), ("GET", "/organs/62", {})
    )
    assert isinstance(answer, ServiceUnavailable)
    assert (answer.code, answer.details["service"]) == ("service_unavailable", "stats")
