"""Intake REST API 受理登记接口: one router per resource, plain `def` routes.

Every route needs the gateway's service token (`infra.auth.verified_identity`, put on
each router by `main.create_app`); staff routes take the acting person from it
(`CurrentActor`) and nothing else. A case outside the caller's scope answers 404 like a
missing one; a forbidden action on a visible case 403 `forbidden`. The public progress
route takes any valid token (the gateway signs an anonymous reporter's, see
`infra.auth.REPORTER`) and the receipt code in the body, is rate-limited per client and
answers in a fixed minimum time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile, status
from fastapi.responses import Response, StreamingResponse

from domain.petition import Stage
from infra.idempotency import Keyed
from infra.web import ErrorBody, error_responses
from services.auth import CurrentActor
from services.intake.application import IntakeApplication
from services.intake.attachments import ALLOWED_TYPES
from services.intake.casework_api import casework
from services.intake.ratelimit import TokenBuckets
from services.intake.schemas import (
    AcceptIn,
    AttachmentAddedOut,
    CandidateOut,
    CorrectedOut,
    CorrectionIn,
    DivertIn,
    HandlingOut,
    LinkRepeatIn,
    NotAcceptApprovalIn,
    NotAcceptProposalIn,
    NotAcceptRejectionIn,
    NotificationIn,
    PetitionOut,
    ProgressIn,
    ProgressOut,
    RealNameCheckIn,
    RegisteredOut,
    RegisterIn,
    ReporterOut,
    ResultIn,
    RevealIn,
    StageOut,
    SubstanceHintOut,
)

SHA256_PATTERN = r"^[0-9a-f]{64}$"
STAGE_PATTERN = "^(" + "|".join(sorted(Stage.LABELS)) + ")$"


async def get_intake(request: Request) -> IntakeApplication:  # async: no worker-thread hop
    return request.app.state.intake  # type: ignore[no-any-return]


def client_key(request: Request) -> str:
    """The client's address; behind a trusted proxy, the last hop it forwarded."""
    host = request.client.host if request.client else "unknown"
    trusted: frozenset[str] = request.app.state.trusted_proxies
    forwarded = request.headers.get("x-forwarded-for")
    if host in trusted and forwarded:
        return forwarded.split(",")[-1].strip() or host
    return host


def throttle(request: Request) -> None:
    buckets: TokenBuckets = request.app.state.progress_buckets
    buckets.take(client_key(request))


Intake = Annotated[IntakeApplication, Depends(get_intake)]
Actor = CurrentActor
CaseId = Annotated[UUID, Path(description="The case id 案件编号 (the petition's id)")]

_400: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorBody,
        "description": "Malformed body (not JSON or not UTF-8) 请求体格式错误",
    }
}


def with_body(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Declared errors of a route that reads a body: its statuses and 400."""
    return {**error_responses(*statuses), **_400}


_DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {t: {} for t in ALLOWED_TYPES}, "description": "The stored content"},
    **error_responses(403, 404, 409, 422),
}


# --- petitions 信访件 ----------------------------------------------------------------------

petitions = APIRouter(prefix="/petitions", tags=["petitions"])


@petitions.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredOut,
    responses=with_body(403, 409, 422),
)
def register(body: RegisterIn, intake: Intake, actor: Actor, keyed: Keyed) -> Any:
    """Register a report from any channel; the receipt code is shown only here. With an
    `Idempotency-Key`, a repeat answers the first registration (`infra.idempotency`)."""
    if keyed.key is None:
        # The answer is built here as a `RegisteredOut`, so FastAPI's check of it against
        # the response model (validate, dump, encode again) would only repeat the work:
        # pydantic writes the JSON once (the same bytes FastAPI's JSONResponse writes).
        registered = _register(body, intake, actor)
        return Response(
            RegisteredOut.__pydantic_serializer__.to_json(registered),
            status_code=status.HTTP_201_CREATED,
            media_type="application/json",
        )
    return keyed.once(intake.idempotency, actor.username, lambda: _register(body, intake, actor))


def _register(body: RegisterIn, intake: IntakeApplication, actor: Actor) -> RegisteredOut:
    registration = intake.register(
        organ_code=body.organ_code,
        actor=actor,
        channel=body.channel,
        summary=body.summary,
        received_at=body.received_at,
        full_text=body.full_text,
        reporter=None if body.reporter is None else body.reporter.identity(),
        visitors=body.visitors,
        handed_over_from=body.handed_over_from,
        handover_reference=body.handover_reference,
        reported_persons=[p.model_dump() for p in body.reported_persons],
        categories=body.categories,
        key_fields=body.key_fields,
        keywords=body.keywords,
        conduct_period=body.conduct_period,
        conduct_date=body.conduct_date,
    )
    return RegisteredOut(
        case_id=str(registration.case_id),
        registration_number=registration.registration_number,
        receipt_code=registration.receipt_code,
        substance_hint=(
            None
            if registration.substance_hint is None
            else SubstanceHintOut(**registration.substance_hint)
        ),
    )


@petitions.get("/{case_id}", response_model=PetitionOut, responses=error_responses(403, 404, 422))
def get_petition(case_id: CaseId, intake: Intake, actor: Actor) -> Any:
    """A case as staff see it, without the reporter's identity."""
    return intake.petition(case_id, actor)


@petitions.post(
    "/{case_id}/corrections",
    response_model=CorrectedOut,
    responses=with_body(403, 404, 409, 422),
)
def correct(case_id: CaseId, body: CorrectionIn, intake: Intake, actor: Actor) -> CorrectedOut:
    """Correct registration data: a Corrected event with the reason and changed fields."""
    changed = intake.correct(
        case_id,
        body.reason,
        body.changes(),
        actor=actor,
        reporter=None if body.reporter is None else body.reporter.identity(),
        expected_version=body.expected_version,
    )
    return CorrectedOut(case_id=str(case_id), changed_fields=changed)


@petitions.get(
    "/{case_id}/repeat-candidates",
    response_model=list[CandidateOut],
    responses=error_responses(403, 404, 422),
)
def repeat_candidates(case_id: CaseId, intake: Intake, actor: Actor) -> list[CandidateOut]:
    """Earlier cases anywhere in the province this report may repeat, best first, with
    the reason and who holds each now."""
    return [CandidateOut.of(c) for c in intake.repeat_candidates(case_id, actor)]


@petitions.post(
    "/{case_id}/reporter/reveal",
    response_model=ReporterOut,
    responses=with_body(403, 404, 409, 422),
)
def reveal_reporter(case_id: CaseId, body: RevealIn, intake: Intake, actor: Actor) -> ReporterOut:
    """Open the reporter's identity for the petition office; every read is recorded."""
    identity = intake.reveal_reporter(case_id, body.purpose, actor=actor)
    return ReporterOut(**identity.to_dict())


# --- screening 甄别 ------------------------------------------------------------------------

screening = APIRouter(prefix="/petitions/{case_id}/screening", tags=["screening"])
_SCREENING_ERRORS = with_body(403, 404, 409, 422)


@screening.post("/accept", response_model=StageOut, responses=_SCREENING_ERRORS)
def accept(case_id: CaseId, body: AcceptIn, intake: Intake, actor: Actor) -> StageOut:
    """In scope and substantive: accept for handling 受理."""
    intake.accept(case_id, body.report_type, actor=actor)
    return StageOut(case_id=str(case_id), stage="accepted")


@screening.post("/divert", response_model=StageOut, responses=_SCREENING_ERRORS)
def divert(case_id: CaseId, body: DivertIn, intake: Intake, actor: Actor) -> StageOut:
    """Out of scope: divert, with the department named and the explanation given 分流."""
    intake.divert(case_id, body.department, body.explanation, actor=actor)
    return StageOut(case_id=str(case_id), stage="diverted")


_DECISION_ERRORS = with_body(403, 404, 409, 422)


@screening.post("/not-accept", response_model=StageOut, responses=_DECISION_ERRORS)
def propose_not_accept(
    case_id: CaseId, body: NotAcceptProposalIn, intake: Intake, actor: Actor
) -> StageOut:
    """A petition clerk proposes not to accept 不予受理 (no substance); a leader decides."""
    intake.propose_not_accept(
        case_id, body.reason, actor=actor, expected_version=body.expected_version
    )
    return StageOut(case_id=str(case_id), stage=intake.petition(case_id, actor)["stage"])


@screening.post("/not-accept/approve", response_model=StageOut, responses=_DECISION_ERRORS)
def approve_not_accept(
    case_id: CaseId, body: NotAcceptApprovalIn, intake: Intake, actor: Actor
) -> StageOut:
    """A leader of the organ, not the proposer, approves: not accepted."""
    intake.approve_not_accept(case_id, actor=actor, expected_version=body.expected_version)
    return StageOut(case_id=str(case_id), stage="not_accepted")


@screening.post("/not-accept/reject", response_model=StageOut, responses=_DECISION_ERRORS)
def reject_not_accept(
    case_id: CaseId, body: NotAcceptRejectionIn, intake: Intake, actor: Actor
) -> StageOut:
    """A leader of the organ rejects the proposal; the petition is screened again."""
    intake.reject_not_accept(
        case_id, body.reason, actor=actor, expected_version=body.expected_version
    )
    return StageOut(case_id=str(case_id), stage=intake.petition(case_id, actor)["stage"])


@screening.post("/link-repeat", response_model=StageOut, responses=_SCREENING_ERRORS)
def link_repeat(case_id: CaseId, body: LinkRepeatIn, intake: Intake, actor: Actor) -> StageOut:
    """Link as a repeat 重复举报 of its first case, which keeps the handling."""
    first = intake.link_as_repeat(case_id, body.first_case_id, body.reason, actor=actor)
    return StageOut(case_id=str(case_id), stage="repeat", first_case_id=first)


@screening.post("/real-name-check", response_model=StageOut, responses=_SCREENING_ERRORS)
def real_name_check(
    case_id: CaseId, body: RealNameCheckIn, intake: Intake, actor: Actor
) -> StageOut:
    """Record that the report was confirmed as real-name (by phone or in person)."""
    intake.verify_real_name(case_id, body.method, actor=actor)
    return StageOut(case_id=str(case_id), stage=intake.petition(case_id, actor)["stage"])


# --- reporter feedback and progress 告知与进度 -------------------------------------------

feedback = APIRouter(prefix="/petitions/{case_id}", tags=["feedback"])


@feedback.post("/acceptance-notification", response_model=StageOut, responses=_SCREENING_ERRORS)
def acceptance_notification(
    case_id: CaseId, body: NotificationIn, intake: Intake, actor: Actor
) -> StageOut:
    """Record how a real-name reporter was told of acceptance (SMS, phone, letter, in person)."""
    intake.notify_acceptance(case_id, body.method, body.notified_at, actor=actor)
    return StageOut(case_id=str(case_id), stage=intake.petition(case_id, actor)["stage"])


@feedback.post(
    "/handling-started",
    response_model=HandlingOut,
    responses=error_responses(403, 404, 409, 422),
)
def handling_started(case_id: CaseId, intake: Intake, actor: Actor) -> HandlingOut:
    """The handling office started on an accepted case (idempotent)."""
    started = intake.note_handling_started(case_id, actor=actor)
    return HandlingOut(case_id=str(case_id), stage="in_handling", started=started)


@feedback.post("/result", response_model=StageOut, responses=_SCREENING_ERRORS)
def publish_result(case_id: CaseId, body: ResultIn, intake: Intake, actor: Actor) -> StageOut:
    """Concluded: the result the reporter may be told, in Chinese and English."""
    intake.publish_result(case_id, body.result_zh, body.result_en, actor=actor)
    return StageOut(case_id=str(case_id), stage="concluded")


# --- attachments 附件 ----------------------------------------------------------------------

attachments = APIRouter(prefix="/petitions/{case_id}/attachments", tags=["attachments"])


@attachments.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentAddedOut,
    responses=with_body(403, 404, 409, 422),
)
def upload_attachment(
    case_id: CaseId,
    file: Annotated[UploadFile, File(description="Letter scan, photo or recording")],
    kind: Annotated[str, Form(pattern="^(letter_scan|photo|recording|document)$")],
    intake: Intake,
    actor: Actor,
) -> AttachmentAddedOut:
    """Store a file content-addressed by sha256 and attach it to the case."""
    stored = intake.add_attachment(case_id, file.file, file.content_type or "", kind, actor=actor)
    return AttachmentAddedOut(**vars(stored))


@attachments.get(
    "/{sha256}",
    response_class=StreamingResponse,
    responses=_DOWNLOAD_RESPONSES,
)
def download_attachment(
    case_id: CaseId,
    sha256: Annotated[str, Path(pattern=SHA256_PATTERN)],
    intake: Intake,
    actor: Actor,
) -> StreamingResponse:
    """The content of one attachment of the case, decrypted; every download is logged."""
    handle, media_type = intake.open_attachment(case_id, sha256, actor)

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    return StreamingResponse(chunks(), media_type=media_type)


# --- public progress 进度查询 --------------------------------------------------------------

public = APIRouter(prefix="/public", tags=["public"])


@public.post(
    "/progress",
    response_model=ProgressOut,
    responses=with_body(404, 422, 429),
    dependencies=[Depends(throttle)],
)
def progress(body: ProgressIn, intake: Intake) -> Any:
    """A reporter asks progress by receipt code; only what a reporter may see."""
    return intake.progress(body.receipt_code)


ROUTERS = (casework, petitions, screening, feedback, attachments, public)
