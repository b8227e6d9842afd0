"""`baton rebuild supervision`: supervision's read model checked against a rebuild.

Supervision keeps no read-model tables: its one read model is `SupervisionIndex`, every
aggregate held in memory and followed along the notification log (a copy exactly one
version behind takes the event; any other is loaded afresh). Every service process builds
it on start, so the rebuild here is the comparison: the index followed along the log as a
running service does (`followed`), and one built from each aggregate's own stream
(`replayed`), digested per aggregate type. Equal digests mean that following the log
arrives at what the events say.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from infra.eventstore import ServiceApplication, service_store
from infra.jsonsafe import to_json_safe
from services.supervision.index import BATCH, SupervisionIndex

__all__ = ["compare", "digests", "followed", "replace_index", "replayed"]


def _load(app: ServiceApplication, aggregate_id: UUID) -> Any:
    try:
        return app.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None


def followed(app: ServiceApplication) -> SupervisionIndex:
    """The index as a running supervision process builds it."""
    index = SupervisionIndex()
    index.catch_up(
        lambda start, limit: list(app.recorder.select_notifications(start=start, limit=limit)),
        lambda aggregate_id: _load(app, aggregate_id),
        app.mapper.to_domain_event,
    )
    return index


def replayed(app: ServiceApplication) -> SupervisionIndex:
    """The index built from scratch: every aggregate the log names, from its own stream."""
    index = SupervisionIndex()
    seen: set[UUID] = set()
    position = 0
    while True:
        batch = app.recorder.select_notifications(start=position + 1, limit=BATCH)
        for notification in batch:
            aggregate_id = UUID(str(notification.originator_id))
            if aggregate_id not in seen:
                seen.add(aggregate_id)
                index.put(_load(app, aggregate_id))
            index.position = notification.id
        if len(batch) < BATCH:
            return index
        position = batch[-1].id


def replace_index(app: Any) -> None:
    """A running supervision's rebuild: its index replaced by a replay, then caught up
    with what was stored meanwhile (a copy ahead of a notification ignores it)."""
    fresh = replayed(app)
    index = app.index
    with index.lock:
        index.objects, index.by_case, index.position = fresh.objects, fresh.by_case, fresh.position
    app.catch_up()


def _text(aggregate: Any) -> str:
    state = {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
    return json.dumps(to_json_safe(state), sort_keys=True, ensure_ascii=False)


def digests(index: SupervisionIndex) -> dict[str, str]:
    """`sha256-of-the-sorted-aggregates/count` per aggregate type."""
    texts: dict[str, list[str]] = {}
    for aggregate in index.objects.values():
        texts.setdefault(type(aggregate).__qualname__, []).append(_text(aggregate))
    return {
        kind: hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()[:32] + f"/{len(rows)}"
        for kind, rows in sorted(texts.items())
    }


@dataclass(frozen=True)
class Comparison:
    followed: dict[str, str]
    replayed: dict[str, str]
    aggregates: int
    seconds: float

    @property
    def equal(self) -> bool:
        return self.followed == self.replayed


def compare(database_url: str, schema: str) -> Comparison:
    """Both indexes of the store in `schema`, digested."""
    started = time.perf_counter()
    app = service_store("supervision", database_url, schema)
    try:
        live, rebuilt = followed(app), replayed(app)
    finally:
        app.close()
    return Comparison(
        digests(live), digests(rebuilt), len(rebuilt.objects), time.perf_counter() - started
    )
