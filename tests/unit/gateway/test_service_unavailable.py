"""A service that is down is a coded error naming it: `service_unavailable` when it cannot
be reached or is not ready (502–504), `service_failed` for another 5xx; the GraphQL error
carries the service in its extensions so a page can say which part is unavailable."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.clients import ServiceClient, ServiceUnavailable
from gateway.graphql.context import graphql_error


def failing(answer: httpx.Response | Exception) -> ServiceClient:
    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    return ServiceClient("stats", "http://stats.invalid", transport=httpx.MockTransport(handle))


def refusal(client: ServiceClient) -> ServiceUnavailable:
    with pytest.raises(ServiceUnavailable) as raised:
        asyncio.run(client.request("GET", "/organs/62/stats"))
    return raised.value


@pytest.mark.parametrize(
    "answer",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(502),
        httpx.Response(503),
        httpx.Response(504),
    ],
)
def test_unreachable_or_not_ready_is_service_unavailable(answer: object) -> None:
    error = refusal(failing(answer))  # type: ignore[arg-type]
    assert error.code == "service_unavailable"
    assert error.details["service"] == "stats"
    assert error.message_zh == "统计服务暂不可用"
    assert "stats" in error.message_en

    extensions = graphql_error(error).extensions or {}
    assert extensions["code"] == "service_unavailable"
    assert extensions["service"] == "stats"


def test_another_server_error_is_service_failed_naming_the_service() -> None:
    error = refusal(failing(httpx.Response(500)))
    assert error.code == "service_failed"
    assert (graphql_error(error).extensions or {})["service"] == "stats"
