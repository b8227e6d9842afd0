"""Routing REST API: cases and their custody chain, the inbox, transfers and handling.

The acting person comes only from the verified service token (`CurrentActor`); every
command may carry `expected_version` so that a stale client is refused with
"concurrent_update" instead of overwriting what it has not seen. Each command answers with
the case as it now stands, with what the caller may do next (`available_actions`). A case
outside the caller's scope answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from domain.vocabulary import Office
from infra.idempotency import Keyed
from infra.web import ErrorBody, error_responses
from services.auth import CurrentActor
from services.routing.application import RoutingApplication
from services.routing.schemas import (
    ORGAN_PATTERN,
    CaseOut,
    CasesOut,
    Command,
    ConclusionIn,
    DisposalIn,
    FeedbackIn,
    FiveInPlaceIn,
    InboxOut,
    JurisdictionOut,
    ProposeTransferIn,
    ReasonIn,
    ReceiveIn,
    ReportBackIn,
    ReviewIn,
    TimelineEntryOut,
)


async def get_app(request: Request) -> RoutingApplication:  # async: no worker-thread hop
    app: RoutingApplication = request.app.state.routing
    return app


RoutingApp = Annotated[RoutingApplication, Depends(get_app)]

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


MAX_BATCH = 100


@cases.get("", response_model=CasesOut, responses=READ_ERRORS)
def get_cases(
    routing: RoutingApp,
    actor: CurrentActor,
    ids: Annotated[list[UUID], Query(min_length=1, max_length=MAX_BATCH)],
) -> Any:
    """Up to 100 cases in one call (`?ids=a&ids=b`), in the order asked; ids unknown or
    outside the caller's scope are listed in `missing`."""
    return routing.cases(ids, actor)


@cases.get("/{case_id}/timeline", response_model=list[TimelineEntryOut], responses=READ_ERRORS)
def get_timeline(case_id: UUID, routing: RoutingApp, actor: CurrentActor) -> Any:
    """Every routing event of the case, oldest first: what, who, organ, office, when."""
    return routing.timeline(case_id, actor)


@cases.get("/{case_id}/history", responses=error_responses(403, 404, 422))
def get_history(
    case_id: UUID,
    routing: RoutingApp,
    actor: CurrentActor,
    as_of: Annotated[AwareDatetime, Query(description="The moment, with its time zone")],
) -> Any:
    """The handling as it stood at `as_of` 案件回放 (auditors only, logged), its events up to
    then with their audit leaves and inclusion paths, and routing's latest checkpoint."""
    return routing.history(case_id, as_of, actor)


@cases.get("/{case_id}", response_model=CaseOut, responses=READ_ERRORS)
def get_case(case_id: UUID, routing: RoutingApp, actor: CurrentActor) -> Any:
    """The case: holder, status, pending transfer, chain of custody and repeats."""
    return routing.case(case_id, actor)


@cases.get(
    "/{case_id}/jurisdiction",
    response_model=JurisdictionOut,
    responses=error_responses(404, 409, 422),
)
def get_jurisdiction(case_id: UUID, routing: RoutingApp, actor: CurrentActor) -> Any:
    """Suggested handling organ and office, with the reason."""
    return routing.jurisdiction(case_id, actor)


@inbox.get("/inbox", response_model=InboxOut, responses=error_responses(403, 404, 422))
def get_inbox(
    routing: RoutingApp,
    actor: CurrentActor,
    organ_code: Annotated[str | None, Query(pattern=ORGAN_PATTERN, max_length=12)] = None,
    office: Office | None = None,
) -> Any:
    """An organ's (or one office's) trays with counts; the caller's own organ by default.
    Another organ's inbox is refused (403) unless the policy grants it (case management
    monitors its subtree)."""
    return routing.inbox(actor, organ_code or actor.organ_code, office.value if office else None)


@transfers.post("", response_model=CaseOut, status_code=201, responses=COMMAND_ERRORS)
def propose_transfer(
    case_id: UUID, body: ProposeTransferIn, routing: RoutingApp, actor: CurrentActor, keyed: Keyed
) -> Any:
    """Propose a transfer with a reason (the jurisdiction suggestion is recorded with it).
    With an `Idempotency-Key`, a repeat answers the case as the first proposal left it."""

    def work() -> Any:
        routing.propose_transfer(
            case_id,
            actor,
            body.kind.value,
            body.reason,
            to_organ=body.to_organ,
            to_office=body.to_office.value if body.to_office else None,
            external_body=body.external_body,
            expected_version=body.expected_version,
        )
        return routing.case(case_id, actor)

    return keyed.once(routing.idempotency, actor.username, work)


@transfers.post("/{transfer_id}/approve", response_model=CaseOut, responses=COMMAND_ERRORS)
def approve_transfer(
    case_id: UUID, transfer_id: UUID, body: Command, routing: RoutingApp, actor: CurrentActor
) -> Any:
    """A leader signs the transfer off 签批."""
    routing.approve_transfer(case_id, str(transfer_id), actor, body.expected_version)
    return routing.case(case_id, actor)


@transfers.post("/{transfer_id}/dispatch", response_model=CaseOut, responses=COMMAND_ERRORS)
def dispatch_transfer(
    case_id: UUID, transfer_id: UUID, body: Command, routing: RoutingApp, actor: CurrentActor
) -> Any:
    """The holder sends the signed-off transfer."""
    routing.dispatch_transfer(case_id, str(transfer_id), actor, body.expected_version)
    return routing.case(case_id, actor)


@transfers.post("/{transfer_id}/receive", response_model=CaseOut, responses=COMMAND_ERRORS)
def receive_transfer(
    case_id: UUID, transfer_id: UUID, body: ReceiveIn, routing: RoutingApp, actor: CurrentActor
) -> Any:
    """A named person at the target signs for the case 签收."""
    routing.receive_transfer(
        case_id, str(transfer_id), actor, body.received_by, body.expected_version
    )
    return routing.case(case_id, actor)


@transfers.post("/{transfer_id}/refuse", response_model=CaseOut, responses=COMMAND_ERRORS)
def refuse_transfer(
    case_id: UUID, transfer_id: UUID, body: ReasonIn, routing: RoutingApp, actor: CurrentActor
) -> Any:
    """The target refuses the case with a reason; custody stays with the sender."""
    routing.refuse_transfer(case_id, str(transfer_id), actor, body.reason, body.expected_version)
    return routing.case(case_id, actor)


@transfers.post("/{transfer_id}/withdraw", response_model=CaseOut, responses=COMMAND_ERRORS)
def withdraw_transfer(
    case_id: UUID, transfer_id: UUID, body: ReasonIn, routing: RoutingApp, actor: CurrentActor
) -> Any:
    """The holder takes back a transfer not yet dispatched 撤回."""
    routing.withdraw_transfer(case_id, str(transfer_id), actor, body.reason, body.expected_version)
    return routing.case(case_id, actor)


@handling.post("/disposal", response_model=CaseOut, responses=COMMAND_ERRORS)
def decide_disposal(
    case_id: UUID, body: DisposalIn, routing: RoutingApp, actor: CurrentActor
) -> Any:
    """Choose the disposal mode of the lead 线索处置."""
    routing.decide_disposal(case_id, actor, body.mode.value, body.reason, body.expected_version)
    return routing.case(case_id, actor)


@handling.post("/conclusion", response_model=CaseOut, responses=COMMAND_ERRORS)
def conclude(case_id: UUID, body: ConclusionIn, routing: RoutingApp, actor: CurrentActor) -> Any:
    """Record the conclusion: outcome, substantiation and findings 办结."""
    routing.conclude(
        case_id,
        actor,
        body.outcome.value,
        body.substantiation.value,
        body.findings,
        body.expected_version,
    )
    return routing.case(case_id, actor)


@handling.post("/report-back", response_model=CaseOut, responses=COMMAND_ERRORS)
def report_back(case_id: UUID, body: ReportBackIn, routing: RoutingApp, actor: CurrentActor) -> Any:
    """Report the result back to the assigning office 报结."""
    routing.report_back(case_id, actor, body.summary, body.expected_version)
    return routing.case(case_id, actor)


@handling.post("/review", response_model=CaseOut, responses=COMMAND_ERRORS)
def review(case_id: UUID, body: ReviewIn, routing: RoutingApp, actor: CurrentActor) -> Any:
    """Accept the reported result, or send it back to be redone 退回重办."""
    routing.review(case_id, actor, body.accept, body.reason, body.expected_version)
    return routing.case(case_id, actor)


@handling.post("/feedback", response_model=CaseOut, responses=COMMAND_ERRORS)
def record_feedback(
    case_id: UUID, body: FeedbackIn, routing: RoutingApp, actor: CurrentActor
) -> Any:
    """Record the feedback to the reporter 反馈, with satisfaction if asked 回访."""
    routing.record_feedback(
        case_id,
        actor,
        body.method.value,
        body.content,
        body.satisfaction.value if body.satisfaction else None,
        body.expected_version,
    )
    return routing.case(case_id, actor)


@handling.post("/five-in-place", response_model=CaseOut, responses=COMMAND_ERRORS)
def confirm_five_in_place(
    case_id: UUID, body: FiveInPlaceIn, routing: RoutingApp, actor: CurrentActor
) -> Any:
    """Confirm some of the "five in place" 五个到位."""
    routing.confirm_five_in_place(
        case_id, actor, [i.value for i in body.items], body.expected_version
    )
    return routing.case(case_id, actor)


@handling.post("/archive", response_model=CaseOut, responses=COMMAND_ERRORS)
def archive(case_id: UUID, body: Command, routing: RoutingApp, actor: CurrentActor) -> Any:
    """Archive the concluded case 归档."""
    routing.archive(case_id, actor, body.expected_version)
    return routing.case(case_id, actor)


routers = [cases, inbox, transfers, handling]
