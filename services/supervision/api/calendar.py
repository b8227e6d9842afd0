"""The working calendar: what it knows, and publishing a year 发布节假日安排."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from services.supervision import usecases
from services.supervision.api.deps import App, CurrentActor, command_errors

router = APIRouter(tags=["calendar 工作日历"])


@router.get("/calendar")
def calendar(app: App) -> dict[str, Any]:
    """The calendar version deadlines are computed under now, and the years it knows."""
    return {"version": app.calendar.version, "known_years": app.calendar.known_years(),
            "rules_version": app.rules.version}


@router.post("/calendar/years/{year}", responses=command_errors(403, 409, 422))
def publish(app: App, year: Annotated[int, Path(ge=1950, le=9999)], actor: CurrentActor,
            holidays: Annotated[list[date], Body(embed=True, max_length=366)],
            workdays: Annotated[list[date], Body(embed=True, max_length=366)],
            source: Annotated[str | None, Body(embed=True, max_length=200)] = None,
            ) -> dict[str, Any]:
    """Publish a year's schedule (the format of deploy/data/calendar/); every provisional
    deadline is recomputed as an event."""
    data = {"year": year, "holidays": holidays, "workdays": workdays, "source": source or ""}
    return usecases.publish_year(app, actor, year, data)
