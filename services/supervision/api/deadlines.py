"""Deadlines: warnings and overdue over a subtree, a case's clocks, extension and suspension."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Query, Request
from pydantic import AwareDatetime

from infra.web import error_responses
from services.supervision import queries, usecases
from services.supervision.api.deps import (
    App,
    CaseGuard,
    CurrentActor,
    ScopedOrgan,
    Text,
    Version,
    command_errors,
)
from services.supervision.history import case_history

router = APIRouter(tags=["deadlines 期限"])
Organ = ScopedOrgan  # the caller's subtree only


@router.get("/warnings", responses=error_responses(403, 404, 422))
def warnings(app: App, organ: Organ, level: Literal["yellow", "red"] | None = None,
             ) -> list[dict[str, Any]]:
    """Open deadlines of the organ's subtree under a yellow or red warning 预警."""
    return queries.warnings(app, organ, level)


@router.get("/warnings/counts", responses=error_responses(403, 404, 422))
def warning_counts(app: App, organ: Organ) -> dict[str, Any]:
    """Red and yellow counts in the subtree, per organ."""
    return queries.warning_counts(app, organ)


@router.get("/overdue", responses=error_responses(403, 404, 422))
def overdue(app: App, organ: Organ) -> list[dict[str, Any]]:
    """Deadlines of the subtree past due today 超期未办结."""
    return queries.overdue(app, organ)


@router.get("/cases/{case_id}/history", responses=error_responses(403, 404, 422))
def history(request: Request, app: App, case_id: UUID, actor: CurrentActor,
            as_of: Annotated[AwareDatetime, Query(description="The moment, with its zone")],
            ) -> dict[str, Any]:
    """The case's clocks as they stood at `as_of` 期限回放 (auditors only, logged)."""
    return case_history(app, request.app.state.guard, case_id, as_of, actor)


@router.get("/deadlines/{deadline_id}", responses=error_responses(404, 422))
def deadline(app: App, deadline_id: UUID, actor: CurrentActor,
             guard: CaseGuard) -> dict[str, Any]:
    """One deadline (404 outside the caller's scope)."""
    return usecases.deadline(app, deadline_id, actor, guard)


@router.post("/deadlines/{deadline_id}/extensions", responses=command_errors(403, 404, 409, 422))
def extend(app: App, deadline_id: UUID, actor: CurrentActor,
           days: Annotated[int, Body(embed=True, ge=1, le=250)],
           reason: Annotated[Text, Body(embed=True)],
           expected_version: Annotated[Version, Body(embed=True)] = None) -> dict[str, Any]:
    """Extend 延期: the acting person is the approving leader."""
    return usecases.extend_deadline(app, deadline_id, actor, days, reason, expected_version)


@router.post("/deadlines/{deadline_id}/suspension", responses=command_errors(404, 409, 422))
def suspend(app: App, deadline_id: UUID, actor: CurrentActor,
            reason: Annotated[Text, Body(embed=True)]) -> dict[str, Any]:
    """Stop the clock from today 中止."""
    return usecases.suspend_deadline(app, deadline_id, actor, reason)


@router.post("/deadlines/{deadline_id}/resumption", responses=command_errors(404, 409, 422))
def resume(app: App, deadline_id: UUID, actor: CurrentActor) -> dict[str, Any]:
    """Restart the clock today with the working days that were left."""
    return usecases.resume_deadline(app, deadline_id, actor)



