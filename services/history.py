"""Replaying a case 案件回放: an aggregate as it stood at a past moment, rebuilt from its
stored events up to then, each event with its audit leaf and inclusion path.

Moments are the events' recorded times (the library's timestamps, in version order), not
the times a clerk typed in: the replay shows what the platform had recorded by then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import InvalidInput
from infra.audit.proofs import case_inclusion
from infra.eventstore import ServiceApplication

__all__ = ["not_yet_registered", "replay", "with_proofs"]

Entries = Callable[[Sequence[Any]], list[dict[str, Any]]]


def replay(
    app: ServiceApplication, originator_id: UUID, as_of: datetime, entries_of: Entries
) -> tuple[Any | None, list[dict[str, Any]]]:
    """The aggregate at `as_of` (None if it did not exist yet) and its events up to then."""
    stored: list[Any] = list(app.repository.event_store.get(originator_id))
    kept = []
    for entry, event in zip(entries_of(stored), stored, strict=True):
        if event.timestamp > as_of:
            break
        kept.append(
            {
                **entry,
                "originator_id": str(originator_id),
                "recorded_at": event.timestamp.isoformat(),
            }
        )
    if not kept:
        return None, []
    return app.repository.get(originator_id, version=kept[-1]["sequence"]), kept


def with_proofs(
    app: ServiceApplication, events: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The store's latest checkpoint, and the events with their audit sequence, leaf and
    inclusion path under it (None for an event the checkpoint does not cover yet)."""
    empty = {"audit_sequence": None, "leaf": None, "path": None}
    if app.database_url is None or not events:
        return None, [{**e, **empty} for e in events]
    ids = sorted({e["originator_id"] for e in events})
    with app.datastore_connection() as conn:
        checkpoint, found = case_inclusion(conn, app.schema, ids)
    out = [{**e, **found.get((e["originator_id"], int(e["sequence"])), empty)} for e in events]
    return checkpoint, out


def not_yet_registered(case_id: UUID) -> InvalidInput:
    """The refusal of a moment before the case was registered."""
    return InvalidInput(
        "as_of_before_registration",
        "该时刻案件尚未登记",
        "The case was not registered yet at that moment",
        field="as_of",
        case_id=str(case_id),
    )
