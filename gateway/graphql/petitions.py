"""Registering reports 编号登记 (intake): the full registration in one mutation.

Attachments (scans) go by the separate upload route `POST /attachments/{caseId}` once
the case exists (`gateway/attachments.py`), so a registration stays a small JSON request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from gateway.graphql.case_types import RepeatCandidate, SubstanceHint, candidate_of
from gateway.graphql.cases import Case
from gateway.graphql.context import call, coded, gateway, session


@strawberry.input
class ReporterInput:
    """A real-name reporter 实名举报人: sealed by intake, shown only when revealed."""

    name: str
    id_number: str
    phone: str
    address: str | None = None


@strawberry.input
class ReportedPersonInput:
    """A reported person 被反映人 with their cadre management level 干部管理权限."""

    name: str
    unit: str = ""
    position: str = ""
    cadre_level: str | None = None


@strawberry.input
class RegisterPetitionInput:
    """The fields a clerk fills in to register a report 编号登记.

    Channel-dependent: a visit gives `visitors` (人次); a hand-over gives `handedOverFrom`
    and its `handoverReference`. `reporter` absent means anonymous 匿名. `categories` are
    in order of priority; `conductPeriod` is before or after the cut-off date.
    """

    organ_code: str
    channel: str
    summary: str
    received_at: dt.datetime
    full_text: str = ""
    reporter: ReporterInput | None = None
    visitors: int = 1
    handed_over_from: str | None = None
    handover_reference: str | None = None
    reported_persons: list[ReportedPersonInput] = strawberry.field(default_factory=list)
    categories: list[str] = strawberry.field(default_factory=list)
    key_fields: list[str] = strawberry.field(default_factory=list)
    keywords: list[str] = strawberry.field(default_factory=list)
    conduct_period: str | None = None
    conduct_date: dt.date | None = None


@strawberry.type
class RegisteredPetition:
    """A registered report: its case id, registration number 登记编号 and, where one is
    issued, the receipt code 查询码 (shown this once only)."""

    case_id: str
    registration_number: str
    receipt_code: str | None
    substance_hint: SubstanceHint | None

    @strawberry.field(description="The case just registered")
    def case(self) -> Case:
        return Case(id=strawberry.ID(self.case_id))


def registration(input: RegisterPetitionInput) -> dict[str, Any]:
    """The intake request body for a registration (only what was given)."""
    data: dict[str, Any] = {
        "organ_code": input.organ_code,
        "channel": input.channel,
        "summary": input.summary,
        "received_at": input.received_at.isoformat(),
        "full_text": input.full_text,
        "visitors": input.visitors,
        "reported_persons": [
            {k: v for k, v in vars(p).items() if v is not None} for p in input.reported_persons
        ],
        "categories": list(input.categories),
        "key_fields": list(input.key_fields),
        "keywords": list(input.keywords),
    }
    if input.reporter is not None:
        data["reporter"] = {k: v for k, v in vars(input.reporter).items() if v is not None}
    for name in ("handed_over_from", "handover_reference", "conduct_period"):
        if getattr(input, name) is not None:
            data[name] = getattr(input, name)
    if input.conduct_date is not None:
        data["conduct_date"] = input.conduct_date.isoformat()
    return data


@strawberry.type
class PetitionMutation:
    @strawberry.mutation(description="Register a report 编号登记, as the logged-in user")
    async def register_petition(
        self, info: Info, input: RegisterPetitionInput
    ) -> RegisteredPetition:
        with coded():
            await session(info, mutation=True)
            data = await call(
                info,
                gateway(info).intake,
                "POST",
                "/petitions",
                json=registration(input),
                keyed=True,
            )
        hint = data.get("substance_hint")
        return RegisteredPetition(
            case_id=data["case_id"],
            registration_number=data["registration_number"],
            receipt_code=data.get("receipt_code"),
            substance_hint=SubstanceHint(**hint) if hint else None,
        )


@strawberry.input
class DraftInput:
    """What the registration form holds so far 登记草稿 (nothing is saved)."""

    reported_persons: list[ReportedPersonInput] = strawberry.field(default_factory=list)
    categories: list[str] = strawberry.field(default_factory=list)
    summary: str = ""
    full_text: str = ""


@strawberry.type
class DraftHints:
    """Shown before saving: the substance hint and the earlier cases the draft may repeat
    (only those in the clerk's scope)."""

    substance_hint: SubstanceHint | None
    repeat_candidates: list[RepeatCandidate]


@strawberry.type
class PetitionQuery:
    @strawberry.field(description="The substance hint and possible repeats of a draft 登记前提示")
    async def draft_hints(self, info: Info, draft: DraftInput) -> DraftHints:
        with coded():
            await session(info)
            body = {
                "reported_persons": [
                    {"name": p.name, "unit": p.unit} for p in draft.reported_persons
                ],
                "categories": list(draft.categories),
                "summary": draft.summary,
                "full_text": draft.full_text,
            }
            intake = gateway(info).intake
            data = await call(info, intake, "POST", "/petitions/draft-hints", json=body)
        hint = data.get("substance_hint")
        return DraftHints(
            substance_hint=SubstanceHint(**hint) if hint else None,
            repeat_candidates=[candidate_of(r) for r in data.get("candidates", [])],
        )
