"""What every resolver shares: the gateway, coded errors, the session and CSRF checks, and
calls to services carrying the user's token.

Resolvers are async: the session lookup (unless a few seconds' cache has it) and
access-log writes (blocking database calls) run in worker threads, and services are
called with the shared async clients, so one user's slow request never holds up another's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from strawberry.types import Info

from domain.errors import DomainError
from gateway.identity import csrf
from gateway.identity.service import CurrentSession
from gateway.identity.sessions import COOKIE

if TYPE_CHECKING:
    from gateway.app import Gateway
    from gateway.clients import ServiceClient


def graphql_error(error: DomainError) -> GraphQLError:
    extensions: dict[str, Any] = {
        "code": error.code,
        "message_zh": error.message_zh,
        "message_en": error.message_en,
    }
    # The form shows the message next to this field.
    if isinstance(error.details.get("field"), str):
        extensions["field"] = camel(error.details["field"])
    # A service that is down: the page says which part is unavailable and shows the rest.
    if isinstance(error.details.get("service"), str):
        extensions["service"] = error.details["service"]
    return GraphQLError(error.message_en, extensions=extensions)


def camel(field: str) -> str:
    """A service's field path (`reporter.id_number`) as the GraphQL input names it."""
    return ".".join(
        head + "".join(part.title() for part in rest)
        for head, *rest in (segment.split("_") for segment in field.split("."))
    )


@contextmanager
def coded() -> Iterator[None]:
    """Turn a domain refusal raised inside into a GraphQL error with its code and messages."""
    try:
        yield
    except DomainError as error:
        raise graphql_error(error) from error


def gateway(info: Info) -> Gateway:
    return info.context["gateway"]  # type: ignore[no-any-return]


def client_address(info: Info) -> str | None:
    """The real client: the peer, or what a trusted proxy says it forwarded for."""
    request = info.context.get("request")
    return gateway(info).client_address(request) if request is not None else None


async def session(info: Info, *, mutation: bool = False) -> CurrentSession:
    """The caller's valid session (mutations also need its CSRF token); refusals are logged.

    Raise inside `coded()`.
    """
    identity = gateway(info).identity.identity
    operation = info.field_name
    current: CurrentSession | None = info.context.get("session")
    if current is None:
        cookie = info.context["request"].cookies.get(COOKIE)
        # Seconds-old sessions come from memory, without a thread or a database round trip.
        current = identity.current_cached(cookie)
        if current is None:
            try:
                current = await asyncio.to_thread(identity.current, cookie)
            except DomainError as error:
                await asyncio.to_thread(
                    identity.record, operation, "session", "refused", error.code
                )
                raise
        info.context["session"] = current
    if mutation:
        try:
            csrf.check(current.csrf_token, info.context["request"].headers.get(csrf.HEADER))
        except DomainError as error:
            await asyncio.to_thread(
                identity.record, operation, "session", "refused", error.code, current.user
            )
            raise
    return current


async def token(info: Info) -> str:
    """The session user's service token (the signer reuses one per user for most of its
    life)."""
    signed: str | None = info.context.get("service_token")
    if signed is None:
        current = await session(info)
        parts = gateway(info).identity
        signed = parts.signer.token_for(current.user, parts.identity.clock())
        info.context["service_token"] = signed
    return signed


IDEMPOTENCY_HEADER = "Idempotency-Key"


async def call(
    info: Info, client: ServiceClient, method: str, url: str, *, keyed: bool = False, **kwargs: Any
) -> Any:
    """Call a service for the session's user, with their service token.

    A `keyed` call (a mutation that creates something) passes on the client's
    `Idempotency-Key` header; the service scopes it by the user the token names.
    """
    signed = await token(info)
    # Until every service reads the actor from the token (phase 2 of the identity work).
    headers = {"X-Baton-Actor": info.context["session"].user.username, **kwargs.pop("headers", {})}
    request = info.context.get("request")
    key = request.headers.get(IDEMPOTENCY_HEADER) if keyed and request is not None else None
    if key is not None:
        headers[IDEMPOTENCY_HEADER] = key
    return await client.request(method, url, token=signed, headers=headers, **kwargs)
