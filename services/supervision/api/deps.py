"""What every supervision route shares: the application, the acting person, field types.

The acting person comes through ONE dependency, `current_actor`. Today it reads an
`actor` object from the body; the identity work swaps its body for the verified token.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Body, Depends, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.actors import Actor
from domain.vocabulary import Office, Role
from infra.web import ErrorBody, error_responses
from services.supervision.application import SupervisionApplication

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


class ActorIn(BaseModel):
    """The person acting 经办人."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    organ_code: OrganCode
    office: Office
    role: Role = Role.HANDLER


def get_app(request: Request) -> SupervisionApplication:
    app: SupervisionApplication = request.app.state.supervision
    return app


def current_actor(actor: Annotated[ActorIn, Body(embed=True)]) -> Actor:
    """The acting person: the one place the identity work replaces."""
    return Actor(actor.name, actor.organ_code, actor.office.value, actor.role.value)


App = Annotated[SupervisionApplication, Depends(get_app)]
CurrentActor = Annotated[Actor, Depends(current_actor)]


def command_errors(*statuses: int) -> dict[int | str, dict[str, object]]:
    """The declared refusals of a command: its domain statuses, and 400 for a body that is
    not JSON at all (`request_malformed`)."""
    return {
        400: {"model": ErrorBody, "description": "Malformed body 请求内容无法解析"},
        **error_responses(*statuses),
    }
