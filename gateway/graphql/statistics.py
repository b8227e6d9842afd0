"""Statistics 综合统计: `caseStatistics` and `subordinateStatus`, answered by stats.

Stats decides scope (an organ outside the user's subtree is a coded refusal) and checks
the range and dimensions; the gateway passes its answers through in the same shape.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain.guards import CHINA_TZ, require_organ_code
from gateway.clients import path
from gateway.graphql.context import call, coded, gateway, session


@strawberry.enum(description="What caseStatistics can group by 统计维度")
class StatisticsDimension(Enum):
    CHANNEL = "CHANNEL"
    SCOPE = "SCOPE"
    REPORT_TYPE = "REPORT_TYPE"
    FIRST_OR_REPEAT = "FIRST_OR_REPEAT"
    REAL_NAME = "REAL_NAME"
    CATEGORY = "CATEGORY"
    KEY_FIELD = "KEY_FIELD"
    CADRE_LEVEL = "CADRE_LEVEL"
    OUTCOME = "OUTCOME"
    SUBSTANTIATION = "SUBSTANTIATION"
    SUBORDINATE = "SUBORDINATE"
    MONTH = "MONTH"
    ORIGIN = "ORIGIN"
    CONDUCT_PERIOD = "CONDUCT_PERIOD"
    DISPOSAL = "DISPOSAL"
    STAGE = "STAGE"
    SATISFACTION = "SATISFACTION"
    WARNING = "WARNING"


@strawberry.type(description="A rate 比率: numerator over denominator, in percent")
class StatisticsRate:
    numerator: int
    denominator: int
    percent: float | None


@strawberry.type(description="The rates over the selected reports")
class StatisticsRates:
    in_scope_share: StatisticsRate
    repeat_share: StatisticsRate
    closure: StatisticsRate
    substantiation: StatisticsRate
    sanction: StatisticsRate
    satisfaction: StatisticsRate
    on_time: StatisticsRate


@strawberry.type(description="One group: its codes in the order of groupBy, count and 人次")
class StatisticsGroup:
    keys: list[str]
    count: int
    visitors: int
    previous_count: int
    change_percent: float | None


@strawberry.type(description="Reports received by an organ's subtree in a range, year on year")
class CaseStatistics:
    organ: str
    start: dt.date = strawberry.field(name="from")
    to: dt.date
    previous_from: dt.date
    previous_to: dt.date
    as_of: dt.datetime | None
    group_by: list[StatisticsDimension]
    total: int
    visitors: int
    previous_total: int
    previous_visitors: int
    change_percent: float | None
    groups: list[StatisticsGroup]
    rates: StatisticsRates

    @classmethod
    def of(cls, data: dict[str, Any]) -> CaseStatistics:
        return cls(
            organ=data["organ"],
            start=dt.date.fromisoformat(data["from"]),
            to=dt.date.fromisoformat(data["to"]),
            previous_from=dt.date.fromisoformat(data["previousFrom"]),
            previous_to=dt.date.fromisoformat(data["previousTo"]),
            as_of=dt.datetime.fromisoformat(data["asOf"]) if data.get("asOf") else None,
            group_by=[StatisticsDimension(name) for name in data["groupBy"]],
            total=data["total"],
            visitors=data["visitors"],
            previous_total=data["previousTotal"],
            previous_visitors=data["previousVisitors"],
            change_percent=data["changePercent"],
            groups=[
                StatisticsGroup(
                    keys=g["keys"],
                    count=g["count"],
                    visitors=g["visitors"],
                    previous_count=g["previousCount"],
                    change_percent=g["changePercent"],
                )
                for g in data["groups"]
            ],
            rates=StatisticsRates(
                **{_snake(name): StatisticsRate(**rate) for name, rate in data["rates"].items()}
            ),
        )


@strawberry.type(description="A subordinate organ (or the organ itself) and its handling")
class SubordinateUnit:
    organ: str
    name: str
    level: str
    kind: str
    own: bool
    has_children: bool
    holding: int
    overdue: int
    yellow: int
    red: int
    received: int
    concluded: int
    closure_rate: float | None
    repeat_rate: float | None


@strawberry.type(description="An organ and its direct subordinates and stationed units")
class SubordinateStatus:
    organ: str
    start: dt.date = strawberry.field(name="from")
    to: dt.date
    units: list[SubordinateUnit]

    @classmethod
    def of(cls, data: dict[str, Any]) -> SubordinateStatus:
        return cls(
            organ=data["organ"],
            start=dt.date.fromisoformat(data["from"]),
            to=dt.date.fromisoformat(data["to"]),
            units=[
                SubordinateUnit(**{_snake(name): value for name, value in unit.items()})
                for unit in data["units"]
            ],
        )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def this_year() -> tuple[dt.date, dt.date]:
    """From 1 January to today, Beijing days: the period a status defaults to."""
    today = dt.datetime.now(CHINA_TZ).date()
    return today.replace(month=1, day=1), today


async def case_statistics(
    info: Info,
    organ: str,
    start: dt.date,
    end: dt.date,
    group_by: list[StatisticsDimension],
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """Stats' answer as its JSON, for the user of the session (the Excel export uses it)."""
    await session(info)
    code = require_organ_code(organ, "organ")
    params: dict[str, Any] = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "groupBy": [d.value for d in group_by],
    }
    if as_of is not None:
        params["asOf"] = as_of.isoformat()
    url = path("/organs/{}/case-statistics", code)
    return await call(info, gateway(info).stats, "GET", url, params=params)  # type: ignore[no-any-return]


async def subordinate_status(
    info: Info, organ: str, start: dt.date | None, end: dt.date | None
) -> dict[str, Any]:
    await session(info)
    code = require_organ_code(organ, "organ")
    default_start, default_end = this_year()
    params = {
        "from": (start or default_start).isoformat(),
        "to": (end or default_end).isoformat(),
    }
    url = path("/organs/{}/subordinate-status", code)
    return await call(info, gateway(info).stats, "GET", url, params=params)  # type: ignore[no-any-return]


From = Annotated[dt.date, strawberry.argument(name="from")]
OptionalFrom = Annotated[dt.date | None, strawberry.argument(name="from")]


@strawberry.type
class StatisticsQuery:
    @strawberry.field(
        description="caseStatistics 综合统计: counts and 人次 over the organ's subtree for "
        "reports received in the range (Beijing days, both included), grouped, year on year"
    )
    async def case_statistics(
        self,
        info: Info,
        organ: str,
        start: From,
        to: dt.date,
        group_by: list[StatisticsDimension],
        as_of: dt.datetime | None = None,
    ) -> CaseStatistics:
        with coded():
            data = await case_statistics(info, organ, start, to, group_by, as_of)
        return CaseStatistics.of(data)

    @strawberry.field(
        description="subordinateStatus 下级办理情况: the organ and each direct subordinate "
        "with what it holds, its warnings and rates; ask again with a subordinate's code "
        "to go one level down. The period defaults to this year."
    )
    async def subordinate_status(
        self,
        info: Info,
        organ: str,
        start: OptionalFrom = None,
        to: dt.date | None = None,
    ) -> SubordinateStatus:
        with coded():
            data = await subordinate_status(info, organ, start, to)
        return SubordinateStatus.of(data)
