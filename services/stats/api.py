"""Stats REST API: counts for an organ's subtree."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from infra.web import error_responses
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


@router.get("/{organ}/stats", response_model=OrganStats, responses=error_responses(422))
def organ_stats(
    stats: Stats,
    organ: Annotated[str, Path(max_length=16)],
    start: Annotated[dt.date, Query(alias="from")],
    end: Annotated[dt.date, Query(alias="to")],
) -> OrganStats:
    """Total and per-channel counts for the organ and everything under it."""
    data = stats.organ_stats(organ, start, end)
    return OrganStats(
        organ=data["organ"],
        from_=start,
        to=end,
        total=data["total"],
        by_channel=[ChannelCount(**item) for item in data["by_channel"]],
    )
