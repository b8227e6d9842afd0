"""Services wired together in one process, without PostgreSQL or Kafka.

Like the `eventsourcing` library's `System` runner: each publishing application's new
events become the same chained envelopes its relay would put on Kafka, and each is handed
to every subscribed consumer handler with the tracking name a real consumer would use
(`<topic>#0`). A cross-service story can so be checked in milliseconds; the real relay and
consumers are tested against the real servers elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from domain.contracts import GENESIS_HASH, Envelope, topic_for
from infra.eventstore import ServiceApplication
from infra.relay import decode_stored, envelope_for

Handler = Callable[[Envelope, str], None]


@dataclass
class _Publisher:
    app: ServiceApplication
    position: int = 0
    heads: dict[str, str] = field(default_factory=dict)
    published: list[Envelope] = field(default_factory=list)


class InMemorySystem:
    """Carries events from publishing applications to subscribed handlers, in order."""

    def __init__(self) -> None:
        self._publishers: dict[str, _Publisher] = {}
        self._subscribers: dict[str, list[Handler]] = {}

    def publish(self, app: ServiceApplication) -> None:
        """Deliver this application's stored events on its topic."""
        self._publishers[app.service] = _Publisher(app)

    def subscribe(self, source: str, handler: Handler) -> None:
        """Hand every event of `source`'s topic to `handler(envelope, tracking_name)`."""
        self._subscribers.setdefault(source, []).append(handler)

    def run(self) -> int:
        """Deliver until no application has anything new; returns how many were delivered."""
        delivered = 0
        progressed = True
        while progressed:
            progressed = False
            for source, publisher in self._publishers.items():
                for envelope in self._pending(source, publisher):
                    for handler in self._subscribers.get(source, []):
                        handler(envelope, f"{topic_for(source)}#0")
                    delivered += 1
                    progressed = True
        return delivered

    def published(self, source: str) -> list[Envelope]:
        """Every envelope delivered so far on `source`'s topic, in order."""
        return list(self._publishers[source].published)

    def _pending(self, source: str, publisher: _Publisher) -> list[Envelope]:
        notifications = publisher.app.recorder.select_notifications(
            start=publisher.position + 1, limit=500
        )
        envelopes = []
        for notification in notifications:
            state, _ = decode_stored(publisher.app, notification)
            envelope = envelope_for(source, notification, state)
            envelope = envelope.sealed(publisher.heads.get(envelope.case_id, GENESIS_HASH))
            publisher.heads[envelope.case_id] = envelope.hash
            publisher.position = notification.id
            publisher.published.append(envelope)
            envelopes.append(envelope)
        return envelopes
