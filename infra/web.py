"""FastAPI app factory: health and readiness, and errors as stable codes in two languages."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import DomainError
from infra.access_log import AccessEntry, AccessRecorder
from infra.aggregates import concurrent_update
from infra.auth import TokenVerifier
from infra.settings import Settings
from infra.telemetry import instrument_app

log = logging.getLogger(__name__)

STATUS_BY_KIND = {
    "invalid": 422,
    "malformed": 400,
    "not_found": 404,
    "conflict": 409,
    "forbidden": 403,
    "too_many": 429,
    "unauthenticated": 401,
}


class ErrorDetail(BaseModel):
    """One refusal: a stable code and messages in Chinese and English."""

    code: str
    message_zh: str
    message_en: str
    details: dict[str, Any] = {}


class ErrorBody(BaseModel):
    """The body of every 4xx answer."""

    error: ErrorDetail


# A database that restarts or cannot be reached (AdminShutdown, a broken pooled connection,
# a pool timeout): the code and messages every service and the gateway answer with.
DATABASE_FAULTS: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    StoreOperationalError,
    StoreInterfaceError,
)
DATABASE_UNAVAILABLE = (
    "database_unavailable",
    "数据库暂时不可用，请稍后重试",
    "The database is unavailable for a moment; try again",
)


def _declared(status: int, description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _declared(400, "Malformed body (not JSON or not UTF-8) 请求体格式错误"),
    401: _declared(401, "Not authenticated 未认证"),
    403: _declared(403, "Forbidden 无权操作"),
    404: _declared(404, "Not found 未找到"),
    409: _declared(409, "Conflict with the current state 与当前状态冲突"),
    422: _declared(422, "Invalid input 输入有误"),
    429: _declared(429, "Too many requests 请求过于频繁"),
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The declared error responses for a route, picked by status."""
    return {status: ERROR_RESPONSES[status] for status in statuses}


def error_json(status: int, code: str, zh: str, en: str, /, **details: Any) -> JSONResponse:
    """A coded bilingual error body; details may use any name (positional-only above)."""
    body = ErrorBody(error=ErrorDetail(code=code, message_zh=zh, message_en=en, details=details))
    return JSONResponse(status_code=status, content=body.model_dump())


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Locations and types only: the rejected input itself may be a reporter's identity.
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "type": err.get("type", "")}
        for err in exc.errors()
    ]


class BodySizeLimit:
    """Refuse a request body over `max_bytes` (413), declared or streamed in chunks, before
    anything downstream spools it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # FastAPI turns a failed body read into its own 400; ours replaces it.
            if not too_large:
                await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if too_large:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_json(
            413,
            "request_too_large",
            "请求内容超过大小上限",
            "The request body is larger than allowed",
            max_bytes=self.max_bytes,
        )
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def create_service_app(
    service: str,
    *,
    readiness: Sequence[Callable[[], None]] = (),
    title: str | None = None,
    max_body_bytes: int = 32 * 1024 * 1024,
    verifier: TokenVerifier | None = None,
    access_log: AccessRecorder | None = None,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app with /healthz, /readyz and the error conventions.

    A service passes the `verifier` of its callers' tokens (`infra.auth.verified_identity`
    reads it) and the `access_log` its refusals and sensitive reads go to; a 401 is written
    there with the route, never the token.
    """
    app = FastAPI(title=title or f"Baton {service}", **fastapi_kwargs)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.state.token_verifier = verifier
    app.state.access_log = access_log

    @app.exception_handler(DomainError)
    def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if exc.kind == "unauthenticated" and app.state.access_log is not None:
            _record_unauthenticated(app.state.access_log, service, request, exc.code)
        return error_json(
            STATUS_BY_KIND[exc.kind], exc.code, exc.message_zh, exc.message_en, **exc.details
        )

    @app.exception_handler(IntegrityError)
    def lost_race(request: Request, exc: IntegrityError) -> JSONResponse:
        # Another writer stored the same aggregate version first: the same 409 in every
        # service, whether or not its application caught the error itself.
        return domain_error(request, concurrent_update())

    # A database that restarts or cannot be reached under a request (AdminShutdown, a
    # broken pooled connection, a pool timeout): coded and retryable, never a bare 500.
    # Nothing half-written: the transaction that met it was rolled back.
    def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning(
            "%s: database unavailable on %s %s: %s",
            service,
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return error_json(503, *DATABASE_UNAVAILABLE)

    for unavailable in DATABASE_FAULTS:
        app.add_exception_handler(unavailable, database_unavailable)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_json(
            422,
            "request_invalid",
            "请求内容不符合要求",
            "The request does not match the expected form",
            errors=_validation_details(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {
            400: ("request_malformed", "请求内容无法解析", "The request body could not be read"),
            404: ("not_found", "未找到", "Not found"),
            405: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
        }
        code, zh, en = messages.get(exc.status_code, ("http_error", "请求失败", str(exc.detail)))
        return error_json(exc.status_code, code, zh, en)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok", "service": service}

    @app.get(
        "/readyz",
        tags=["health"],
        responses={503: {"model": ErrorBody, "description": "Not ready 未就绪"}},
    )
    def readyz() -> Any:
        """The process can reach what it needs (database, broker)."""
        for check in readiness:
            try:
                check()
            except Exception as exc:
                log.warning("%s not ready: %s", service, type(exc).__name__)
                return error_json(503, "not_ready", "服务未就绪", "Not ready", check=check.__name__)
        return {"status": "ready", "service": service}

    instrument_app(app, service)
    return app


def _record_unauthenticated(
    log_to: AccessRecorder, service: str, request: Request, code: str
) -> None:
    route = request.scope.get("route")
    path = getattr(route, "path", None) or "unrouted"
    case_id = request.path_params.get("case_id")
    log_to.record(
        AccessEntry(
            at=datetime.now(UTC),
            action=request.method.lower(),
            object=f"{service}:{path}",
            outcome="refused",
            reason=code,
            case_id=None if case_id is None else str(case_id),
        )
    )


def readiness_checks(settings: Settings) -> list[Callable[[], None]]:
    """Readiness of a service: the database and the broker, whichever it is configured with."""
    checks = []
    if settings.database_url:
        checks.append(database_check(settings.database_url))
    if settings.kafka_bootstrap_servers:
        checks.append(broker_check(settings.kafka_bootstrap_servers))
    return checks


def database_check(database_url: str) -> Callable[[], None]:
    def database() -> None:
        import psycopg

        with psycopg.connect(database_url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")

    return database


def broker_check(bootstrap: str) -> Callable[[], None]:
    def broker() -> None:
        from kafka import KafkaAdminClient

        from infra.kafka_security import client_security

        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=2000, **client_security()
        )
        try:
            admin.list_topics()
        finally:
            admin.close()

    return broker
