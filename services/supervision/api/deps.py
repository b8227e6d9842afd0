"""What every supervision route shares: the application, the acting person, field types.

The acting person comes only from the verified service token (`services.auth`); no body
names an actor.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import AfterValidator, Field

from domain.access import Action, Object
from infra.web import ErrorBody, error_responses
from services.auth import CurrentActor
from services.guard import Guard
from services.supervision.application import SupervisionApplication

__all__ = ["App", "CaseGuard", "CurrentActor", "ScopedOrgan", "command_errors"]

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


def command_errors(*statuses: int) -> dict[int | str, dict[str, object]]:
    """The declared refusals of a command: its domain statuses, and 400 for a body that is
    not JSON at all (`request_malformed`)."""
    return {
        400: {"model": ErrorBody, "description": "Malformed body 请求内容无法解析"},
        **error_responses(*statuses),
    }
