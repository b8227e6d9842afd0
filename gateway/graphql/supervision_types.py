"""Supervision 督查督办 as GraphQL types: clocks, warning counts, orders, evaluations, loops."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

Row = dict[str, Any]


def _json(value: Any) -> JSON:
    return cast(JSON, value)


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@strawberry.type
class Deadline:
    """One clock a case runs against 期限, with today's colour (green, yellow, red)."""

    id: strawberry.ID
    case_id: strawberry.ID
    kind: str
    responsible_organ: str
    opened_on: dt.date
    due: dt.date
    provisional: bool
    status: str
    level: str | None
    days_overdue: int | None
    days_late: int | None
    met_on: dt.date | None
    calendar_version: str | None
    rules_version: str | None
    warnings: JSON
    history: JSON

    @classmethod
    def of(cls, row: Row) -> Deadline:
        return cls(
            id=strawberry.ID(row["deadline_id"]), case_id=strawberry.ID(row["case_id"]),
            kind=row["kind"], responsible_organ=row["responsible_organ"],
            opened_on=dt.date.fromisoformat(row["opened_on"]),
            due=dt.date.fromisoformat(row["due"]), provisional=bool(row.get("provisional")),
            status=row["status"], level=row.get("level"), days_overdue=row.get("days_overdue"),
            days_late=row.get("days_late"), met_on=_date(row.get("met_on")),
            calendar_version=_str(row.get("calendar_version")),
            rules_version=_str(row.get("rules_version")), warnings=_json(row.get("warnings") or {}),
            history=_json(row.get("history") or []),
        )


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@strawberry.type
class OrganWarningCount:
    organ: str
    red: int
    yellow: int


@strawberry.type
class WarningCounts:
    """Red and yellow items of an organ's subtree 红黄牌预警, in total and per organ."""

    organ: str
    red: int
    yellow: int
    per_organ: list[OrganWarningCount]

    @classmethod
    def of(cls, row: Row) -> WarningCounts:
        return cls(organ=row["organ"], red=row["red"], yellow=row["yellow"],
                   per_organ=[OrganWarningCount(**p) for p in row.get("per_organ", [])])


@strawberry.type
class OrderEntry:
    """One step of an order's history."""

    what: str
    by: str | None
    organ: str | None
    at: str | None
    note: str | None


@strawberry.type
class SupervisionOrder:
    """A supervision order 督办 with its clock."""

    id: strawberry.ID
    case_id: strawberry.ID
    issuer_organ: str
    holder_organ: str
    level: str
    requirements: str
    working_days: int
    status: str
    approved_by: str | None
    start: dt.date | None
    due: dt.date | None
    provisional: bool
    reminders: int
    clock_level: str | None
    version: int
    history: list[OrderEntry]

    @classmethod
    def of(cls, row: Row) -> SupervisionOrder:
        # reminders is a count; a list is accepted too
        clock = row.get("clock") or {}
        reminders = row.get("reminders")
        return cls(
            id=strawberry.ID(row["order_id"]), case_id=strawberry.ID(row["case_id"]),
            issuer_organ=row["issuer_organ"], holder_organ=row["holder_organ"],
            level=row["level"], requirements=row["requirements"],
            working_days=row["working_days"], status=row["status"],
            approved_by=row.get("approved_by"), start=_date(row.get("start")),
            due=_date(row.get("due")), provisional=bool(row.get("provisional")),
            reminders=len(reminders) if isinstance(reminders, list) else int(reminders or 0),
            clock_level=clock.get("level"), version=row["version"],
            history=[_entry(h) for h in row.get("history") or []],
        )


def _entry(step: Any) -> OrderEntry:
    if not isinstance(step, dict):
        return OrderEntry(what=str(step), by=None, organ=None, at=None, note=None)
    return OrderEntry(
        what=str(step.get("event") or ""), by=_str(step.get("actor")),
        organ=_str(step.get("organ_code") or step.get("organ")),
        at=_str(step.get("at")), note=_str(step.get("note") or step.get("reason")),
    )


@strawberry.type
class LoopCase:
    """A key-field case on the closed loop 闭环管理: monthly feedback and closure deadline."""

    id: strawberry.ID
    case_id: strawberry.ID
    key_field: str
    holder_organ: str
    opened_on: dt.date
    closure_due: dt.date
    closed_on: dt.date | None
    months_missing: list[str]
    overdue: bool
    feedback: JSON

    @classmethod
    def of(cls, row: Row) -> LoopCase:
        return cls(
            id=strawberry.ID(row["loop_id"]), case_id=strawberry.ID(row["case_id"]),
            key_field=row["key_field"], holder_organ=row["holder_organ"],
            opened_on=dt.date.fromisoformat(row["opened_on"]),
            closure_due=dt.date.fromisoformat(row["closure_due"]),
            closed_on=_date(row.get("closed_on")), months_missing=list(row["months_missing"]),
            overdue=bool(row["overdue"]), feedback=_json(row.get("feedback") or {}),
        )


@strawberry.type
class Evaluation:
    """A month's case evaluation 一案一评: the draw (seed, population), scores, the
    negative-score list 负分问题清单 and the failing cases."""

    id: strawberry.ID
    evaluator_organ: str
    month: str
    organs: list[str]
    seed: str
    size: int
    population: list[str]
    sample: list[str]
    sheet_version: str | None
    scores: JSON
    items: JSON
    failing: JSON
    version: int

    @classmethod
    def of(cls, row: Row) -> Evaluation:
        sample = [s if isinstance(s, str) else str(s.get("case_id")) for s in row["sample"]]
        return cls(
            id=strawberry.ID(row["evaluation_id"]), evaluator_organ=row["evaluator_organ"],
            month=row["month"], organs=list(row["organs"]), seed=str(row["seed"]),
            size=int(row["size"]), population=list(row["population"]), sample=sample,
            sheet_version=_str(row.get("sheet_version")), scores=_json(row.get("scores") or {}),
            items=_json(row.get("items") or []), failing=_json(row.get("failing") or []),
            version=row["version"],
        )
