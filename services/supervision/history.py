"""A case's deadlines as they stood at a past moment 期限回放, for an auditor: each clock
rebuilt from its events up to then, with that Beijing day's colour and the warnings
recorded by then."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.errors import NotFound
from domain.guards import CHINA_TZ
from domain.supervision.deadline import CaseDeadline
from services.guard import CaseScope, Guard, held_by
from services.history import replay, with_proofs
from services.supervision.application import SupervisionApplication

__all__ = ["case_history"]


def _entries(events: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "sequence": e.originator_version,
            "what": f"CaseDeadline.{type(e).__qualname__.split('.')[-1]}",
            "who": getattr(e, "actor", None),
            "organ": getattr(e, "organ_code", None),
            "office": None,
            "at": (getattr(e, "at", None) or e.timestamp).isoformat(),
        }
        for e in events
    ]


def case_history(
    app: SupervisionApplication, guard: Guard, case_id: UUID, as_of: datetime, actor: Actor
) -> dict[str, Any]:
    """Every clock of the case at `as_of` and their events up to then (auditors only)."""
    app.catch_up()
    clocks = app.index.of_case(str(case_id), CaseDeadline)
    organs = held_by([d.responsible_organ for d in clocks])
    # No clock: nothing of the case is here; the caller's own organ stands in for the scope.
    holder = organs[-1] if organs else actor.organ_code
    scope = CaseScope(str(case_id), holder, organs or (actor.organ_code,))
    unknown = NotFound("case_unknown", "案件不存在", "No case has this id", case_id=str(case_id))
    guard.replay(actor, scope, lambda: unknown)
    day = as_of.astimezone(CHINA_TZ).date()
    deadlines, events = [], []
    for clock in clocks:
        past, kept = replay(app, clock.id, as_of, _entries)
        if past is None:
            continue
        view = past.as_dict()
        view.pop("history")
        level = past.level_on(day, app.calendar, app.rules).value if past.is_running else None
        deadlines.append({**view, "level": level})
        events += kept
    checkpoint, events = with_proofs(app, sorted(events, key=lambda e: e["recorded_at"]))
    deadlines.sort(key=lambda d: (d["opened_on"], d["kind"], d["ref"] or ""))
    return {"state": deadlines, "events": events, "checkpoint": checkpoint}
