"""Cases 案件: `case(id)`, `cases(filter, first, after)` and `inbox(office)`.

A `Case` is resolved field by field through the request's DataLoaders, so a page of 50
cases costs one batch read per service; the services filter what the user may see, and
every nested edge (repeats, a repeat's holder) goes through them again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.errors import DomainError
from gateway.clients import ServiceUnavailable, path
from gateway.graphql import actions, loaders
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
    candidate_of,
    organ_of,
    suggestion_of,
)
from gateway.graphql.context import call, coded, gateway, session
from gateway.graphql.organs import Organ
from gateway.graphql.supervision_types import Deadline
from gateway.graphql.timeline import merged, timeline
from gateway.identity.service import principal

log = logging.getLogger(__name__)

Row = dict[str, Any]


async def _petition(info: Info, case_id: str) -> Row:
    return await loaders.petition(info, case_id) or {}


async def _handling(info: Info, case_id: str) -> Row:
    return await loaders.handling(info, case_id) or {}


@strawberry.type
class Case:
    """A report and its handling, as far as the user may see it."""

    id: strawberry.ID
    # The search row this case came from: what a results table shows, without more calls.
    listed: strawberry.Private[Row | None] = None

    async def _row(self, info: Info, name: str) -> Any:
        if self.listed is not None and name in self.listed:
            return self.listed[name]
        return (await _petition(info, self.id)).get(name)

    @strawberry.field
    async def registration_number(self, info: Info) -> str:
        return str(await self._row(info, "registration_number") or "")

    @strawberry.field(description="The registering organ 登记机关")
    async def organ(self, info: Info) -> Organ | None:
        return organ_of(info, await self._row(info, "organ_code"))

    @strawberry.field(description="The problem summary 问题摘要")
    async def summary(self, info: Info) -> str:
        return str(await self._row(info, "summary") or "")

    @strawberry.field(description="The channel 来源渠道")
    async def channel(self, info: Info) -> str | None:
        return await self._row(info, "channel")

    @strawberry.field(description="When it was registered 登记时间")
    async def registered_at(self, info: Info) -> str:
        return str(await self._row(info, "registered_at") or "")

    @strawberry.field(description="Reported persons 被反映人")
    async def reported_persons(self, info: Info) -> list[ReportedPerson]:
        rows = await self._row(info, "reported_persons") or []
        return [
            ReportedPerson(
                name=r.get("name", ""),
                unit=r.get("unit", ""),
                position=r.get("position", ""),
                cadre_level=r.get("cadre_level"),
            )
            for r in rows
        ]

    @strawberry.field(
        description="Registration facts 登记信息 (no reporter identity); null while intake "
        "does not yet show the case to the user (a transfer just dispatched to them)"
    )
    async def facts(self, info: Info) -> CaseFacts | None:
        row = await loaders.petition(info, self.id)
        return CaseFacts.of(row) if row else None

    @strawberry.field(description="Screening stage 甄别阶段 (intake)")
    async def stage(self, info: Info) -> str:
        return str(await self._row(info, "stage") or "")

    @strawberry.field(description="Handling status 办理状态 (routing)")
    async def status(self, info: Info) -> str | None:
        return (await _handling(info, self.id)).get("status")

    @strawberry.field(description="Who holds it now 当前持有, since when")
    async def holder(self, info: Info) -> Holder | None:
        if self.listed is not None and "holder_organ" in self.listed:
            return Holder(
                organ_code=self.listed["holder_organ"],
                office=self.listed.get("holder_office"),
                external_body=None,
                since=None,
            )
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

    @strawberry.field(description="Every intake, routing and supervision event in order 办理时间线")
    async def timeline(self, info: Info) -> list[TimelineEntry]:
        client = gateway(info)
        with coded():
            intake, routing, supervision = await asyncio.gather(
                _events(info, client.intake, "/petitions/{}/timeline", self.id),
                _events(info, client.routing, "/cases/{}/timeline", self.id),
                _optional_events(info, client.supervision, "/cases/{}/timeline", self.id),
            )
        if intake is not None and routing is not None:
            return [TimelineEntry(**e) for e in merged(intake, routing, supervision)]
        # A service without its timeline route yet: derived from its view of the case.
        p, h = await asyncio.gather(
            loaders.petition(info, self.id), loaders.handling(info, self.id)
        )
        return [TimelineEntry(**e) for e in timeline(p, h, supervision)]

    @strawberry.field(
        description="Every clock the case runs against 案件期限 (supervision); null with a "
        "`service_unavailable` error while supervision is down, the rest of the case still shown"
    )
    async def deadlines(self, info: Info) -> list[Deadline] | None:
        with coded():
            rows = await loaders.case_deadlines(info, self.id)
        return [Deadline.of(r) for r in rows]

    @strawberry.field(description="Reports linked to this case as repeats 重复件 (in scope)")
    async def repeats(self, info: Info) -> list[Case]:
        rows = (await _handling(info, self.id)).get("repeats", [])
        ids = [str(r["case_id"]) for r in rows]
        # Routing's batch read leaves out what the user may not see: one call for them all.
        found = await loaders.loader(info, loaders.HANDLINGS).load_many(ids)
        return [Case(id=strawberry.ID(i)) for i, row in zip(ids, found, strict=True) if row]

    @strawberry.field(description="The first case this one repeats, if in scope")
    async def first_case(self, info: Info) -> Case | None:
        first = (await _petition(info, self.id)).get("first_case_id")
        if not first or await loaders.handling(info, str(first)) is None:
            return None
        return Case(id=strawberry.ID(str(first)))

    @strawberry.field(description="Earlier cases this report may repeat 疑似重复")
    async def repeat_candidates(self, info: Info) -> list[RepeatCandidate]:
        with coded():
            rows = await call(
                info, gateway(info).intake, "GET", path("/petitions/{}/repeat-candidates", self.id)
            )
        return [candidate_of(r) for r in rows or []]

    @strawberry.field
    async def attachments(self, info: Info) -> list[Attachment]:
        rows = (await _petition(info, self.id)).get("attachments", [])
        return [
            Attachment(**{k: r[k] for k in ("sha256", "size", "media_type", "kind")}) for r in rows
        ]

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

    @strawberry.field(description="The mutations the current user may run now 可执行操作")
    async def available_actions(self, info: Info) -> list[str]:
        p, h = await asyncio.gather(
            loaders.petition(info, self.id), loaders.handling(info, self.id)
        )
        current = await session(info)
        return actions.available(principal(current.user), current.user.username, p, h)

    @strawberry.field(description="Handling record: disposal, conclusion, reviews, feedback")
    async def handling(self, info: Info) -> HandlingRecord | None:
        h = await _handling(info, self.id)
        return HandlingRecord.of(h) if h else None


async def _optional_events(
    info: Info, client: Any, template: str, case_id: str
) -> list[Row] | None:
    """A timeline part the case page can do without: while its service is down the
    timeline shows the others' events (the deadlines field says the service is down)."""
    try:
        return await _events(info, client, template, case_id)
    except ServiceUnavailable as error:
        log.warning("timeline without %s: %s", error.details.get("service"), error.code)
        return None


async def _events(info: Info, client: Any, template: str, case_id: str) -> list[Row] | None:
    """A service's timeline of the case; None if it has no timeline route (405)."""
    try:
        rows: list[Row] = await call(info, client, "GET", path(template, case_id))
    except DomainError as error:
        if error.details.get("status") == 405:
            return None
        if error.details.get("status") == 404:
            return []
        raise
    return rows


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
        plain: dict[str, Any] = {k: p.get(k) for k in _PLAIN_FACTS}
        return cls(
            **plain,
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
            )
            if proposal
            else None,
            acceptance_notified=AcceptanceNotice(
                method=notified["method"],
                notified_at=str(notified["notified_at"]),
                outcome=notified["outcome"],
            )
            if notified
            else None,
            version=int(p.get("version") or 0),
        )


_PLAIN_FACTS = (
    "channel",
    "real_name_check",
    "handed_over_from",
    "handover_reference",
    "conduct_period",
    "conduct_date",
    "report_type",
    "diverted_to",
    "explanation",
    "not_accepted_reason",
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
            archived_by=h.get("archived_by")
            if isinstance(h.get("archived_by"), str | None)
            else str(h.get("archived_by")),
        )
