"""Who is calling a service: the one place a verified service token becomes an `Actor`.

Every service route but health and readiness carries `infra.auth.verified_identity`; staff
routes take `CurrentActor`. A reporter's token (role `reporter` only) reaches the public
progress route and nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from domain.access import Principal
from domain.actors import Actor
from domain.errors import DomainError, Forbidden
from infra.access_log import AccessEntry, AccessRecorder
from infra.auth import ServiceIdentity, verified_identity

__all__ = ["CurrentActor", "Identity", "actor_of", "current_actor", "principal"]

Identity = Annotated[ServiceIdentity, Depends(verified_identity)]


def actor_of(identity: ServiceIdentity) -> Actor:
    """The acting staff member, exactly as the gateway vouched for them."""
    return Actor(
        user_id=identity.user_id,
        username=identity.username,
        name=identity.name,
        organ_code=identity.organ_code,
        office=identity.office,
        roles=identity.roles,
    )


def principal(actor: Actor) -> Principal:
    """The actor as the policy sees them.

    Proposals record the proposer's username, so that is what `Facts.proposed_by` is
    compared with: the principal's id here is the username.
    """
    return Principal(actor.username, actor.organ_code, actor.office, frozenset(actor.roles))


async def current_actor(request: Request, identity: Identity) -> Actor:
    """The staff member calling; a reporter's token or an unusable identity is refused.

    `async` so that FastAPI calls it on the event loop (a plain `def` dependency costs a
    worker-thread hop per request); the refusals' log writes go to a worker thread."""
    if set(identity.roles) == {"reporter"}:
        await run_in_threadpool(_record, request, identity, "reporter_reaches_progress_only")
        raise Forbidden(
            "forbidden",
            "信访举报人只能查询办理进度",
            "A reporter may only ask for progress",
            reason="reporter_reaches_progress_only",
        )
    try:
        return actor_of(identity)
    except DomainError:
        await run_in_threadpool(_record, request, identity, "token_identity_unusable")
        raise Forbidden(
            "forbidden",
            "调用凭证中的身份不可用",
            "The identity in the service token cannot act here",
            reason="token_identity_unusable",
        ) from None


def _record(request: Request, identity: ServiceIdentity, reason: str) -> None:
    log_to: AccessRecorder | None = request.app.state.access_log
    if log_to is None:
        return
    route = request.scope.get("route")
    log_to.record(
        AccessEntry(
            at=datetime.now(UTC),
            action=request.method.lower(),
            object=str(getattr(route, "path", "unrouted")),
            outcome="refused",
            reason=reason,
            user_id=identity.user_id,
            username=identity.username,
            organ=identity.organ_code or None,
        )
    )


CurrentActor = Annotated[Actor, Depends(current_actor)]
