"""What every resolver shares: the gateway, coded errors, the session and CSRF checks, and
calls to services carrying the user's token."""

from __future__ import annotations

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
    return GraphQLError(
        error.message_en,
        extensions={
            "code": error.code,
            "message_zh": error.message_zh,
            "message_en": error.message_en,
        },
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
    client = getattr(info.context.get("request"), "client", None)
    return client.host if client and client.host else None


def session(info: Info, *, mutation: bool = False) -> CurrentSession:
    """The caller's valid session (mutations also need its CSRF token); refusals are logged.

    Raise inside `coded()`.
    """
    identity = gateway(info).identity.identity
    operation = info.field_name
    current: CurrentSession | None = info.context.get("session")
    if current is None:
        request = info.context["request"]
        try:
            current = identity.current(request.cookies.get(COOKIE))
        except DomainError as error:
            identity.record(operation, "session", "refused", error.code)
            raise
        info.context["session"] = current
    if mutation:
        try:
            csrf.check(current.csrf_token, info.context["request"].headers.get(csrf.HEADER))
        except DomainError as error:
            identity.record(operation, "session", "refused", error.code, current.user)
            raise
    return current


def call(info: Info, client: ServiceClient, method: str, path: str, **kwargs: Any) -> Any:
    """Call a service for the session's user, with a freshly signed service token."""
    current = session(info)
    parts = gateway(info).identity
    token = parts.signer.sign(current.user, parts.identity.clock())
    return client.request(method, path, token=token, **kwargs)
