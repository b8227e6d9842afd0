"""Supervision 督查督办 queries: warnings, overdue cases, a case's clocks, the header's
counts, orders issued and received, evaluations and bulletins, the key-field loop."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.guards import invalid, require_organ_code
from gateway.clients import path
from gateway.graphql.context import call, coded, gateway, session
from gateway.graphql.supervision_types import (
    Deadline,
    Evaluation,
    LoopCase,
    SupervisionOrder,
    WarningCounts,
)
from gateway.graphql.worklists import case_id as uuid_checked

LEVELS = ("yellow", "red")
SIDES = ("issued", "received")


async def get(info: Info, url: str, **params: Any) -> Any:
    """GET from supervision as the session's user, with the given query parameters."""
    await session(info)
    query = {k: v for k, v in params.items() if v is not None}
    return await call(info, gateway(info).supervision, "GET", url, params=query)


async def organ_or_own(info: Info, organ: str | None) -> str:
    """The organ asked for, or the user's own; a malformed code is refused here."""
    if organ is None:
        return (await session(info)).user.organ_code
    return require_organ_code(organ, "organ")


def month_checked(month: str | None) -> str | None:
    if month is None:
        return None
    year, _, number = month.partition("-")
    if not (len(year) == 4 and year.isdigit() and number.isdigit() and 1 <= int(number) <= 12
            and len(number) == 2):
        raise invalid("month_invalid", "月份格式应为 YYYY-MM", "A month is YYYY-MM",
                      field="month")
    return month


@strawberry.type
class SupervisionQuery:
    @strawberry.field(description="Yellow and red deadlines of the organ's subtree 预警")
    async def warnings(self, info: Info, organ: str | None = None,
                       level: str | None = None) -> list[Deadline]:
        with coded():
            if level is not None and level not in LEVELS:
                raise invalid("warning_level_invalid", "预警等级只能是黄色或红色",
                              "The level is yellow or red", field="level")
            code = await organ_or_own(info, organ)
            rows = await get(info, "/warnings", organ=code, level=level)
        return [Deadline.of(r) for r in rows]

    @strawberry.field(description="Deadlines of the subtree past due 超期未办结")
    async def overdue_cases(self, info: Info, organ: str | None = None) -> list[Deadline]:
        with coded():
            rows = await get(info, "/overdue", organ=await organ_or_own(info, organ))
        return [Deadline.of(r) for r in rows]

    @strawberry.field(description="Red and yellow counts per organ of the subtree (the board)")
    async def warning_counts(self, info: Info, organ: str | None = None) -> WarningCounts:
        with coded():
            row = await get(info, "/warnings/counts", organ=await organ_or_own(info, organ))
        return WarningCounts.of(row)

    @strawberry.field(description="The user's own red and yellow counts (the shell header)")
    async def my_warning_counts(self, info: Info) -> WarningCounts:
        with coded():
            row = await get(info, "/warnings/counts", organ=await organ_or_own(info, None))
        return WarningCounts.of(row)

    @strawberry.field(description="Every clock a case runs against 案件期限")
    async def case_deadlines(self, info: Info, case_id: strawberry.ID) -> list[Deadline]:
        with coded():
            checked = uuid_checked(str(case_id), "caseId")
            # By id, the single route: out of scope is a logged refusal, not an empty list.
            rows = await get(info, path("/cases/{}/deadlines", checked))
        return [Deadline.of(r) for r in rows]

    @strawberry.field(description="The orders on one case 案件督办")
    async def case_orders(self, info: Info, case_id: strawberry.ID) -> list[SupervisionOrder]:
        with coded():
            checked = uuid_checked(str(case_id), "caseId")
            rows = await get(info, path("/cases/{}/orders", checked))
        return [SupervisionOrder.of(r) for r in rows]

    @strawberry.field(description="Orders the subtree issued or received 督办, with clocks")
    async def supervision_orders(self, info: Info, side: str = "received",
                                 organ: str | None = None) -> list[SupervisionOrder]:
        with coded():
            if side not in SIDES:
                raise invalid("order_side_invalid", "只能查询发出或收到的督办",
                              "The side is issued or received", field="side")
            rows = await get(info, "/orders", organ=await organ_or_own(info, organ), side=side)
        return [SupervisionOrder.of(r) for r in rows]

    @strawberry.field(description="One supervision order with its history")
    async def supervision_order(self, info: Info, id: strawberry.ID) -> SupervisionOrder:
        with coded():
            checked = uuid_checked(str(id), "id")
            row = await get(info, path("/orders/{}", checked))
        return SupervisionOrder.of(row)

    @strawberry.field(description="The score sheet 评查表: items, weights and grade lines")
    async def evaluation_sheet(self, info: Info) -> JSON:
        with coded():
            return await get(info, "/evaluations/sheet")

    @strawberry.field(description="One month's case evaluation 一案一评")
    async def evaluation(self, info: Info, id: strawberry.ID) -> Evaluation:
        with coded():
            checked = uuid_checked(str(id), "id")
            row = await get(info, path("/evaluations/{}", checked))
        return Evaluation.of(row)

    @strawberry.field(description="Failing cases of the subtree's evaluations 不合格案件通报")
    async def evaluation_bulletin(self, info: Info, organ: str | None = None,
                                  month: str | None = None) -> JSON:
        with coded():
            code = await organ_or_own(info, organ)
            return await get(info, "/evaluations/bulletin", organ=code,
                             month=month_checked(month))

    @strawberry.field(description="Key-field cases on the closed loop 闭环管理")
    async def key_field_loops(self, info: Info, organ: str | None = None) -> list[LoopCase]:
        with coded():
            rows = await get(info, "/key-field-loops", organ=await organ_or_own(info, organ))
        return [LoopCase.of(r) for r in rows]

    @strawberry.field(description="The quarterly bulletin 季通报: open, closed, overdue")
    async def key_field_bulletin(self, info: Info, year: int, quarter: int,
                                 organ: str | None = None) -> JSON:
        with coded():
            if not 1 <= quarter <= 4:
                raise invalid("quarter_invalid", "季度须为 1 到 4", "A quarter is 1 to 4",
                              field="quarter")
            code = await organ_or_own(info, organ)
            return await get(info, "/key-field-loops/bulletin", organ=code, year=year,
                             quarter=quarter)
