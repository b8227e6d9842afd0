"""Intake's REST for the casework pages 案件工作台接口: search, a batch of cases by id and a
case's timeline.

All read through `IntakeApplication`, which scopes them to the caller (`CurrentActor`):
the search in its SQL, the others where each petition is loaded.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from domain.guards import ORGAN_CODE
from domain.petition import MAX_SUMMARY, Stage
from domain.vocabulary import Channel, ProblemCategory
from infra.web import error_responses
from services.auth import CurrentActor as Actor
from services.intake.application import IntakeApplication
from services.intake.schemas import (
    MAX_PERSONS,
    CandidateOut,
    FullText,
    PetitionOut,
    ReportedPersonIn,
    SubstanceHintOut,
)
from services.intake.search import PAGE_MAX, SearchQuery, decode_cursor

STAGE_PATTERN = "^(" + "|".join(sorted(Stage.LABELS)) + ")$"


class PetitionSummaryOut(BaseModel):
    """One case in a search result: what a results table shows."""

    case_id: str
    registration_number: str
    organ_code: str
    channel: str | None
    stage: str
    summary: str
    registered_at: str
    reported_persons: list[dict[str, str]]
    holder_organ: str
    holder_office: str


class PetitionPageOut(BaseModel):
    """A page of search results, newest registration first; `next_cursor` is None on the
    last page."""

    items: list[PetitionSummaryOut]
    next_cursor: str | None


class PetitionBatchOut(BaseModel):
    """Cases by id, in the order asked; `missing`: unknown or outside the caller's scope."""

    petitions: list[PetitionOut]
    missing: list[str]


class DraftIn(BaseModel):
    """What a clerk has typed so far 登记草稿: enough to hint at substance and repeats."""

    reported_persons: list[ReportedPersonIn] = Field(default_factory=list, max_length=MAX_PERSONS)
    categories: list[ProblemCategory] = Field(default_factory=list, max_length=10)
    summary: str = Field("", max_length=MAX_SUMMARY)
    full_text: FullText = ""


class DraftHintsOut(BaseModel):
    """The draft's substance hint (if any) and the earlier cases it may repeat."""

    substance_hint: SubstanceHintOut | None
    candidates: list[CandidateOut]


class TimelineEntryOut(BaseModel):
    """One intake event of a case: what, who (username), organ, office, when."""

    sequence: int
    what: str
    who: str | None
    organ: str | None
    office: str | None
    at: str


def _intake(request: Request) -> IntakeApplication:
    return request.app.state.intake  # type: ignore[no-any-return]


Intake = Annotated[IntakeApplication, Depends(_intake)]
CaseId = Annotated[UUID, Path(description="The case id 案件编号 (the petition's id)")]

casework = APIRouter(prefix="/petitions", tags=["casework"])
# PostgreSQL text holds no NUL: refused as invalid input (422), never a 500.
NO_NUL = r"^[^\x00]*$"


@casework.get("", response_model=PetitionPageOut, responses=error_responses(403, 422))
def search_petitions(
    intake: Intake,
    actor: Actor,
    registration_number: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    reported_person: Annotated[
        str | None,
        Query(max_length=50, pattern=NO_NUL, description="Part of a reported person's name"),
    ] = None,
    text: Annotated[
        str | None, Query(max_length=100, pattern=NO_NUL, description="Part of the summary")
    ] = None,
    stage: Annotated[str | None, Query(pattern=STAGE_PATTERN)] = None,
    channel: Channel | None = None,
    registered_from: Annotated[
        date | None, Query(alias="from", description="First day (Beijing time)")
    ] = None,
    registered_to: Annotated[
        date | None, Query(alias="to", description="Last day (Beijing time)")
    ] = None,
    organ: Annotated[
        str | None,
        Query(pattern=ORGAN_CODE.pattern, max_length=12, description="An organ subtree"),
    ] = None,
    first: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
    after: Annotated[str | None, Query(max_length=200, description="next_cursor")] = None,
) -> Any:
    """Cases the caller may see (registered in or held by their subtree), newest
    registration first, `first` at a time; pass `next_cursor` as `after` for the next
    page. Filters combine with AND; text filters match parts, case-insensitively."""
    query = SearchQuery(
        scopes=(),
        registration_number=registration_number,
        reported_person=reported_person,
        text=text,
        stage=stage,
        channel=None if channel is None else channel.value,
        registered_from=registered_from,
        registered_to=registered_to,
        organ=organ,
        first=first,
        after=None if after is None else decode_cursor(after),
    )
    return intake.search(query, actor)


MAX_BATCH = 100


@casework.post(
    "/draft-hints", response_model=DraftHintsOut, responses=error_responses(400, 403, 422)
)
def draft_hints(body: DraftIn, intake: Intake, actor: Actor) -> DraftHintsOut:
    """Before saving: the substance hint of a draft and the earlier cases (in the clerk's
    scope, best first) it may repeat; nothing is stored. POST: the text stays out of URLs."""
    found = intake.draft_hints(
        [p.model_dump() for p in body.reported_persons],
        [c.value for c in body.categories],
        body.summary,
        body.full_text,
        actor,
    )
    hint = found["substance_hint"]
    return DraftHintsOut(
        substance_hint=None if hint is None else SubstanceHintOut(**hint),
        candidates=[CandidateOut.of(c) for c in found["candidates"]],
    )


# Declared before `/petitions/{case_id}` (this router is included first): "batch" is no id.
@casework.get("/batch", response_model=PetitionBatchOut, responses=error_responses(403, 422))
def get_petitions(
    intake: Intake,
    actor: Actor,
    ids: Annotated[list[UUID], Query(min_length=1, max_length=MAX_BATCH)],
) -> Any:
    """Up to 100 cases in one call (`?ids=a&ids=b`) as staff see them, in the order asked;
    ids unknown or outside the caller's scope are listed in `missing`."""
    return intake.petitions(ids, actor)


@casework.get(
    "/{case_id}/timeline",
    response_model=list[TimelineEntryOut],
    responses=error_responses(403, 404, 422),
)
def get_timeline(case_id: CaseId, intake: Intake, actor: Actor) -> Any:
    """Every intake event of the case, oldest first: what, who (username), organ, office,
    when."""
    return intake.timeline(case_id, actor)


@casework.get("/{case_id}/history", responses=error_responses(403, 404, 422))
def get_history(
    case_id: CaseId,
    intake: Intake,
    actor: Actor,
    as_of: Annotated[AwareDatetime, Query(description="The moment, with its time zone")],
) -> Any:
    """The petition as it stood at `as_of` 案件回放 (auditors only, logged): the staff view
    then, every event up to then with its audit leaf and inclusion path, and the latest
    checkpoint of intake's store."""
    return intake.history(case_id, as_of, actor)
