"""HTTP clients for the services: the gateway never reads their databases.

One pool of connections per service, shared by every request, so connections are reused
and a slow call of one user never holds up another. Paths are built with `path()`, which
percent-encodes every parameter, so a value like `../healthz#` stays one path segment.

JSON calls (nearly all of them) go over aiohttp, whose C parser and lean request path cost
the gateway about a tenth of the CPU of httpx's (pure-Python h11 and anyio) per call:
that call was the largest share of the gateway's time per registration. Uploads and
streamed downloads, and every call of a client built on an in-process httpx transport
(the tests run services in-process that way), go over httpx.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp
import httpx
import orjson
from opentelemetry import propagate
from yarl import URL

from domain.errors import DomainError
from infra.telemetry import tracing_on

# Enough connections for the gateway's concurrent users; idle ones are kept for reuse, but
# dropped before uvicorn closes them on its side (5 s), so a reused one is never half-dead.
MAX_CONNECTIONS = 64
KEEPALIVE_SECONDS = 4
POOL = httpx.Limits(
    max_connections=MAX_CONNECTIONS, max_keepalive_connections=32, keepalive_expiry=4
)
JSON_HEADERS = {"Content-Type": "application/json"}


class ServiceError(DomainError):
    """A service refused the request; carries its code and messages through."""


class ServiceUnavailable(DomainError):
    """A service could not be reached or failed; `details["service"]` names it, so a page
    can say which part is unavailable and show the rest."""

    @classmethod
    def of(cls, service: str, status: int | None = None) -> ServiceUnavailable:
        """Unreachable, timed out or not ready (502–504): `service_unavailable`; any other
        5xx: `service_failed`."""
        if status is None or status in _UNAVAILABLE_STATUSES:
            return cls(
                "service_unavailable",
                f"{_LABELS_ZH.get(service, service)}服务暂不可用",
                f"The {service} service is unavailable",
                service=service,
            )
        return cls(
            "service_failed",
            f"{_LABELS_ZH.get(service, service)}服务出错",
            f"The {service} service failed",
            service=service,
        )


_UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
_LABELS_ZH = {"intake": "受理登记", "routing": "流转", "supervision": "督查督办", "stats": "统计"}


def path(template: str, *params: object) -> str:
    """`template` with each `{}` replaced by one percent-encoded parameter (no `/` kept)."""
    return template.format(*(quote(str(p), safe="") for p in params))


class ServiceClient:
    """Calls one service over HTTP, passing the trace context along; counts its requests."""

    def __init__(
        self,
        name: str,
        base_url: str,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        # HTTP requests sent (the cost tests read it), counted where each goes out: by
        # httpx's request hook, and in `_send_json` for aiohttp.
        self.calls = 0
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        # An injected transport serves everything (tests); otherwise JSON goes by aiohttp.
        self._json_over_aiohttp = transport is None
        # Made on first use: an aiohttp session belongs to the event loop it was made in,
        # and the app is built before uvicorn starts its loop.
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            limits=POOL,
            transport=transport,
            event_hooks={"request": [self._count]},
        )

    async def _count(self, _request: httpx.Request) -> None:
        self.calls += 1

    async def request(
        self, method: str, url: str, *, token: str | None = None, **kwargs: Any
    ) -> Any:
        """Call the service; `token` is the signed service token of the user it is for."""
        headers: dict[str, str] = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        # Without a span recorder there is no trace context to pass on (and no baggage):
        # the propagators would only look for one, on every call.
        if tracing_on():
            propagate.inject(headers)
        if self._json_over_aiohttp and kwargs.keys() <= {"json", "params"}:
            status, body = await self._send_json(method, url, headers, **kwargs)
        else:
            status, body = await self._send_httpx(method, url, headers, **kwargs)
        if status >= 400:
            error = (body or {}).get("error") or {} if isinstance(body, dict) else {}
            details = error.get("details") or {}
            raise ServiceError(
                error.get("code", "service_refused"),
                error.get("message_zh", "请求被拒绝"),
                error.get("message_en", "The request was refused"),
                status=status,
                **_field_of(details),
            )
        return body

    async def _send_json(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        json: Any = None,
        params: Any = None,
    ) -> tuple[int, Any]:
        target = URL(self.base_url + url, encoded=True)
        if params:
            # httpx's encoding of values (True as "true", None as "", a list as repeats),
            # which the services were written against.
            target = URL(f"{target}?{httpx.QueryParams(params)}", encoded=True)
        data = None
        if json is not None:
            data = orjson.dumps(json)
            headers = {**JSON_HEADERS, **headers}
        self.calls += 1
        try:
            async with self._aiohttp().request(
                method, target, data=data, headers=headers
            ) as response:
                status, content = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServiceUnavailable.of(self.name) from exc
        if status >= 500:
            raise ServiceUnavailable.of(self.name, status)
        return status, _parsed(content)

    async def _send_httpx(
        self, method: str, url: str, headers: dict[str, str], **kwargs: Any
    ) -> tuple[int, Any]:
        try:
            response = await self._http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable.of(self.name) from exc
        if response.status_code >= 500:
            raise ServiceUnavailable.of(self.name, response.status_code)
        return response.status_code, _parsed(response.content)

    def _aiohttp(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session_loop is not loop:
            self._session_loop = loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS
                ),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                # Services answer JSON; the gateway has no use for cookies they might set.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def stream(self, url: str, *, token: str) -> httpx.Response:
        """A streamed GET (attachment downloads); the caller closes the response."""
        headers = {"Authorization": f"Bearer {token}"}
        propagate.inject(headers)
        request = self._http.build_request("GET", url, headers=headers)
        try:
            return await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable.of(self.name) from exc

    async def close(self) -> None:
        await self._http.aclose()
        if self._session is not None and self._session_loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None


def _parsed(content: bytes) -> Any:
    if not content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


def _field_of(details: dict[str, Any]) -> dict[str, Any]:
    """The form field a service's refusal names (`field`, else the first validation loc)."""
    if isinstance(details.get("field"), str):
        return {"field": details["field"]}
    errors = details.get("errors")
    if isinstance(errors, list) and errors:
        loc = [p for p in errors[0].get("loc", ()) if p not in ("body", "query", "path")]
        if loc:
            return {"field": ".".join(str(p) for p in loc), "errors": errors}
    return {}
