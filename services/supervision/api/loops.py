"""The key-field closed loop: cases followed, monthly feedback, the quarterly bulletin."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query

from infra.web import error_responses
from services.supervision import queries, usecases
from services.supervision.api.deps import (
    App,
    CurrentActor,
    Month,
    ScopedOrgan,
    Text,
    command_errors,
)

router = APIRouter(tags=["key-field loop 闭环管理"])
Organ = ScopedOrgan  # the caller's subtree only


@router.get("/key-field-loops", responses=error_responses(403, 404, 422))
def loops(app: App, organ: Organ) -> list[dict[str, Any]]:
    """Cases of the subtree on the closed loop, with missing months and overdue flags."""
    return queries.loops(app, organ)


@router.get("/key-field-loops/bulletin", responses=error_responses(403, 404, 422))
def bulletin(app: App, organ: Organ, year: Annotated[int, Query(ge=2000, le=9999)],
             quarter: Annotated[int, Query(ge=1, le=4)]) -> list[dict[str, Any]]:
    """季通报: open, closed and overdue per organ at the quarter's end."""
    return queries.loop_bulletin(app, organ, year, quarter)


@router.post("/key-field-loops/{loop_id}/feedback", responses=command_errors(403, 404, 409, 422))
def feedback(app: App, loop_id: UUID, actor: CurrentActor,
             month: Annotated[Month, Body(embed=True)],
             note: Annotated[Text, Body(embed=True)]) -> dict[str, Any]:
    """The holder's monthly feedback 月反馈."""
    return usecases.loop_feedback(app, loop_id, actor, month, note)
