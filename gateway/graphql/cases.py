"""Cases 案件: `case(id)`, `cases(filter, first, after)` and `inbox(office)`.

A `Case` is resolved field by field through the request's DataLoaders, so a page of 50
cases costs one batch read per service; the services filter what the user may see, and
every nested edge (repeats, a repeat's holder) goes through them again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.clients import path
from gateway.graphql import loaders
from gateway.graphql.case_types import (
    AcceptanceNotice,
    Attachment,
    CustodyLink,
    Holder,
    JurisdictionSuggestion,
    NotAcceptProposal,
    RepeatCandidate,
    ReportedPerson,
    SubstanceHint,
    TimelineEntry,
    Transfer,
    organ_of,
    suggestion_of,
)
from gateway.graphql.context import call, coded, gateway
from gateway.graphql.organs import Organ
from gateway.graphql.timeline import timeline

Row = dict[str, Any]


async def _petition(info: Info, case_id: str) -> Row:
    return await loaders.petition(info, case_id) or {}


async def _handling(info: Info, case_id: str) -> Row:
    return await loaders.handling(info, case_id) or {}


@strawberry.type
class Case:
    """A report and its handling, as far as the user may see it."""

    id: strawberry.ID

    @strawberry.field
    async def registration_number(self, info: Info) -> str:
        return str((await _petition(info, self.id)).get("registration_number", ""))

    @strawberry.field(description="The registering organ 登记机关")
    async def organ(self, info: Info) -> Organ | None:
        return organ_of(info, (await _petition(info, self.id)).get("organ_code"))

    @strawberry.field(description="Registration facts 登记信息 (no reporter identity)")
    async def facts(self, info: Info) -> CaseFacts:
        return CaseFacts.of(await _petition(info, self.id))

    @strawberry.field(description="Screening stage 甄别阶段 (intake)")
    async def stage(self, info: Info) -> str:
        return str((await _petition(info, self.id)).get("stage", ""))

    @strawberry.field(description="Handling status 办理状态 (routing)")
    async def status(self, info: Info) -> str | None:
        return (await _handling(info, self.id)).get("status")

    @strawberry.field(description="Who holds it now 当前持有")
    async def holder(self, info: Info) -> Holder | None:
        h = await _handling(info, self.id)
        if not h.get("holder"):
            return None
        custody = h.get("custody") or []
        since = custody[-1]["at"] if custody else None
        return Holder(**h["holder"], since=since)

    @strawberry.field(description="The custody chain 流转链, oldest first")
    async def custody(self, info: Info) -> list[CustodyLink]:
        return [CustodyLink.of(r) for r in (await _handling(info, self.id)).get("custody", [])]

    @strawberry.field
    async def transfers(self, info: Info) -> list[Transfer]:
        return [Transfer.of(r) for r in (await _handling(info, self.id)).get("transfers", [])]

    @strawberry.field
    async def pending_transfer(self, info: Info) -> Transfer | None:
        row = (await _handling(info, self.id)).get("pending_transfer")
        return Transfer.of(row) if row else None

    @strawberry.field(description="Every intake and routing event in order 办理时间线")
    async def timeline(self, info: Info) -> list[TimelineEntry]:
        p, h = await asyncio.gather(
            loaders.petition(info, self.id), loaders.handling(info, self.id)
        )
        return [TimelineEntry(**e) for e in timeline(p, h)]

    @strawberry.field(description="Reports linked to this case as repeats 重复件 (in scope)")
    async def repeats(self, info: Info) -> list[Case]:
        rows = (await _handling(info, self.id)).get("repeats", [])
        ids = [str(r["case_id"]) for r in rows]
        found = await loaders.loader(info, loaders.PETITIONS).load_many(ids)
        return [Case(id=strawberry.ID(i)) for i, row in zip(ids, found, strict=True) if row]

    @strawberry.field(description="The first case this one repeats, if in scope")
    async def first_case(self, info: Info) -> Case | None:
        first = (await _petition(info, self.id)).get("first_case_id")
        if not first or await loaders.petition(info, str(first)) is None:
            return None
        return Case(id=strawberry.ID(str(first)))

    @strawberry.field(description="Earlier cases this report may repeat 疑似重复")
    async def repeat_candidates(self, info: Info) -> list[RepeatCandidate]:
        with coded():
            rows = await call(
                info, gateway(info).intake, "GET", path("/petitions/{}/repeat-candidates", self.id)
            )
        return [
            RepeatCandidate(
                **{k: r[k] for k in ("case_id", "registration_number", "organ_code", "summary",
                                     "stage", "score", "reason_zh", "reason_en")},
                holder_organ_code=(r.get("holder") or {}).get("organ_code"),
                holder_office=(r.get("holder") or {}).get("office"),
            )
            for r in rows or []
        ]

    @strawberry.field
    async def attachments(self, info: Info) -> list[Attachment]:
        rows = (await _petition(info, self.id)).get("attachments", [])
        return [Attachment(**{k: r[k] for k in ("sha256", "size", "media_type", "kind")})
                for r in rows]

    @strawberry.field(description="The no-substance hint 实质内容提示, if any")
    async def substance_hint(self, info: Info) -> SubstanceHint | None:
        hint = (await _petition(info, self.id)).get("substance_hint")
        return SubstanceHint(**hint) if hint else None

    @strawberry.field(description="Where the case should go and why 管辖建议")
    async def jurisdiction(self, info: Info) -> JurisdictionSuggestion | None:
        with coded():
            row = await call(
                info, gateway(info).routing, "GET", path("/cases/{}/jurisdiction", self.id)
            )
        return suggestion_of(row)

    @strawberry.field(description="What the current user may do now 可执行操作")
    async def available_actions(self, info: Info) -> list[str]:
        p, h = await asyncio.gather(
            loaders.petition(info, self.id), loaders.handling(info, self.id)
        )
        actions: list[str] = []
        for row in (p, h):
            for action in (row or {}).get("available_actions", []):
                if action not in actions:
                    actions.append(action)
        return actions

    @strawberry.field(description="Handling record: disposal, conclusion, reviews, feedback")
    async def handling(self, info: Info) -> HandlingRecord | None:
        h = await _handling(info, self.id)
        return HandlingRecord.of(h) if h else None


@strawberry.type
class CaseFacts:
    """What was registered 登记信息; the reporter's identity is sealed and not here."""

    channel: str
    received_at: str
    registered_at: str
    registered_by: str
    real_name: bool
    real_name_check: str | None
    visitors: int
    handed_over_from: str | None
    handover_reference: str | None
    summary: str
    full_text: str
    reported_persons: list[ReportedPerson]
    categories: list[str]
    key_fields: list[str]
    keywords: list[str]
    conduct_period: str | None
    conduct_date: str | None
    report_type: str | None
    diverted_to: str | None
    explanation: str | None
    not_accept_proposal: NotAcceptProposal | None
    not_accepted_reason: str | None
    acceptance_notified: AcceptanceNotice | None
    version: int

    @classmethod
    def of(cls, p: Row) -> CaseFacts:
        proposal = p.get("not_accept_proposal")
        notified = p.get("acceptance_notified")
        return cls(
            **{k: p.get(k) for k in _PLAIN_FACTS},
            received_at=str(p.get("received_at", "")),
            registered_at=str(p.get("registered_at", "")),
            registered_by=str(p.get("registered_by", "")),
            real_name=bool(p.get("real_name")),
            visitors=int(p.get("visitors") or 1),
            summary=str(p.get("summary", "")),
            full_text=str(p.get("full_text", "")),
            reported_persons=[ReportedPerson(**r) for r in p.get("reported_persons", [])],
            categories=list(p.get("categories", [])),
            key_fields=list(p.get("key_fields", [])),
            keywords=list(p.get("keywords", [])),
            not_accept_proposal=NotAcceptProposal(
                reason=proposal["reason"],
                proposed_by=str(proposal["proposed_by"]),
                proposed_at=str(proposal["proposed_at"]),
            ) if proposal else None,
            acceptance_notified=AcceptanceNotice(
                method=notified["method"],
                notified_at=str(notified["notified_at"]),
                outcome=notified["outcome"],
            ) if notified else None,
            version=int(p.get("version") or 0),
        )


_PLAIN_FACTS = (
    "channel", "real_name_check", "handed_over_from", "handover_reference", "conduct_period",
    "conduct_date", "report_type", "diverted_to", "explanation", "not_accepted_reason",
)


@strawberry.type
class HandlingRecord:
    """Routing's record of the handling 办理记录."""

    version: int
    report_type: str | None
    disposal: JSON | None
    conclusion: JSON | None
    reviews: list[JSON]
    feedback: list[JSON]
    five_in_place: list[str]
    five_in_place_missing: list[str]
    archived_by: str | None

    @classmethod
    def of(cls, h: Row) -> HandlingRecord:
        return cls(
            version=int(h.get("version") or 0),
            report_type=h.get("report_type"),
            disposal=h.get("disposal"),
            conclusion=h.get("conclusion"),
            reviews=list(h.get("reviews", [])),
            feedback=list(h.get("feedback", [])),
            five_in_place=list(h.get("five_in_place", [])),
            five_in_place_missing=list(h.get("five_in_place_missing", [])),
            archived_by=h.get("archived_by") if isinstance(h.get("archived_by"), str | None)
            else str(h.get("archived_by")),
        )
