"""The key-field closed loop 月反馈、季通报、限期销号 (poverty alleviation by default).

A case in a closed-loop key field is followed until it closes: its holder feeds back
every month, a quarterly bulletin counts what is open, closed and overdue per organ, and
the case has a closure deadline 限期销号 (a handling deadline warned like any other).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.guards import aware, require_text
from domain.supervision.evaluation import MONTH
from domain.supervision.keys import loop_id

__all__ = ["KeyFieldLoop", "months_between", "quarter_bulletin"]


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def months_between(first: date, last: date) -> list[str]:
    """Every month from `first`'s to `last`'s, inclusive, as YYYY-MM."""
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


class KeyFieldLoop(Aggregate):
    """One case followed in one key field until it closes."""

    @event("Opened")
    def __init__(self, *, id: UUID, case_id: str, key_field: str,  # noqa: A002
                 holder_organ: str, opened_on: str, closure_due: str, at: datetime,
                 organ_code: str, actor: str) -> None:
        self.case_id = case_id
        self.key_field = key_field
        self.holder_organ = holder_organ
        self.opened_on = date.fromisoformat(opened_on)
        self.closure_due = date.fromisoformat(closure_due)
        self.feedback: dict[str, dict[str, str]] = {}
        self.closed_on: date | None = None
        self.cancelled = False

    @classmethod
    def open(cls, case_id: UUID | str, key_field: str, holder_organ: str, opened_on: date,
             closure_due: date, *, at: datetime, actor: str) -> KeyFieldLoop:
        return cls(id=loop_id(case_id, key_field), case_id=str(case_id), key_field=key_field,
                   holder_organ=holder_organ, opened_on=opened_on.isoformat(),
                   closure_due=closure_due.isoformat(), at=aware(at), organ_code=holder_organ,
                   actor=actor)

    @property
    def is_open(self) -> bool:
        return self.closed_on is None and not self.cancelled

    def months_missing(self, today: date) -> list[str]:
        """Ended months (before today's) of the open loop with no feedback 月反馈."""
        end = self.closed_on or today
        months = months_between(self.opened_on, end)
        current = _month(today)
        return [m for m in months if m < current and m not in self.feedback
                and (self.closed_on is None or m < _month(self.closed_on))]

    def is_overdue(self, today: date) -> bool:
        if not self.is_open:
            return bool(self.closed_on and self.closed_on > self.closure_due)
        return today > self.closure_due or bool(self.months_missing(today))

    def give_feedback(self, actor: Actor, month: str, note: str, *, at: datetime) -> None:
        if not isinstance(month, str) or not MONTH.match(month):
            raise InvalidInput("month_invalid", "月份格式应为 YYYY-MM", "A month is YYYY-MM")
        note = require_text(note, "note", 2000)
        if not self.is_open:
            raise Conflict("loop_closed", "该件已销号", "The case is already closed in the loop")
        if actor.organ_code != self.holder_organ:
            raise Forbidden("loop_holder_only", "只有承办机关可以月反馈",
                            "Only the holding organ feeds back")
        if month < _month(self.opened_on) or month > _month(aware(at).date()):
            raise InvalidInput("month_out_of_range", "反馈月份不在跟踪期内",
                               "The month is outside the loop's period", month=month)
        if month in self.feedback:
            raise Conflict("month_already_fed_back", "该月已反馈", "That month is fed back")
        self._fed_back(month=month, note=note, at=aware(at), organ_code=actor.organ_code,
                       actor=actor.username)

    def move_to(self, organ: str, *, at: datetime, actor: str) -> bool:
        if not self.is_open or organ == self.holder_organ:
            return False
        self._holder_moved(holder_organ=organ, at=aware(at), organ_code=organ, actor=actor)
        return True

    def close(self, on: date, *, at: datetime, actor: str) -> bool:
        """The case is concluded: 销号."""
        if not self.is_open:
            return False
        self._closed(closed_on=on.isoformat(), at=aware(at), organ_code=self.holder_organ,
                     actor=actor)
        return True

    def cancel(self, reason: str, *, at: datetime, actor: str) -> bool:
        if not self.is_open:
            return False
        self._cancelled(reason=reason, at=aware(at), organ_code=self.holder_organ, actor=actor)
        return True

    @event("FedBack")
    def _fed_back(self, month: str, note: str, at: datetime, organ_code: str,
                  actor: str) -> None:
        self.feedback[month] = {"note": note, "by": actor, "at": at.isoformat()}

    @event("HolderMoved")
    def _holder_moved(self, holder_organ: str, at: datetime, organ_code: str,
                      actor: str) -> None:
        self.holder_organ = holder_organ

    @event("Closed")
    def _closed(self, closed_on: str, at: datetime, organ_code: str, actor: str) -> None:
        self.closed_on = date.fromisoformat(closed_on)

    @event("Cancelled")
    def _cancelled(self, reason: str, at: datetime, organ_code: str, actor: str) -> None:
        self.cancelled = True

    def as_dict(self, today: date) -> dict[str, Any]:
        return {
            "loop_id": str(self.id), "case_id": self.case_id, "key_field": self.key_field,
            "holder_organ": self.holder_organ, "opened_on": self.opened_on.isoformat(),
            "closure_due": self.closure_due.isoformat(),
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
            "cancelled": self.cancelled, "feedback": self.feedback,
            "months_missing": self.months_missing(today), "overdue": self.is_overdue(today),
            "version": self.version,
        }


def quarter_bulletin(loops: Iterable[KeyFieldLoop], year: int, quarter: int,
                     under: str) -> list[dict[str, Any]]:
    """季通报: per organ of the subtree, loops open, closed and overdue at the quarter's end."""
    if not 1 <= quarter <= 4:
        raise InvalidInput("quarter_invalid", "季度须为 1 到 4", "A quarter is 1 to 4")
    end_month = quarter * 3
    end = (date(year + 1, 1, 1) if end_month == 12 else date(year, end_month + 1, 1))
    last_day = date.fromordinal(end.toordinal() - 1)
    rows: dict[str, dict[str, Any]] = {}
    for loop in loops:
        if loop.cancelled or loop.opened_on > last_day or not loop.holder_organ.startswith(under):
            continue
        row = rows.setdefault(loop.holder_organ, {"organ": loop.holder_organ, "open": 0,
                                                  "closed": 0, "overdue": 0})
        closed = loop.closed_on is not None and loop.closed_on <= last_day
        row["closed" if closed else "open"] += 1
        if not closed and (last_day > loop.closure_due or loop.months_missing(end)):
            row["overdue"] += 1
    return sorted(rows.values(), key=lambda r: r["organ"])
