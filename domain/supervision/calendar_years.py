"""Holiday schedules published through supervision 节假日安排发布: one aggregate, one event a year.

A year the shipped calendar does not know is published here (by `baton calendar publish`);
the service builds its working calendar from the shipped overrides plus these, so a
restart counts with exactly what was published, and every provisional deadline is then
recomputed as an event of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.calendar import parse_override
from domain.errors import Conflict, Forbidden
from domain.guards import aware
from domain.vocabulary import Role

__all__ = ["PUBLISHED_YEARS_ID", "PublishedYears"]

PUBLISHED_YEARS_ID = uuid.UUID("0b7c3c5e-2a47-5d0e-8f5a-6b1d2c3e4f50")


class PublishedYears(Aggregate):
    """Every holiday schedule published at run time, by year."""

    @event("Started")
    def __init__(self, *, id: uuid.UUID, at: datetime, organ_code: str,  # noqa: A002
                 actor: str) -> None:
        self.years: dict[int, dict[str, Any]] = {}

    @classmethod
    def start(cls, *, at: datetime, organ_code: str, actor: str) -> PublishedYears:
        return cls(id=PUBLISHED_YEARS_ID, at=aware(at), organ_code=organ_code, actor=actor)

    def overrides(self) -> dict[int, dict[str, Any]]:
        return {year: dict(data) for year, data in self.years.items()}

    def publish(self, year: Any, data: Mapping[str, Any], actor: Actor, *, at: datetime,
                known: bool) -> int:
        """Record one year's schedule (validated); `known` refuses a year already counted."""
        if not (actor.has_role(Role.ADMINISTRATOR) or actor.has_role(Role.LEADER)):
            raise Forbidden("calendar_publish_forbidden", "只有管理员可以发布节假日安排",
                            "Only an administrator publishes a holiday schedule")
        override = parse_override(year, data)
        if override.year in self.years or known:
            raise Conflict("calendar_year_known", f"{override.year}年节假日安排已存在",
                           f"The schedule for {override.year} is already known",
                           year=override.year)
        source = str(data.get("source") or "")[:200]
        self._year_published(year=override.year,
                             holidays=sorted(d.isoformat() for d in override.holidays),
                             workdays=sorted(d.isoformat() for d in override.workdays),
                             source=source, at=aware(at), organ_code=actor.organ_code,
                             actor=actor.username)
        return override.year

    @event("YearPublished")
    def _year_published(self, year: int, holidays: list[str], workdays: list[str], source: str,
                        at: datetime, organ_code: str, actor: str) -> None:
        self.years[year] = {"year": year, "holidays": list(holidays),
                            "workdays": list(workdays)}
