"""What supervision holds, by case and by kind: rebuilt from its own notification log.

Handlers, the scheduler and the REST reads all catch up first, so they see every
aggregate stored so far by any process sharing the store. Commands never act on these
copies: they load the aggregate afresh and save it under optimistic concurrency.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from uuid import UUID

from domain.supervision.casefile import SupervisedCase
from domain.supervision.deadline import CaseDeadline
from domain.supervision.evaluation import MonthlyEvaluation
from domain.supervision.keyfield import KeyFieldLoop
from domain.supervision.order import SupervisionOrder

A = TypeVar("A")
BATCH = 500


class SupervisionIndex:
    """Aggregates by id, and the ids of each case's deadlines, orders and loops."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.position = 0
        self.objects: dict[UUID, Any] = {}
        self.by_case: dict[str, set[UUID]] = {}

    def catch_up(self, select: Callable[[int, int], list[Any]],
                 load: Callable[[UUID], Any], decode: Callable[[Any], Any]) -> None:
        """Apply the notifications after the position to the copies held here; a copy that
        is not exactly one version behind is loaded afresh."""
        with self.lock:
            while True:
                notifications = select(self.position + 1, BATCH)
                for notification in notifications:
                    aggregate_id = UUID(str(notification.originator_id))
                    held = self.objects.get(aggregate_id)
                    behind = 0 if held is None else held.version
                    if behind == notification.originator_version - 1:
                        self.put(decode(notification).mutate(held))
                    elif behind < notification.originator_version:
                        self.put(load(aggregate_id))
                if notifications:
                    self.position = notifications[-1].id
                if len(notifications) < BATCH:
                    return

    def put(self, aggregate: Any) -> None:
        if aggregate is None:
            return
        self.objects[aggregate.id] = aggregate
        case_id = getattr(aggregate, "case_id", None)
        if case_id is not None:
            self.by_case.setdefault(str(case_id), set()).add(aggregate.id)

    def of_type(self, kind: type[A]) -> Iterator[A]:
        with self.lock:
            items = list(self.objects.values())
        return (a for a in items if isinstance(a, kind))

    def of_case(self, case_id: str, kind: type[A]) -> list[A]:
        with self.lock:
            ids = list(self.by_case.get(case_id, ()))
            found = [self.objects[i] for i in ids]
        return [a for a in found if isinstance(a, kind)]

    def deadlines(self) -> Iterator[CaseDeadline]:
        return self.of_type(CaseDeadline)

    def orders(self) -> Iterator[SupervisionOrder]:
        return self.of_type(SupervisionOrder)

    def loops(self) -> Iterator[KeyFieldLoop]:
        return self.of_type(KeyFieldLoop)

    def evaluations(self) -> Iterator[MonthlyEvaluation]:
        return self.of_type(MonthlyEvaluation)

    def cases(self) -> Iterator[SupervisedCase]:
        return self.of_type(SupervisedCase)
