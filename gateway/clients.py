"""HTTP clients for the services: the gateway never reads their databases."""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry import propagate

from domain.errors import DomainError


class ServiceError(DomainError):
    """A service refused the request; carries its code and messages through."""


class ServiceUnavailable(DomainError):
    """A service could not be reached or failed."""


class ServiceClient:
    """Calls one service over HTTP, passing the trace context along."""

    def __init__(self, name: str, base_url: str, timeout: float = 15.0) -> None:
        self.name = name
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def request(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        """Call the service; `token` is the signed service token of the user it is for."""
        headers: dict[str, str] = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        propagate.inject(headers)
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                "service_unavailable",
                f"{self.name} 服务暂时不可用",
                f"The {self.name} service is unavailable",
            ) from exc
        if response.status_code >= 500:
            raise ServiceUnavailable(
                "service_failed", f"{self.name} 服务出错", f"The {self.name} service failed"
            )
        body = response.json() if response.content else None
        if response.status_code >= 400:
            error = (body or {}).get("error") or {}
            raise ServiceError(
                error.get("code", "service_refused"),
                error.get("message_zh", "请求被拒绝"),
                error.get("message_en", "The request was refused"),
                status=response.status_code,
            )
        return body

    def close(self) -> None:
        self._http.close()
