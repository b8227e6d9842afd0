"""The access log 访问日志 for auditors: who did or was refused what, in their subtree."""

from __future__ import annotations

import asyncio
import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.access import Action, Facts, Object
from domain.guards import aware, invalid
from gateway.graphql.context import coded, gateway, session
from infra.access_log import MAX_ROWS, AccessEntry, AccessQuery


@strawberry.enum
class AccessOutcome(Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"


@strawberry.type
class AccessLogEntry:
    """One line of the access log."""

    id: strawberry.ID
    at: dt.datetime
    user: str | None
    organ: str | None
    case_id: str | None
    action: str
    object: str
    outcome: AccessOutcome
    reason: str

    @classmethod
    def of(cls, entry: AccessEntry) -> AccessLogEntry:
        return cls(
            id=strawberry.ID(str(entry.id)),
            at=entry.at,
            user=entry.username,
            organ=entry.organ,
            case_id=entry.case_id,
            action=entry.action,
            object=entry.object,
            outcome=AccessOutcome(entry.outcome),
            reason=entry.reason,
        )


@strawberry.type
class AccessLogQuery:
    @strawberry.field(description="The access log of the auditor's subtree, newest first")
    async def access_log(
        self,
        info: Info,
        user: str | None = None,
        case_id: str | None = None,
        start: Annotated[dt.datetime | None, strawberry.argument(name="from")] = None,
        end: Annotated[dt.datetime | None, strawberry.argument(name="to")] = None,
        outcome: AccessOutcome | None = None,
        first: int | None = 100,
    ) -> list[AccessLogEntry]:
        with coded():
            current = await session(info)
            parts = gateway(info).identity
            organ = current.user.organ_code
            facts = Facts(Object.ACCESS_LOG, organ)
            await asyncio.to_thread(parts.identity.authorize, current.user, Action.LIST, facts)
            first = 100 if first is None else first
            if not 1 <= first <= MAX_ROWS:
                raise invalid(
                    "first_out_of_range",
                    f"first 须在1到{MAX_ROWS}之间",
                    f"first must be 1 to {MAX_ROWS}",
                    field="first",
                )
            start, end = (aware(t) if t else None for t in (start, end))
            if start and end and start > end:
                raise invalid(
                    "date_range_invalid", "起始时间晚于结束时间", "The start is after the end"
                )
            query = AccessQuery(
                subtree=organ,
                username=user,
                case_id=case_id,
                start=start,
                end=end,
                outcome=outcome.value if outcome else None,
                first=first,
                include_anonymous=gateway(info).org_tree.get(organ).parent is None,
            )
            entries = await asyncio.to_thread(parts.access_log.query, query)
            # Reads by auditors are themselves recorded.
            await asyncio.to_thread(
                parts.identity.record,
                "list",
                "access_log",
                "allowed",
                "auditor_reads_access_log",
                current.user,
            )
            return [AccessLogEntry.of(entry) for entry in entries]
