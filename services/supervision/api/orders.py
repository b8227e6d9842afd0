"""Supervision orders 督办: issue, approve, acknowledge, progress, remind, escalate."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body

from domain.vocabulary import OrderLevel
from infra.idempotency import Keyed
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

router = APIRouter(tags=["orders 督办"])
Organ = ScopedOrgan  # the caller's subtree only
ERRORS = command_errors(403, 404, 409, 422)


@router.post("/orders", status_code=201, responses=ERRORS)
def issue(app: App, actor: CurrentActor, case_id: Annotated[UUID, Body(embed=True)],
          level: Annotated[OrderLevel, Body(embed=True)],
          requirements: Annotated[Text, Body(embed=True)],
          working_days: Annotated[int, Body(embed=True, ge=1, le=250)],
          keyed: Keyed) -> Any:
    """Draft an order on a case held below the acting person's organ (once per
    `Idempotency-Key`)."""
    return keyed.once(app.idempotency, actor.username, lambda: usecases.issue_order(
        app, actor, case_id, level.value, requirements, working_days))


@router.get("/orders", responses=error_responses(403, 404, 422))
def list_orders(app: App, organ: Organ,
                side: Literal["issued", "received"] = "received") -> list[dict[str, Any]]:
    """Orders the organ's subtree issued or received, with their clocks."""
    return queries.orders(app, organ, side)


@router.get("/orders/{order_id}", responses=error_responses(404, 422))
def get_order(app: App, order_id: UUID, actor: CurrentActor,
              guard: CaseGuard) -> dict[str, Any]:
    """One order (404 outside the caller's scope)."""
    return usecases.order(app, order_id, actor, guard)


@router.post("/orders/{order_id}/approval", responses=ERRORS)
def approve(app: App, order_id: UUID, actor: CurrentActor) -> dict[str, Any]:
    """A leader of the issuing organ signs it off; its clock starts."""
    return usecases.approve_order(app, order_id, actor)


@router.post("/orders/{order_id}/{action}", responses=ERRORS)
def act(app: App, order_id: UUID, actor: CurrentActor,
        action: Literal["acknowledge", "progress", "remind", "accept", "escalate"],
        note: Annotated[Text | None, Body(embed=True)] = None,
        expected_version: Annotated[Version, Body(embed=True)] = None) -> dict[str, Any]:
    """Acknowledge, report progress, remind 催办, accept the result (closing the order) or
    escalate; `note` where one is needed."""
    return usecases.act_on_order(app, order_id, actor, action, note, expected_version)
