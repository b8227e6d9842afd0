"""Supervision's read model, the in-memory index, beside a rebuild from the store 读模型核对.

`baton rebuild supervision` reads the digests of the index the running process holds and
compares them with an index replayed from each aggregate's own stream, or has the process
replace its index with such a replay. Administrators and auditors only; the answer names
no case, only aggregate types, counts and digests.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from domain.actors import Actor
from domain.errors import Forbidden
from domain.vocabulary import Role
from services.supervision.api.deps import App, CurrentActor, command_errors
from services.supervision.rebuild import digests, replace_index

router = APIRouter(tags=["read models 读模型"])

_ALLOWED = frozenset({Role.ADMINISTRATOR.value, Role.AUDITOR.value})


def _allowed(actor: Actor) -> None:
    if not _ALLOWED & set(actor.roles):
        raise Forbidden(
            "read_models_forbidden",
            "仅系统管理员和审计人员可核对读模型",
            "Only administrators and auditors may check the read models",
        )


@router.get("/read-models/digests", responses=command_errors(403))
def read_model_digests(app: App, actor: CurrentActor) -> dict[str, Any]:
    """The index this process holds, caught up with the store: per aggregate type, a
    digest of the aggregates' state and their count, and the notification reached."""
    _allowed(actor)
    app.catch_up()
    with app.index.lock:
        return {"position": app.index.position, "digests": digests(app.index)}


@router.post("/read-models/rebuild", responses=command_errors(403))
def rebuild_read_models(app: App, actor: CurrentActor) -> dict[str, Any]:
    """Replace the index with one replayed from each aggregate's stream, then catch up."""
    _allowed(actor)
    replace_index(app)
    with app.index.lock:
        return {"position": app.index.position, "digests": digests(app.index)}
