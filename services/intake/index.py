"""The petition index 件索引: a catch-up projection of intake's own events.

It holds what repeat matching needs of every case (organ, number, stage, summary, persons,
categories); a worker follows the store (woken by its NOTIFY), and each read that needs
the index brings it up to the store first, so writes never maintain it inline. Rows and
position are committed together, so replaying notifications twice changes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

import psycopg
from eventsourcing.persistence import Notification
from psycopg.sql import SQL, Identifier

from domain.contracts import PetitionEvents
from domain.petition import Stage
from infra.aggregates import catch_up
from infra.doorbell import notified
from infra.eventstore import ServiceApplication
from services.intake.sidestore import IndexBatch, SideStore

__all__ = ["catch_up_index", "follow_store"]

log = logging.getLogger(__name__)

# How long the worker lets notifications gather before it catches up (see follow_store).
GATHER_SECONDS = 0.5

_STAGE_AFTER = {
    PetitionEvents.ACCEPTED: Stage.ACCEPTED,
    PetitionEvents.DIVERTED: Stage.DIVERTED,
    PetitionEvents.NOT_ACCEPTED: Stage.NOT_ACCEPTED,
    PetitionEvents.LINKED_AS_REPEAT: Stage.REPEAT,
    PetitionEvents.HANDLING_STARTED: Stage.IN_HANDLING,
    PetitionEvents.HANDLING_RESUMED: Stage.IN_HANDLING,
    PetitionEvents.RESULT_PUBLISHED: Stage.CONCLUDED,
}


def catch_up_index(app: ServiceApplication, side: SideStore) -> None:
    """Bring the petition index up to the event store (exactly once per event)."""

    def apply(notifications: Sequence[Notification]) -> None:
        with side.index_batch() as batch:
            for notification in notifications:
                if notification.id <= batch.position:  # another caller got here first
                    continue
                _project(batch, app.mapper.to_domain_event(notification))
                batch.position = notification.id

    catch_up(app, side.index_position(), apply)


def follow_store(app: ServiceApplication, side: SideStore, stop: threading.Event,
                 idle_wait: float = 60.0, gather: float = GATHER_SECONDS) -> None:
    """The index's worker: catch up whenever the store NOTIFYs an insert (or every
    `idle_wait` s), so registrations do not maintain it inline and reads find it fresh.
    The store NOTIFYs in every insert transaction and every read catches up first, so the
    unasked look is only a backstop: every 5 s it was three statements an idle minute
    did not need.

    After a notification it waits `gather` s for more: every read of the index catches
    it up first, so the worker's lag costs nothing, and under a stream of registrations
    one catch-up (three statements) serves many instead of one each."""
    assert app.database_url is not None, "the index worker needs PostgreSQL"
    channel = str(getattr(app.recorder, "channel_name", ""))
    while not stop.is_set():
        try:
            with psycopg.connect(app.database_url, autocommit=True) as conn:
                conn.execute(SQL("LISTEN {0}").format(Identifier(channel)))
                while not stop.is_set():
                    catch_up_index(app, side)
                    notified(conn, idle_wait)
                    if stop.wait(gather):
                        return
                    for _ in conn.notifies(timeout=0):  # the ones that came meanwhile
                        pass
        except Exception:
            log.exception("the petition index worker failed; retrying")
            stop.wait(1.0)


def _registered(batch: IndexBatch, case_id: str, data: dict[str, Any]) -> None:
    batch.put(
        {
            "case_id": case_id,
            "organ_code": data["organ_code"],
            "registration_number": data["registration_number"],
            "channel": data.get("channel"),
            "registered_at": data["registered_at"].astimezone(UTC).isoformat(),
            "stage": Stage.RECEIVED,
            "summary": data["summary"],
            "persons": _persons(data["reported_persons"]),
            "categories": data["categories"],
            "first_case_id": None,
        }
    )


def _corrected(row: dict[str, Any], data: dict[str, Any]) -> None:
    changes = data["changes"]
    if "reported_persons" in changes:
        row["persons"] = _persons(changes["reported_persons"])
    for key in ("summary", "categories", "channel"):
        if key in changes:
            row[key] = changes[key]


def _project(batch: IndexBatch, event: Any) -> None:
    kind = type(event).__qualname__
    case_id = str(event.originator_id)
    data: dict[str, Any] = vars(event)
    if kind == PetitionEvents.REGISTERED:
        _registered(batch, case_id, data)
        return
    row = batch.get(case_id)
    update: Callable[[dict[str, Any], dict[str, Any]], None] | None = None
    if kind in _STAGE_AFTER:
        update = _stage_after(_STAGE_AFTER[kind])
    elif kind == PetitionEvents.CORRECTED:
        update = _corrected
    if row is None or update is None:  # other aggregates' events, or no index change
        return
    update(row, data)
    batch.put(row)


def _stage_after(stage: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def update(row: dict[str, Any], data: dict[str, Any]) -> None:
        row["stage"] = stage
        row["first_case_id"] = data.get("first_case_id")

    return update


def _persons(persons: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"name": p["name"], "unit": p.get("unit") or ""} for p in persons]
