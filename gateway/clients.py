"""HTTP clients for the services: the gateway never reads their databases.

One `httpx.AsyncClient` per service, shared by every request, so connections are reused
and a slow call of one user never holds up another. Paths are built with `path()`, which
percent-encodes every parameter, so a value like `../healthz#` stays one path segment.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from opentelemetry import propagate

from domain.errors import DomainError

# Enough connections for the gateway's concurrent users; idle ones are kept for reuse, but
# dropped before uvicorn closes them on its side (5 s), so a reused one is never half-dead.
POOL = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=4)


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
        # HTTP requests sent, counted by the HTTP client itself as each goes out (the cost
        # tests read it): a call that bypassed `request` would still be counted.
        self.calls = 0
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
        propagate.inject(headers)
        try:
            response = await self._http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable.of(self.name) from exc
        if response.status_code >= 500:
            raise ServiceUnavailable.of(self.name, response.status_code)
        body = _json(response)
        if response.status_code >= 400:
            error = (body or {}).get("error") or {} if isinstance(body, dict) else {}
            details = error.get("details") or {}
            raise ServiceError(
                error.get("code", "service_refused"),
                error.get("message_zh", "请求被拒绝"),
                error.get("message_en", "The request was refused"),
                status=response.status_code,
                **_field_of(details),
            )
        return body

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


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
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
