"""Case evaluation 一案一评: draw, score, rectify, review, bulletin, the score sheet."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query
from pydantic import Field

from infra.idempotency import Keyed
from infra.web import error_responses
from services.supervision import queries, usecases
from services.supervision.api.deps import (
    App,
    CaseGuard,
    CurrentActor,
    Month,
    OrganCode,
    ScopedOrgan,
    Text,
    command_errors,
)

router = APIRouter(tags=["evaluations 一案一评"])
Organ = ScopedOrgan  # the caller's subtree only
ERRORS = command_errors(403, 404, 409, 422)
Seed = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[0-9A-Za-z_-]+$")]


@router.get("/evaluations/sheet")
def sheet(app: App) -> dict[str, Any]:
    """The score sheet: items and points per dimension, and the grade lines."""
    return {"version": app.config.sheet.version, "items": app.config.sheet.as_list(),
            "weights": app.config.sheet.weights(), "excellent": app.rules.excellent_score,
            "pass": app.rules.pass_score}


@router.get("/evaluations/bulletin", responses=error_responses(403, 404, 422))
def bulletin(app: App, organ: Organ,
             month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] = None,
             ) -> list[dict[str, Any]]:
    """Failing cases of the subtree's evaluations 不合格案件通报."""
    return queries.evaluation_bulletin(app, organ, month)


@router.post("/evaluations", status_code=201, responses=ERRORS)
def draw(app: App, actor: CurrentActor, keyed: Keyed, month: Annotated[Month, Body(embed=True)],
         organs: Annotated[list[OrganCode], Body(embed=True, min_length=1, max_length=100)],
         size: Annotated[int | None, Body(embed=True, ge=1, le=200)] = None,
         seed: Annotated[Seed | None, Body(embed=True)] = None) -> Any:
    """Draw the month's sample of first conclusions by the chosen organs (once per
    `Idempotency-Key`)."""
    return keyed.once(app.idempotency, actor.username,
                      lambda: usecases.draw(app, actor, month, organs, size, seed))


@router.get("/evaluations/{evaluation_id}", responses=error_responses(404, 422))
def get_evaluation(app: App, evaluation_id: UUID, actor: CurrentActor,
                   guard: CaseGuard) -> dict[str, Any]:
    """One evaluation (404 outside the caller's scope)."""
    return usecases.evaluation(app, evaluation_id, actor, guard)


@router.post("/evaluations/{evaluation_id}/scores", responses=ERRORS)
def score(app: App, evaluation_id: UUID, actor: CurrentActor,
          case_id: Annotated[UUID, Body(embed=True)],
          lost: Annotated[dict[str, int], Body(embed=True, max_length=100)]) -> dict[str, Any]:
    """Score a sampled case: the points lost per item (items not named lost none)."""
    return usecases.score(app, evaluation_id, actor, str(case_id), lost)


@router.post("/evaluations/{evaluation_id}/items/{item_id}/rectification", responses=ERRORS)
def rectify(app: App, evaluation_id: UUID, item_id: str, actor: CurrentActor,
            evidence: Annotated[Text, Body(embed=True)]) -> dict[str, Any]:
    """The evaluated organ records its rectification 整改 with evidence."""
    return usecases.rectify(app, evaluation_id, actor, item_id, evidence)


@router.post("/evaluations/{evaluation_id}/items/{item_id}/review", responses=ERRORS)
def review(app: App, evaluation_id: UUID, item_id: str, actor: CurrentActor,
           accept: Annotated[bool, Body(embed=True)],
           reason: Annotated[Text | None, Body(embed=True)] = None) -> dict[str, Any]:
    """The evaluator accepts the rectification or rejects it with a reason."""
    return usecases.review(app, evaluation_id, actor, item_id, accept, reason)
