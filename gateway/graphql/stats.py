"""Counts per organ and subtree 统计 (stats)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from gateway.clients import path
from gateway.graphql.context import call, coded, gateway


@strawberry.type
class ChannelCount:
    """Reports received through one channel."""

    channel: str
    count: int


@strawberry.type
class OrganStats:
    """Reports received by an organ and its subtree in a date range."""

    organ: str
    total: int
    by_channel: list[ChannelCount]


@strawberry.type
class StatsQuery:
    @strawberry.field(description="Counts for an organ and its subtree, days inclusive")
    async def organ_stats(
        self,
        info: Info,
        organ: str,
        start: Annotated[dt.date, strawberry.argument(name="from")],
        end: Annotated[dt.date, strawberry.argument(name="to")],
    ) -> OrganStats:
        with coded():
            data = await call(
                info,
                gateway(info).stats,
                "GET",
                path("/organs/{}/stats", organ),
                params={"from": start.isoformat(), "to": end.isoformat()},
            )
        return OrganStats(
            organ=data["organ"],
            total=data["total"],
            by_channel=[ChannelCount(**item) for item in data["by_channel"]],
        )
