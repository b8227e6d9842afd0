"""Finding cases: `case(id)`, `cases(filter, first, after)` search and `inbox(office)`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from domain.guards import invalid
from gateway.clients import path
from gateway.graphql import loaders
from gateway.graphql.case_types import Transfer
from gateway.graphql.cases import Case
from gateway.graphql.context import call, coded, gateway, session

MAX_PAGE = 100
TRAYS = ("held", "incoming", "awaiting_approval", "came_back", "sent_elsewhere")


def case_id(value: str, field: str = "id") -> str:
    """A case id is a UUID; anything else is refused before it reaches a service."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError):
        raise invalid(
            "case_id_invalid", "案件编号格式不正确", "The case id is not valid", field=field
        ) from None


@strawberry.input
class CaseFilter:
    """Search 案件查询: every given condition must hold."""

    registration_number: str | None = None
    reported_person: str | None = None
    text: str | None = None
    stage: str | None = None
    channel: str | None = None
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None
    organ: str | None = None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CaseEdge:
    cursor: str
    node: Case


@strawberry.type
class CaseConnection:
    """One page of cases, newest first."""

    edges: list[CaseEdge]
    page_info: PageInfo


@strawberry.type
class InboxItem:
    """A case in one tray of the inbox, with the transfer that put it there if any."""

    case: Case
    status: str
    holder_organ_code: str | None
    holder_office: str | None
    repeats: int
    transfer: Transfer | None


@strawberry.type
class Inbox:
    """An office's trays 待办 with their counts (闭环管理: what it sent stays until closed)."""

    organ_code: str
    office: str | None
    held: list[InboxItem]
    incoming: list[InboxItem]
    awaiting_approval: list[InboxItem]
    came_back: list[InboxItem]
    sent_elsewhere: list[InboxItem]

    counts: InboxCounts


@strawberry.type
class InboxCounts:
    held: int
    incoming: int
    awaiting_approval: int
    came_back: int
    sent_elsewhere: int


def _item(row: dict[str, Any]) -> InboxItem:
    transfer = row.get("transfer") or row.get("pending_transfer")
    return InboxItem(
        case=Case(id=strawberry.ID(str(row["case_id"]))),
        status=row.get("status", ""),
        holder_organ_code=row.get("holder_organ"),
        holder_office=row.get("holder_office"),
        repeats=int(row.get("repeats") or 0),
        transfer=Transfer.of(transfer) if transfer else None,
    )


def _search_params(f: CaseFilter | None, first: int, after: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"first": first}
    if after:
        params["after"] = after
    if f is not None:
        if f.registered_from and f.registered_to and f.registered_from > f.registered_to:
            raise invalid(
                "date_range_invalid",
                "起始日期晚于结束日期",
                "The start is after the end",
                field="registeredFrom",
            )
        for name in ("registration_number", "reported_person", "text", "stage", "channel", "organ"):
            value = getattr(f, name)
            if value:
                params[name] = value
        if f.registered_from:
            params["from"] = f.registered_from.isoformat()
        if f.registered_to:
            params["to"] = f.registered_to.isoformat()
    return params


@strawberry.type
class CaseQuery:
    @strawberry.field(description="One case, if the user may see it 案件详情")
    async def case(self, info: Info, id: strawberry.ID) -> Case:
        with coded():
            await session(info)
            checked = case_id(str(id))
            # Read directly, not through the loader: a refusal keeps its own code here.
            row = await call(info, gateway(info).intake, "GET", path("/petitions/{}", checked))
        loaders.prime(info, loaders.PETITIONS, row)
        return Case(id=strawberry.ID(checked))

    @strawberry.field(description="Search the user's scope 案件查询, newest first, paginated")
    async def cases(
        self,
        info: Info,
        filter: CaseFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> CaseConnection:
        with coded():
            await session(info)
            if not 1 <= first <= MAX_PAGE:
                raise invalid(
                    "first_out_of_range",
                    f"first 须在1到{MAX_PAGE}之间",
                    f"first must be 1 to {MAX_PAGE}",
                    field="first",
                )
            params = _search_params(filter, first, after)
            body = await call(info, gateway(info).intake, "GET", "/petitions", params=params)
        items = body.get("items", []) if isinstance(body, dict) else []
        edges = [
            CaseEdge(
                cursor=str(row["case_id"]),
                node=Case(id=strawberry.ID(str(row["case_id"])), listed=row),
            )
            for row in items
        ]
        following = body.get("next_cursor") if isinstance(body, dict) else None
        return CaseConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=following is not None, end_cursor=following),
        )

    @strawberry.field(description="What the user's office holds and waits for 待办")
    async def inbox(self, info: Info, office: str | None = None) -> Inbox:
        with coded():
            current = await session(info)
            params = {
                "organ_code": current.user.organ_code,
                "office": office or current.user.office,
            }
            body = await call(info, gateway(info).routing, "GET", "/inbox", params=params)
        trays = {tray: [_item(r) for r in body.get(tray, [])] for tray in TRAYS}
        counts = body.get("counts") or {tray: len(rows) for tray, rows in trays.items()}
        return Inbox(
            organ_code=body.get("organ_code", current.user.organ_code),
            office=body.get("office"),
            counts=InboxCounts(**{tray: int(counts.get(tray, 0)) for tray in TRAYS}),
            **trays,
        )
