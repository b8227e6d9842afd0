"""Stats REST API: counts for an organ's subtree.

The organ asked must be in the caller's subtree (`domain.access`, statistics: read);
another organ's figures are refused with 403 and the refusal logged.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from domain.access import Action, Object
from domain.guards import require_organ_code
from infra.web import error_responses
from services.auth import CurrentActor
from services.guard import Guard
from services.stats.application import StatsApplication


class ChannelCount(BaseModel):
    """Reports received through one channel."""

    channel: str
    count: int


class OrganStats(BaseModel):
    """Reports received by an organ and its subtree in a date range."""

    organ: str
    from_: dt.date
    to: dt.date
    total: int
    by_channel: list[ChannelCount]


def get_stats(request: Request) -> StatsApplication:
    return request.app.state.stats  # type: ignore[no-any-return]


Stats = Annotated[StatsApplication, Depends(get_stats)]

router = APIRouter(prefix="/organs", tags=["stats"])


def get_guard(request: Request) -> Guard:
    return request.app.state.guard  # type: ignore[no-any-return]


@router.get("/{organ}/stats", response_model=OrganStats, responses=error_responses(403, 422))
def organ_stats(
    stats: Stats,
    guard: Annotated[Guard, Depends(get_guard)],
    actor: CurrentActor,
    organ: Annotated[str, Path(max_length=16)],
    start: Annotated[dt.date, Query(alias="from")],
    end: Annotated[dt.date, Query(alias="to")],
) -> OrganStats:
    """Total and per-channel counts for the organ and everything under it."""
    require_organ_code(organ)
    guard.organ(actor, Action.READ, Object.STATISTICS, organ)
    data = stats.organ_stats(organ, start, end)
    return OrganStats(
        organ=data["organ"],
        from_=start,
        to=end,
        total=data["total"],
        by_channel=[ChannelCount(**item) for item in data["by_channel"]],
    )
