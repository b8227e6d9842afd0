"""A case's supervision, read by the case page: its clocks (one case or a page of them),
its orders and its timeline. Each is scoped where the case is looked up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from infra.web import error_responses
from services.supervision import queries
from services.supervision.api.deps import App, CurrentActor, ScopedCase, visible_cases
from services.supervision.timeline import case_timeline

router = APIRouter(tags=["cases 案件督查"])
BATCH_MAX = 100
CaseIds = Annotated[
    list[Annotated[str, Query(pattern=r"^[0-9a-fA-F-]{36}$")]],
    Query(min_length=1, max_length=BATCH_MAX),
]


@router.get("/cases/deadlines", responses=error_responses(422))
def deadlines_of_cases(request: Request, app: App, actor: CurrentActor,
                       ids: CaseIds) -> dict[str, Any]:
    """The clocks of up to 100 cases in one read; cases out of scope are `missing`."""
    wanted = [i.lower() for i in ids]
    seen = visible_cases(request, app, actor, wanted)
    return {
        "case_deadlines": [{"case_id": i, "deadlines": queries.case_deadlines(app, i)}
                           for i in seen],
        "missing": [i for i in dict.fromkeys(wanted) if i not in seen],
    }


@router.get("/cases/{case_id}/deadlines", responses=error_responses(404, 422))
def case_deadlines(app: App, case_id: ScopedCase) -> list[dict[str, Any]]:
    """Every clock the case runs against, with today's colour."""
    return queries.case_deadlines(app, case_id)


@router.get("/cases/{case_id}/orders", responses=error_responses(404, 422))
def case_orders(app: App, case_id: ScopedCase) -> list[dict[str, Any]]:
    """The orders on the case, with their clocks."""
    return queries.case_orders(app, case_id)


@router.get("/cases/{case_id}/timeline", responses=error_responses(404, 422))
def timeline(app: App, case_id: ScopedCase) -> list[dict[str, Any]]:
    """Every supervision event of the case, oldest first: what, who, organ, office, when."""
    return case_timeline(app, case_id)
