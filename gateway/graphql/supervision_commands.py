"""Supervision 督查督办 mutations: orders, evaluations, loop feedback, deadlines, calendar."""

from __future__ import annotations

from typing import Any

import strawberry
import yaml
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.guards import invalid
from gateway.clients import path
from gateway.graphql.context import call, coded, gateway, session
from gateway.graphql.supervision import month_checked
from gateway.graphql.supervision_types import Deadline, Evaluation, SupervisionOrder
from gateway.graphql.worklists import case_id as uuid_checked

ORDER_ACTIONS = ("acknowledge", "progress", "remind", "accept", "escalate")
MAX_CALENDAR_FILE = 64_000


async def post(info: Info, url: str, body: dict[str, Any], *, keyed: bool = False) -> Any:
    """POST a command to supervision as the session's user (CSRF checked); the service
    takes the actor from the user's token. A `keyed` one passes the Idempotency-Key on."""
    await session(info, mutation=True)
    payload = {k: v for k, v in body.items() if v is not None}
    return await call(info, gateway(info).supervision, "POST", url, json=payload, keyed=keyed)


def _order_path(order_id: strawberry.ID, suffix: str) -> str:
    return path("/orders/{}/" + suffix, uuid_checked(str(order_id), "orderId"))


def _evaluation_path(evaluation_id: strawberry.ID, suffix: str = "") -> str:
    return path("/evaluations/{}" + suffix, uuid_checked(str(evaluation_id), "evaluationId"))


def calendar_year(year: int, file: str) -> dict[str, Any]:
    """The body of a published year from the text of a calendar file (deploy/data/calendar/)."""
    if len(file) > MAX_CALENDAR_FILE:
        raise invalid("calendar_file_too_large", "日历文件过大", "The calendar file is too large",
                      field="file")
    try:
        data = yaml.safe_load(file)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict) or not all(
            isinstance(data.get(k, []), list) for k in ("holidays", "workdays")):
        raise invalid("calendar_file_invalid", "日历文件格式不正确",
                      "The calendar file is not in the calendar format", field="file")
    if data.get("year") not in (None, year):
        raise invalid("calendar_year_mismatch", "文件年份与发布年份不一致",
                      "The file is for another year", field="file")
    return {"holidays": [str(d) for d in data.get("holidays") or []],
            "workdays": [str(d) for d in data.get("workdays") or []],
            "source": str(data.get("source") or "")[:200] or None}


@strawberry.type
class SupervisionMutation:
    @strawberry.mutation(description="Draft a supervision order on a case held below 发起督办")
    async def issue_supervision_order(
        self, info: Info, case_id: strawberry.ID, level: str, requirements: str,
        working_days: int,
    ) -> SupervisionOrder:
        with coded():
            checked = uuid_checked(str(case_id), "caseId")
            row = await post(info, "/orders", {
                "case_id": checked, "level": level, "requirements": requirements,
                "working_days": working_days}, keyed=True)
        return SupervisionOrder.of(row)

    @strawberry.mutation(description="A leader signs the order off; its clock starts 审批")
    async def approve_supervision_order(self, info: Info, id: strawberry.ID) -> SupervisionOrder:
        with coded():
            row = await post(info, _order_path(id, "approval"), {})
        return SupervisionOrder.of(row)

    @strawberry.mutation(description="Acknowledge, report progress, remind 催办, accept the "
                         "result (closing the order) or escalate")
    async def act_on_supervision_order(
        self, info: Info, id: strawberry.ID, action: str, note: str | None = None,
        expected_version: int | None = None,
    ) -> SupervisionOrder:
        with coded():
            if action not in ORDER_ACTIONS:
                raise invalid("order_action_invalid", "不支持的督办操作",
                              "Unknown order action", field="action")
            row = await post(info, _order_path(id, action),
                             {"note": note, "expected_version": expected_version})
        return SupervisionOrder.of(row)

    @strawberry.mutation(description="Extend a deadline 延期 (the acting leader approves)")
    async def extend_deadline(self, info: Info, id: strawberry.ID, days: int, reason: str,
                              expected_version: int | None = None) -> Deadline:
        with coded():
            url = path("/deadlines/{}/extensions", uuid_checked(str(id), "id"))
            row = await post(info, url, {"days": days, "reason": reason,
                                         "expected_version": expected_version})
        return Deadline.of(row)

    @strawberry.mutation(description="Draw the month's evaluation sample 抽样 (seed recorded)")
    async def draw_evaluation(self, info: Info, month: str, organs: list[str],
                              size: int | None = None, seed: str | None = None) -> Evaluation:
        with coded():
            row = await post(info, "/evaluations", {
                "month": month_checked(month), "organs": organs, "size": size, "seed": seed},
                keyed=True)
        return Evaluation.of(row)

    @strawberry.mutation(description="Score a sampled case: points lost per item 评分")
    async def score_case(self, info: Info, evaluation_id: strawberry.ID, case_id: strawberry.ID,
                         lost: JSON) -> Evaluation:
        with coded():
            if not isinstance(lost, dict):
                raise invalid("lost_points_invalid", "扣分应按评查项目填写",
                              "Lost points are given per item", field="lost")
            checked = uuid_checked(str(case_id), "caseId")
            row = await post(info, _evaluation_path(evaluation_id, "/scores"),
                             {"case_id": checked, "lost": lost})
        return Evaluation.of(row)

    @strawberry.mutation(description="Record the rectification 整改 of an item, with evidence")
    async def submit_rectification(self, info: Info, evaluation_id: strawberry.ID, item_id: str,
                                   evidence: str) -> Evaluation:
        with coded():
            url = _evaluation_path(evaluation_id, path("/items/{}/rectification", item_id))
            row = await post(info, url, {"evidence": evidence})
        return Evaluation.of(row)

    @strawberry.mutation(description="Accept a rectification, or reject it with a reason")
    async def review_rectification(self, info: Info, evaluation_id: strawberry.ID,
                                   item_id: str, accept: bool,
                                   reason: str | None = None) -> Evaluation:
        with coded():
            url = _evaluation_path(evaluation_id, path("/items/{}/review", item_id))
            row = await post(info, url, {"accept": accept, "reason": reason})
        return Evaluation.of(row)

    @strawberry.mutation(description="The holder's monthly feedback on a key-field case 月反馈")
    async def key_field_feedback(self, info: Info, loop_id: strawberry.ID, month: str,
                                 note: str) -> JSON:
        with coded():
            url = path("/key-field-loops/{}/feedback", uuid_checked(str(loop_id), "loopId"))
            return await post(info, url, {"month": month_checked(month), "note": note})

    @strawberry.mutation(description="Publish a year's holidays 发布节假日安排 (administrators)")
    async def publish_calendar_year(self, info: Info, year: int, file: str) -> JSON:
        with coded():
            if not 1950 <= year <= 9999:
                raise invalid("calendar_year_invalid", "年份不正确", "The year is not valid",
                              field="year")
            url = path("/calendar/years/{}", year)
            return await post(info, url, calendar_year(year, file))
