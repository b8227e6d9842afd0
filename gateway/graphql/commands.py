"""What every case mutation does: check the session and CSRF token, check the case id,
send the command to its service with the user's token, and answer the case as it stands."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from gateway.clients import ServiceClient, path
from gateway.graphql import loaders
from gateway.graphql.cases import Case
from gateway.graphql.context import call, coded, gateway, session
from gateway.graphql.worklists import case_id

Row = dict[str, Any]


def body(**fields: Any) -> dict[str, Any]:
    """A command body without the fields left out (None)."""
    return {k: v for k, v in fields.items() if v is not None}


async def run(
    info: Info,
    service: str,
    template: str,
    ids: tuple[str, ...],
    payload: dict[str, Any],
    *,
    keyed: bool = False,
) -> Case:
    """POST `payload` to `template` (filled with the encoded `ids`) as the session's user;
    a `keyed` command passes the client's Idempotency-Key on."""
    with coded():
        await session(info, mutation=True)
        checked = tuple(case_id(str(i), field) for i, field in zip(ids, _ID_FIELDS, strict=False))
        client: ServiceClient = getattr(gateway(info), service)
        answer = await call(
            info, client, "POST", path(template, *checked), json=payload, keyed=keyed
        )
    case = checked[0]
    # The command changed the case: fields read later in this request see the new state.
    if service == "routing" and isinstance(answer, dict) and "holder" in answer:
        loaders.prime(info, loaders.HANDLINGS, answer)
    else:
        loaders.forget(info, loaders.HANDLINGS, case)
    loaders.forget(info, loaders.PETITIONS, case)
    return Case(id=strawberry.ID(case))


_ID_FIELDS = ("caseId", "transferId")
