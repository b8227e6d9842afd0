"""Stats REST API: counts for an organ's subtree, `caseStatistics` and `subordinateStatus`.

Field names are those the gateway's GraphQL will expose (`previousTotal`,
`changePercent`...), so the gateway passes the answers through unchanged.

Every route needs the gateway's token, and the organ asked must be in the caller's subtree
(`domain.access`, statistics: read): another organ's figures are refused with 403 and the
refusal logged.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

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


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Rate(_Camel):
    """A rate 比率: numerator over denominator, in percent (null when nothing to divide)."""

    numerator: int
    denominator: int
    percent: float | None


class Rates(_Camel):
    """The rates over the selected reports."""

    inScopeShare: Rate
    repeatShare: Rate
    closure: Rate
    substantiation: Rate
    sanction: Rate
    satisfaction: Rate
    onTime: Rate


class Group(_Camel):
    """One group: its vocabulary codes in the order of `groupBy`, count and 人次."""

    keys: list[str]
    count: int
    visitors: int
    previousCount: int
    changePercent: float | None


class CaseStatistics(_Camel):
    """Reports received by the organ's subtree in the range, grouped, year on year."""

    organ: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    previousFrom: dt.date
    previousTo: dt.date
    asOf: dt.datetime | None
    groupBy: list[str]
    total: int
    visitors: int
    previousTotal: int
    previousVisitors: int
    changePercent: float | None
    groups: list[Group]
    rates: Rates


class SubordinateUnit(_Camel):
    """One subordinate organ (or the organ itself, `own`) and its handling status."""

    organ: str
    name: str
    level: str
    kind: str
    own: bool
    hasChildren: bool
    holding: int
    overdue: int
    yellow: int
    red: int
    received: int
    concluded: int
    closureRate: float | None
    repeatRate: float | None


class SubordinateStatus(_Camel):
    """The organ and its direct subordinates and stationed units."""

    organ: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    units: list[SubordinateUnit]


def get_stats(request: Request) -> StatsApplication:
    return request.app.state.stats  # type: ignore[no-any-return]


def get_guard(request: Request) -> Guard:
    return request.app.state.guard  # type: ignore[no-any-return]


def organ_in_scope(
    organ: Annotated[str, Path(max_length=16)],
    actor: CurrentActor,
    guard: Annotated[Guard, Depends(get_guard)],
) -> str:
    """The organ asked, once its code is well formed and it is in the caller's subtree."""
    require_organ_code(organ)
    guard.organ(actor, Action.READ, Object.STATISTICS, organ)
    return organ


Stats = Annotated[StatsApplication, Depends(get_stats)]
OrganCode = Annotated[str, Depends(organ_in_scope)]
Start = Annotated[dt.date, Query(alias="from")]
End = Annotated[dt.date, Query(alias="to")]

router = APIRouter(prefix="/organs", tags=["stats"])


@router.get("/{organ}/stats", response_model=OrganStats, responses=error_responses(403, 422))
def organ_stats(stats: Stats, organ: OrganCode, start: Start, end: End) -> OrganStats:
    """Total and per-channel counts for the organ and everything under it."""
    data = stats.organ_stats(organ, start, end)
    return OrganStats(
        organ=data["organ"],
        from_=start,
        to=end,
        total=data["total"],
        by_channel=[ChannelCount(**item) for item in data["by_channel"]],
    )


@router.get(
    "/{organ}/case-statistics",
    response_model=CaseStatistics,
    response_model_by_alias=True,
    responses=error_responses(403, 404, 422),
)
def case_statistics(
    stats: Stats,
    organ: OrganCode,
    start: Start,
    end: End,
    group_by: Annotated[list[str], Query(alias="groupBy", max_length=8)] = [],  # noqa: B006
    as_of: Annotated[dt.datetime | None, Query(alias="asOf")] = None,
) -> CaseStatistics:
    """caseStatistics 综合统计: counts and 人次 over the organ's subtree for reports received
    in the range, grouped by the dimensions named (repeat `groupBy` or separate by commas),
    each with the same period a year earlier; rates; as of a past moment with `asOf`."""
    return CaseStatistics.model_validate(stats.case_statistics(organ, start, end, group_by, as_of))


@router.get(
    "/{organ}/subordinate-status",
    response_model=SubordinateStatus,
    response_model_by_alias=True,
    responses=error_responses(403, 404, 422),
)
def subordinate_status(stats: Stats, organ: OrganCode, start: Start, end: End) -> SubordinateStatus:
    """subordinateStatus 下级办理情况: the organ and each direct subordinate and stationed
    unit; ask again with a subordinate's code to go one level further down."""
    return SubordinateStatus.model_validate(stats.subordinate_status(organ, start, end))
