"""Routing REST API: cases and their custody chain, the inbox, transfers and handling.

Commands carry the acting person (name, organ, office, role) until authentication exists;
every command may carry `expected_version` so that a stale client is refused with
"concurrent_update" instead of overwriting what it has not seen. Each command answers with
the case as it now stands.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.actors import Actor
from domain.guards import ORGAN_CODE
from domain.vocabulary import (
    Disposal,
    FiveInPlace,
    NotificationMethod,
    Office,
    Outcome,
    Role,
    Satisfaction,
    Substantiation,
    TransferKind,
)
from infra.web import ErrorBody, error_responses
from services.routing.application import RoutingApplication

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


def get_app(request: Request) -> RoutingApplication:
    app: RoutingApplication = request.app.state.routing
    return app


RoutingApp = Annotated[RoutingApplication, Depends(get_app)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActorIn(_Body):
    """The person acting 经办人."""

    name: Name
    organ_code: OrganCode
    office: Office
    role: Role = Role.HANDLER

    def domain(self) -> Actor:
        return Actor(self.name, self.organ_code, self.office.value, self.role.value)


class Command(_Body):
    actor: ActorIn
    expected_version: Version = None


class ProposeTransferIn(Command):
    kind: TransferKind
    reason: Text
    to_organ: OrganCode | None = None
    to_office: Office | None = None
    external_body: Name | None = None
    deadline: date | None = None


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
    deadline: str | None
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


class InboxOut(BaseModel):
    """What an office holds and what waits for it 待办."""

    organ_code: str
    office: str | None
    held: list[InboxCase]
    incoming: list[InboxCase]


READ_ERRORS = error_responses(404, 422)
# A body that is not JSON at all is refused by the framework with 400.
COMMAND_ERRORS = {
    **error_responses(403, 404, 409, 422),
    400: {"model": ErrorBody, "description": "Malformed body 请求体格式错误"},
}

cases = APIRouter(prefix="/cases", tags=["cases"])
transfers = APIRouter(prefix="/cases/{case_id}/transfers", tags=["transfers"])
handling = APIRouter(prefix="/cases/{case_id}", tags=["handling"])
inbox = APIRouter(tags=["inbox"])


@cases.get("/{case_id}", response_model=CaseOut, responses=READ_ERRORS)
def get_case(case_id: UUID, routing: RoutingApp) -> Any:
    """The case: holder, status, pending transfer, chain of custody and repeats."""
    return routing.case(case_id)


@cases.get(
    "/{case_id}/jurisdiction",
    response_model=JurisdictionOut,
    responses=error_responses(404, 409, 422),
)
def get_jurisdiction(case_id: UUID, routing: RoutingApp) -> Any:
    """Suggested handling organ and office, with the reason."""
    return routing.jurisdiction(case_id)


@inbox.get("/inbox", response_model=InboxOut, responses=READ_ERRORS)
def get_inbox(
    routing: RoutingApp,
    organ_code: Annotated[str, Query(pattern=ORGAN_PATTERN, max_length=12)],
    office: Office | None = None,
) -> Any:
    """Cases held by an organ (or one office of it) and transfers awaiting its receipt."""
    return routing.inbox(organ_code, office.value if office else None)


@transfers.post("", response_model=CaseOut, status_code=201, responses=COMMAND_ERRORS)
def propose_transfer(case_id: UUID, body: ProposeTransferIn, routing: RoutingApp) -> Any:
    """Propose a transfer with a reason (the jurisdiction suggestion is recorded with it)."""
    routing.propose_transfer(
        case_id,
        body.actor.domain(),
        body.kind.value,
        body.reason,
        to_organ=body.to_organ,
        to_office=body.to_office.value if body.to_office else None,
        external_body=body.external_body,
        deadline=body.deadline,
        expected_version=body.expected_version,
    )
    return routing.case(case_id)


@transfers.post("/{transfer_id}/approve", response_model=CaseOut, responses=COMMAND_ERRORS)
def approve_transfer(case_id: UUID, transfer_id: UUID, body: Command, routing: RoutingApp) -> Any:
    """A leader signs the transfer off 签批."""
    routing.approve_transfer(case_id, str(transfer_id), body.actor.domain(), body.expected_version)
    return routing.case(case_id)


@transfers.post("/{transfer_id}/dispatch", response_model=CaseOut, responses=COMMAND_ERRORS)
def dispatch_transfer(case_id: UUID, transfer_id: UUID, body: Command, routing: RoutingApp) -> Any:
    """The holder sends the signed-off transfer."""
    routing.dispatch_transfer(case_id, str(transfer_id), body.actor.domain(), body.expected_version)
    return routing.case(case_id)


@transfers.post("/{transfer_id}/receive", response_model=CaseOut, responses=COMMAND_ERRORS)
def receive_transfer(case_id: UUID, transfer_id: UUID, body: ReceiveIn, routing: RoutingApp) -> Any:
    """A named person at the target signs for the case 签收."""
    routing.receive_transfer(
        case_id, str(transfer_id), body.actor.domain(), body.received_by, body.expected_version
    )
    return routing.case(case_id)


@transfers.post("/{transfer_id}/refuse", response_model=CaseOut, responses=COMMAND_ERRORS)
def refuse_transfer(case_id: UUID, transfer_id: UUID, body: ReasonIn, routing: RoutingApp) -> Any:
    """The target refuses the case with a reason; custody stays with the sender."""
    routing.refuse_transfer(
        case_id, str(transfer_id), body.actor.domain(), body.reason, body.expected_version
    )
    return routing.case(case_id)


@transfers.post("/{transfer_id}/withdraw", response_model=CaseOut, responses=COMMAND_ERRORS)
def withdraw_transfer(case_id: UUID, transfer_id: UUID, body: ReasonIn, routing: RoutingApp) -> Any:
    """The holder takes back a transfer not yet dispatched 撤回."""
    routing.withdraw_transfer(
        case_id, str(transfer_id), body.actor.domain(), body.reason, body.expected_version
    )
    return routing.case(case_id)


@handling.post("/disposal", response_model=CaseOut, responses=COMMAND_ERRORS)
def decide_disposal(case_id: UUID, body: DisposalIn, routing: RoutingApp) -> Any:
    """Choose the disposal mode of the lead 线索处置."""
    routing.decide_disposal(
        case_id, body.actor.domain(), body.mode.value, body.reason, body.expected_version
    )
    return routing.case(case_id)


@handling.post("/conclusion", response_model=CaseOut, responses=COMMAND_ERRORS)
def conclude(case_id: UUID, body: ConclusionIn, routing: RoutingApp) -> Any:
    """Record the conclusion: outcome, substantiation and findings 办结."""
    routing.conclude(
        case_id,
        body.actor.domain(),
        body.outcome.value,
        body.substantiation.value,
        body.findings,
        body.expected_version,
    )
    return routing.case(case_id)


@handling.post("/report-back", response_model=CaseOut, responses=COMMAND_ERRORS)
def report_back(case_id: UUID, body: ReportBackIn, routing: RoutingApp) -> Any:
    """Report the result back to the assigning office 报结."""
    routing.report_back(case_id, body.actor.domain(), body.summary, body.expected_version)
    return routing.case(case_id)


@handling.post("/review", response_model=CaseOut, responses=COMMAND_ERRORS)
def review(case_id: UUID, body: ReviewIn, routing: RoutingApp) -> Any:
    """Accept the reported result, or send it back to be redone 退回重办."""
    routing.review(case_id, body.actor.domain(), body.accept, body.reason, body.expected_version)
    return routing.case(case_id)


@handling.post("/feedback", response_model=CaseOut, responses=COMMAND_ERRORS)
def record_feedback(case_id: UUID, body: FeedbackIn, routing: RoutingApp) -> Any:
    """Record the feedback to the reporter 反馈, with satisfaction if asked 回访."""
    routing.record_feedback(
        case_id,
        body.actor.domain(),
        body.method.value,
        body.content,
        body.satisfaction.value if body.satisfaction else None,
        body.expected_version,
    )
    return routing.case(case_id)


@handling.post("/five-in-place", response_model=CaseOut, responses=COMMAND_ERRORS)
def confirm_five_in_place(case_id: UUID, body: FiveInPlaceIn, routing: RoutingApp) -> Any:
    """Confirm some of the "five in place" 五个到位."""
    routing.confirm_five_in_place(
        case_id, body.actor.domain(), [i.value for i in body.items], body.expected_version
    )
    return routing.case(case_id)


@handling.post("/archive", response_model=CaseOut, responses=COMMAND_ERRORS)
def archive(case_id: UUID, body: Command, routing: RoutingApp) -> Any:
    """Archive the concluded case 归档."""
    routing.archive(case_id, body.actor.domain(), body.expected_version)
    return routing.case(case_id)


routers = [cases, inbox, transfers, handling]
