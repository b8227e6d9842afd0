"""`caseHistory(caseId, asOf)` 案件回放: the case as it stood at a past moment, merged from
the owning services' replays (intake: the petition, routing: its handling, supervision:
its deadlines), every event up to then with its audit leaf and inclusion path, and each
store's latest checkpoint with whether its signature holds.

Auditors only; each service scopes the case to the auditor's subtree where it loads it,
and the gateway writes the replay (who, case, as of) to the access log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.guards import invalid
from gateway.clients import ServiceClient, ServiceError, path
from gateway.graphql.audit import auditor
from gateway.graphql.context import call, coded, gateway
from infra.audit.checkpoints import Checkpoint

Row = dict[str, Any]


@strawberry.type
class HistoryEvent:
    """One stored event up to the moment, with its audit evidence."""

    service: str
    aggregate_id: str
    sequence: int
    what: str
    who: str | None
    organ_code: str | None
    office: str | None
    at: str
    recorded_at: str
    audit_sequence: int | None
    leaf: str | None
    path: list[str] | None

    @classmethod
    def of(cls, service: str, e: Row) -> HistoryEvent:
        return cls(
            service=service,
            aggregate_id=str(e["originator_id"]),
            sequence=int(e["sequence"]),
            what=str(e["what"]),
            who=e.get("who"),
            organ_code=e.get("organ"),
            office=e.get("office"),
            at=str(e["at"]),
            recorded_at=str(e["recorded_at"]),
            audit_sequence=e.get("audit_sequence"),
            leaf=e.get("leaf"),
            path=e.get("path"),
        )


@strawberry.type
class HistoryCheckpoint:
    """The latest signed checkpoint of a store the proofs are against."""

    service: str
    store: str
    size: int
    root: str
    head: str
    at: str
    signature: str
    signature_ok: bool


@strawberry.type
class CaseHistory:
    """The case as it stood at `as_of`."""

    case_id: strawberry.ID
    as_of: dt.datetime
    registration_number: str
    stage: str
    status: str | None
    facts: JSON = strawberry.field(description="Registration facts 登记信息 then (intake)")
    handling: JSON | None = strawberry.field(description="Handling then 办理 (routing)")
    holder: JSON | None
    custody: JSON
    deadlines: JSON = strawberry.field(description="Deadlines and warnings then 期限与预警")
    events: list[HistoryEvent]
    checkpoints: list[HistoryCheckpoint]


def parse_moment(text: str) -> dt.datetime:
    """An ISO 8601 moment with its zone, or a coded refusal."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise invalid(
            "as_of_invalid", "时间格式无效(应为 ISO 8601)", "Not a valid ISO 8601 moment",
            field="as_of",
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise invalid(
            "datetime_without_timezone", "时间必须带时区", "A time must carry its time zone",
            field="as_of",
        )
    return moment


def _case_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise invalid(
            "case_id_invalid", "案件编号格式无效", "Not a valid case id", field="case_id"
        ) from None


async def _replay(info: Info, client: ServiceClient, url: str, as_of: str) -> Row | None:
    """A service's replay; None when the service has nothing of the case (404)."""
    try:
        found: Row = await call(info, client, "GET", url, params={"as_of": as_of})
    except ServiceError as error:
        if error.details.get("status") == 404:
            return None
        raise
    return found


def _checkpoint(info: Info, found: Row | None) -> HistoryCheckpoint | None:
    if not found or not found.get("checkpoint"):
        return None
    cp = Checkpoint(**{k: found["checkpoint"][k] for k in Checkpoint.__dataclass_fields__})
    keys = gateway(info).audit_keys
    holds = False
    if keys is not None:
        try:
            holds = cp.signature_holds(keys.public_key(cp.service))
        except ValueError:  # no key known for that service
            holds = False
    return HistoryCheckpoint(
        service=cp.service, store=cp.store, size=cp.size, root=cp.root, head=cp.head, at=cp.at,
        signature=cp.signature, signature_ok=holds,
    )


@strawberry.type
class HistoryQuery:
    @strawberry.field(description="The case as it stood at a past moment 案件回放 (auditors)")
    async def case_history(self, info: Info, case_id: strawberry.ID, as_of: str) -> CaseHistory:
        with coded():
            current = await auditor(info, case_id=str(case_id))
            case = _case_id(str(case_id))
            moment = parse_moment(as_of)
            stamp = moment.isoformat()
            g = gateway(info)
            # Intake first: it refuses an unknown or out-of-scope case (404) and a moment
            # before registration, before the others are asked.
            petition: Row = await call(
                info, g.intake, "GET", path("/petitions/{}/history", case),
                params={"as_of": stamp},
            )
            handling, deadlines = await asyncio.gather(
                _replay(info, g.routing, path("/cases/{}/history", case), stamp),
                _replay(info, g.supervision, path("/cases/{}/history", case), stamp),
            )
            await asyncio.to_thread(
                g.identity.identity.record,
                "replay", "case", "allowed", f"replay_as_of:{stamp}", current.user, case,
            )
        facts: Any = petition["state"]
        handled: Any = (handling or {}).get("state")
        events = [
            HistoryEvent.of(service, e)
            for service, found in (
                ("intake", petition), ("routing", handling), ("supervision", deadlines)
            )
            for e in (found or {}).get("events", [])
        ]
        events.sort(key=lambda e: (dt.datetime.fromisoformat(e.recorded_at), e.service))
        checkpoints = [
            cp for found in (petition, handling, deadlines)
            if (cp := _checkpoint(info, found)) is not None
        ]
        return CaseHistory(
            case_id=strawberry.ID(case),
            as_of=moment,
            registration_number=str(facts.get("registration_number") or ""),
            stage=str(facts.get("stage") or ""),
            status=handled.get("status") if handled else None,
            facts=facts,
            handling=handled,
            holder=handled.get("holder") if handled else None,
            custody=handled.get("custody", []) if handled else [],
            deadlines=cast(Any, (deadlines or {}).get("state") or []),
            events=events,
            checkpoints=checkpoints,
        )
