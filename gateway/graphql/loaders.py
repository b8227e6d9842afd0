"""Per-request DataLoaders: a page of cases costs a bounded number of service calls.

Each loader gathers the ids its resolvers ask for in one tick and fetches them in one
batch read per service (`POST /petitions/batch`, `POST /cases/batch`). The services
answer only the cases the user may see, so an id missing from the answer is `None` here:
nested edges (a case's repeats, a repeat's holder) never lead out of the user's scope.
Until a service offers its batch read, the loader falls back to one read per id, all
concurrent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from domain.errors import DomainError
from gateway.clients import ServiceClient, ServiceError, path
from gateway.graphql.context import gateway, token

Row = dict[str, Any]
# A refusal by the service means "not for this user": the edge is left out.
_HIDDEN = frozenset({"not_found", "forbidden", "case_not_found", "petition_not_found"})
_NO_BATCH = frozenset({"method_not_allowed", "not_found"})


@dataclass(frozen=True)
class Source:
    """Where one kind of row comes from: a batch route, a single route, the answer's key."""

    service: str
    batch: str
    single: str
    key: str


PETITIONS = Source("intake", "/petitions/batch", "/petitions/{}", "petitions")
HANDLINGS = Source("routing", "/cases/batch", "/cases/{}", "cases")


async def fetch_many(client: ServiceClient, source: Source, ids: Sequence[str], bearer: str
                     ) -> list[Row | None]:
    """Rows for `ids`, in order; `None` for a case the user may not see or that is gone."""
    unique = list(dict.fromkeys(ids))
    try:
        body = await client.request(
            "POST", source.batch, token=bearer, json={"case_ids": unique}
        )
        rows = {str(row["case_id"]): row for row in (body or {}).get(source.key, [])}
    except ServiceError as error:
        if error.code not in _NO_BATCH and error.details.get("status") not in (404, 405):
            raise
        found = await asyncio.gather(*(_one(client, source, i, bearer) for i in unique))
        rows = {i: row for i, row in zip(unique, found, strict=True) if row is not None}
    return [rows.get(i) for i in ids]


async def _one(client: ServiceClient, source: Source, case_id: str, bearer: str) -> Row | None:
    try:
        row: Row = await client.request("GET", path(source.single, case_id), token=bearer)
    except DomainError as error:
        if error.code in _HIDDEN or error.details.get("status") in (403, 404, 422):
            return None
        raise
    return row


def _loader(info: Info, source: Source) -> DataLoader[str, Row | None]:
    async def load(ids: list[str]) -> list[Row | None]:
        client: ServiceClient = getattr(gateway(info), source.service)
        return await fetch_many(client, source, ids, await token(info))

    return DataLoader(load_fn=load)


def loader(info: Info, source: Source) -> DataLoader[str, Row | None]:
    """This request's loader for `source` (one per request: rows belong to its user)."""
    loaders: dict[str, DataLoader[str, Row | None]] = info.context.setdefault("loaders", {})
    if source.key not in loaders:
        loaders[source.key] = _loader(info, source)
    return loaders[source.key]


async def petition(info: Info, case_id: str) -> Row | None:
    return await loader(info, PETITIONS).load(case_id)


async def handling(info: Info, case_id: str) -> Row | None:
    return await loader(info, HANDLINGS).load(case_id)


def prime(info: Info, source: Source, row: Row) -> None:
    """A row a command just answered: later fields of the same request use it."""
    loader(info, source).prime(str(row["case_id"]), row, force=True)


def forget(info: Info, source: Source, case_id: str) -> None:
    """A command changed the case: the next read of it in this request fetches it again."""
    with contextlib.suppress(KeyError):  # nothing cached yet
        loader(info, source).clear(case_id)
