"""Routing's request and response bodies 流转接口的数据结构."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.guards import ORGAN_CODE
from domain.vocabulary import (
    Disposal,
    FiveInPlace,
    NotificationMethod,
    Office,
    Outcome,
    Satisfaction,
    Substantiation,
    TransferKind,
)

ORGAN_PATTERN = ORGAN_CODE.pattern
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _storable(value: str) -> str:
    """Refuse text that cannot be stored as UTF-8 JSON (NUL, lone surrogates)."""
    if _UNSTORABLE.search(value):
        raise ValueError("text contains characters that cannot be stored")
    return value


Name = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_storable)]
Text = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_storable)]
OrganCode = Annotated[str, Field(pattern=ORGAN_PATTERN, max_length=12)]
Version = Annotated[int | None, Field(ge=1, le=2**31)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Command(_Body):
    """A command's body: the version the caller saw. The actor comes from the token."""

    expected_version: Version = None


class ProposeTransferIn(Command):
    kind: TransferKind
    reason: Text
    to_organ: OrganCode | None = None
    to_office: Office | None = None
    external_body: Name | None = None


class ReceiveIn(Command):
    received_by: Name | None = None


class ReasonIn(Command):
    reason: Text


class DisposalIn(Command):
    mode: Disposal
    reason: Text


class ConclusionIn(Command):
    outcome: Outcome
    substantiation: Substantiation
    findings: Text


class ReportBackIn(Command):
    summary: Text


class ReviewIn(Command):
    accept: bool
    reason: Text | None = None


class FeedbackIn(Command):
    method: NotificationMethod
    content: Text
    satisfaction: Satisfaction | None = None


class FiveInPlaceIn(Command):
    items: list[FiveInPlace] = Field(min_length=1, max_length=5)


class Holder(BaseModel):
    organ_code: str | None
    office: str | None
    external_body: str | None


class TransferOut(BaseModel):
    id: str
    kind: str
    state: str
    from_organ: str
    from_office: str
    to_organ: str | None
    to_office: str | None
    external_body: str | None
    reason: str
    proposed_by: str
    suggestion: dict[str, Any] | None
    approved_by: str | None
    dispatched_by: str | None
    received_by: str | None
    refused_by: str | None
    refusal_reason: str | None
    withdrawn_by: str | None
    withdrawal_reason: str | None
    proposed_at: str | None
    approved_at: str | None
    dispatched_at: str | None
    closed_at: str | None


class CustodyLinkOut(BaseModel):
    version: int
    kind: str
    from_organ: str | None
    from_office: str | None
    to_organ: str | None
    to_office: str | None
    external_body: str | None
    by: str
    transfer_id: str | None
    at: str


class CaseOut(BaseModel):
    """One case's handling 案件办理情况."""

    case_id: str
    version: int
    registered_organ: str
    report_type: str | None
    status: str
    holder: Holder
    pending_transfer: TransferOut | None
    transfers: list[TransferOut]
    custody: list[CustodyLinkOut]
    assignments: list[dict[str, str]]
    disposal: dict[str, Any] | None
    conclusion: dict[str, Any] | None
    reviews: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    five_in_place: list[str]
    five_in_place_missing: list[str]
    repeats: list[dict[str, Any]]
    archived_by: str | None
    available_actions: list[str] = Field(
        default=[],
        description="Routing commands the caller may run now (e.g. approve_transfer, "
        "receive_transfer, conclude): the aggregate's guards and the policy allow them",
    )


class CasesOut(BaseModel):
    """Several cases read at once; ids missing or outside the caller's scope alike."""

    cases: list[CaseOut]
    missing: list[str]


class TimelineEntryOut(BaseModel):
    """One routing event of a case: what, who (username), organ, office, when."""

    sequence: int
    what: str
    who: str | None
    organ: str | None
    office: str | None
    at: str


class JurisdictionOut(BaseModel):
    """Suggested jurisdiction 管辖建议 and the first routing step from the holder."""

    organ_code: str
    organ_name: str
    office: str
    action: str
    next_hop: str | None
    reason_zh: str
    reason_en: str
    deciding_person: str
    needs_review: bool


class InboxCase(BaseModel):
    case_id: str
    version: int
    status: str
    holder_organ: str | None
    holder_office: str | None
    repeats: int
    pending_transfer: TransferOut | None = None
    transfer: TransferOut | None = None


class InboxCounts(BaseModel):
    held: int
    incoming: int
    awaiting_approval: int
    came_back: int
    sent_elsewhere: int


class InboxOut(BaseModel):
    """What an office holds and what waits for it 待办, newest first in each tray.

    `held`: cases it holds; `incoming`: transfers dispatched to it, waiting for its receipt;
    `awaiting_approval`: held cases whose proposed transfer waits for its leader;
    `came_back`: held cases a transfer, return or send-back brought back (`transfer` is the
    refused one, if any); `sent_elsewhere`: cases it forwarded, assigned or reported to
    another organ that are not closed, with their current holder and status (闭环管理).
    """

    organ_code: str
    office: str | None
    held: list[InboxCase]
    incoming: list[InboxCase]
    awaiting_approval: list[InboxCase]
    came_back: list[InboxCase]
    sent_elsewhere: list[InboxCase]
    counts: InboxCounts
