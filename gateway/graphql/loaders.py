"""Per-request DataLoaders: a page of cases costs a bounded number of service calls.

Each loader gathers the ids its resolvers ask for in one tick and fetches them with one
batch read per service and 100 ids (routing: `GET /cases?ids=…`, intake:
`GET /petitions/batch?ids=…`). The services answer only the cases the user may see, so an
id missing from the answer is `None` here: nested edges (a case's repeats, a repeat's
holder) never lead out of the user's scope.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gateway.clients import ServiceClient
from gateway.graphql.context import gateway, token

Row = dict[str, Any]


@dataclass(frozen=True)
class Source:
    """Where one kind of row comes from: a batch route (GET with `ids`, answering
    `{key: [rows], "missing": [ids]}`) of one service."""

    service: str
    batch: str
    key: str


PETITIONS = Source("intake", "/petitions/batch", "petitions")
HANDLINGS = Source("routing", "/cases", "cases")
# Supervision answers `{case_id, deadlines}` per case in scope.
CASE_DEADLINES = Source("supervision", "/cases/deadlines", "case_deadlines")
BATCH_MAX = 100


async def fetch_many(
    client: ServiceClient, source: Source, ids: Sequence[str], bearer: str
) -> list[Row | None]:
    """Rows for `ids`, in order; `None` for a case the user may not see or that is gone."""
    unique = list(dict.fromkeys(ids))
    rows: dict[str, Row] = {}
    for start in range(0, len(unique), BATCH_MAX):
        chunk = unique[start : start + BATCH_MAX]
        body = await client.request("GET", source.batch, token=bearer, params={"ids": chunk})
        rows.update({str(row["case_id"]): row for row in (body or {}).get(source.key, [])})
    return [rows.get(i) for i in ids]


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


async def case_deadlines(info: Info, case_id: str) -> list[Row]:
    """The clocks of a case in scope (none for one out of scope): one read per page."""
    row = await loader(info, CASE_DEADLINES).load(case_id)
    return list(row["deadlines"]) if row else []


def prime(info: Info, source: Source, row: Row) -> None:
    """A row a command just answered: later fields of the same request use it."""
    loader(info, source).prime(str(row["case_id"]), row, force=True)


def forget(info: Info, source: Source, case_id: str) -> None:
    """A command changed the case: the next read of it in this request fetches it again."""
    with contextlib.suppress(KeyError):  # nothing cached yet
        loader(info, source).clear(case_id)
