"""What every supervision route shares: the application, the acting person, field types.

The acting person comes only from the verified service token (`services.auth`); no body
names an actor.
"""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator, Field

from domain.access import Action, Object
from domain.actors import Actor
from domain.errors import NotFound
from domain.supervision.casefile import SupervisedCase
from infra.web import ErrorBody, error_responses
from services.auth import CurrentActor
from services.guard import CaseScope, Guard, held_by
from services.supervision.application import SupervisionApplication

__all__ = ["App", "CaseGuard", "CurrentActor", "ScopedCase", "ScopedOrgan", "command_errors",
           "visible_cases"]

ORGAN_PATTERN = r"^[0-9]{2}[0-9A-Z]{0,10}$"
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _storable(value: str) -> str:
    """Refuse text that cannot be stored as UTF-8 JSON (NUL, lone surrogates)."""
    if _UNSTORABLE.search(value):
        raise ValueError("text contains characters that cannot be stored")
    return value


Name = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_storable)]
Text = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_storable)]
OrganCode = Annotated[str, Field(pattern=ORGAN_PATTERN, max_length=12)]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Version = Annotated[int | None, Field(ge=1, le=2**31)]


def get_app(request: Request) -> SupervisionApplication:
    app: SupervisionApplication = request.app.state.supervision
    return app


App = Annotated[SupervisionApplication, Depends(get_app)]


def get_guard(request: Request) -> Guard:
    guard: Guard = request.app.state.guard
    return guard


# Applies the policy to what a route loaded by id (`services.supervision.scope`).
CaseGuard = Annotated[Guard, Depends(get_guard)]


def organ_in_scope(
    request: Request,
    actor: CurrentActor,
    organ: Annotated[str, Query(pattern=ORGAN_PATTERN, max_length=12)],
) -> str:
    """An organ whose cases (deadlines, orders, warnings, loops) the caller may list: in
    their subtree (`domain.access`, case: list); otherwise 403, logged."""
    guard: Guard = request.app.state.guard
    guard.organ(actor, Action.LIST, Object.CASE, organ)
    return organ


ScopedOrgan = Annotated[str, Depends(organ_in_scope)]


def _case_missing() -> NotFound:
    return NotFound("case_unknown", "案件不存在或不在您的权限范围内",
                    "The case does not exist or is outside your scope")


def _scope(app: SupervisionApplication, case_id: str) -> CaseScope | None:
    """The case's holder and every organ that held it, from supervision's own record."""
    app.catch_up()
    records = app.index.of_case(case_id, SupervisedCase)
    if not records:
        return None
    r = records[0]
    holder = r.holder_organ or r.registered_organ
    return CaseScope(case_id, holder, held_by(getattr(r, "holders", ()), r.registered_organ,
                                             holder))


def case_in_scope(request: Request, app: App, actor: CurrentActor,
                  case_id: Annotated[UUID, Path()]) -> str:
    """A case the caller may read (`domain.access`, case: read over every organ that held
    it); one supervision has not seen, or out of scope, is 404 `case_unknown`."""
    scope = _scope(app, str(case_id))
    if scope is None:
        raise _case_missing()
    guard: Guard = request.app.state.guard
    guard.case(actor, Action.READ, Object.CASE, scope, _case_missing)
    return str(case_id)


ScopedCase = Annotated[str, Depends(case_in_scope)]


def visible_cases(request: Request, app: SupervisionApplication, actor: Actor,
                  case_ids: list[str]) -> list[str]:
    """Those of `case_ids` the caller may read (a batch leaves the others out, unlogged)."""
    guard: Guard = request.app.state.guard
    found = []
    for case_id in dict.fromkeys(case_ids):
        scope = _scope(app, case_id)
        if scope is not None and guard.visible(actor, scope):
            found.append(case_id)
    return found


def command_errors(*statuses: int) -> dict[int | str, dict[str, object]]:
    """The declared refusals of a command: its domain statuses, and 400 for a body that is
    not JSON at all (`request_malformed`)."""
    return {
        400: {"model": ErrorBody, "description": "Malformed body 请求内容无法解析"},
        **error_responses(*statuses),
    }
