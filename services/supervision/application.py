"""The supervision service's event-sourced application: owner of deadlines, orders,
evaluations, key-field loops and published calendar years.

Upstream events arrive through `handle` (exactly once in effect: the aggregates a handler
changes and the tracking row are stored in one transaction). Time comes from the injected
clock; dates a deadline counts from come from the upstream events themselves, so
delivering an event again, or replaying the store, gives the same dates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, ProcessRecorder

from domain.calendar import WorkingCalendar
from domain.contracts import Envelope
from domain.errors import DomainError, NotFound
from domain.guards import CHINA_TZ
from domain.hierarchy import OrgTree
from domain.rules import Rules
from domain.supervision.calendar_years import PUBLISHED_YEARS_ID, PublishedYears
from domain.supervision.config import SupervisionConfig
from infra.aggregates import find, save
from infra.eventstore import ServiceApplication
from services.supervision.index import SupervisionIndex
from services.supervision.upstream import HANDLERS, Effects

log = logging.getLogger(__name__)

A = TypeVar("A")
Clock = Callable[[], datetime]
SYSTEM = "supervision"
HANDLE_ATTEMPTS = 3


def china_now() -> datetime:
    return datetime.now(CHINA_TZ)


class SupervisionApplication(ServiceApplication):
    """Supervision's store, its calendar, and the upstream-event handler."""

    def __init__(
        self,
        org_tree: OrgTree,
        *,
        rules: Rules | None = None,
        config: SupervisionConfig | None = None,
        calendar_overrides: dict[int, Any] | None = None,
        clock: Clock = china_now,
        database_url: str | None = None,
        schema: str | None = None,
        env: dict[str, str] | None = None,
        recorder: ProcessRecorder | None = None,
    ) -> None:
        # A recorder handed over keeps the store of a previous instance: a restart in memory.
        self._given_recorder = recorder
        super().__init__("supervision", database_url=database_url, schema=schema, env=env)
        self.org_tree = org_tree
        self.rules = rules or Rules.default()
        self.config = config or SupervisionConfig()
        self.clock = clock
        self._file_overrides = dict(calendar_overrides or {})
        self.index = SupervisionIndex()
        self.calendar = self._build_calendar()

    def construct_recorder(self) -> Any:
        if self._given_recorder is not None:
            return self._given_recorder
        return super().construct_recorder()

    # --- time and calendar -----------------------------------------------------------

    def now(self) -> datetime:
        return self.clock().astimezone(CHINA_TZ)

    def today(self) -> date:
        return self.now().date()

    def published_years(self) -> PublishedYears | None:
        return find(self, PublishedYears, PUBLISHED_YEARS_ID)

    def _build_calendar(self) -> WorkingCalendar:
        published = self.published_years()
        self._calendar_from = published.version if published else None
        overrides = {**self._file_overrides, **(published.overrides() if published else {})}
        return WorkingCalendar.default(overrides)

    def refresh_calendar(self) -> WorkingCalendar:
        self.calendar = self._build_calendar()
        return self.calendar

    # --- reading and saving ----------------------------------------------------------

    def catch_up(self) -> None:
        """Bring the index up to the store; a year published elsewhere reaches the calendar."""
        self.index.catch_up(
            lambda start, limit: list(self.recorder.select_notifications(start=start,
                                                                         limit=limit)),
            self._load_any,
            self.mapper.to_domain_event,
        )
        published = self.index.objects.get(PUBLISHED_YEARS_ID)
        if published is not None and published.version != self._calendar_from:
            self.refresh_calendar()

    def _load_any(self, aggregate_id: UUID) -> Any:
        return find(self, object, aggregate_id)

    def holds(self, aggregate_id: UUID) -> bool:
        """Whether the index (as of its last catch-up) holds the aggregate."""
        with self.index.lock:
            return aggregate_id in self.index.objects

    def load_or_none(self, kind: type[A], aggregate_id: UUID) -> A | None:
        return find(self, kind, aggregate_id)

    def load(self, kind: type[A], aggregate_id: UUID, not_found: NotFound) -> A:
        aggregate = find(self, kind, aggregate_id)
        if aggregate is None:
            raise not_found
        return aggregate

    def store(self, *aggregates: Any) -> None:
        """Save and show the result in the index at once."""
        save(self, *aggregates)
        self.catch_up()

    # --- upstream events -------------------------------------------------------------

    def _effects_of(self, envelope: Envelope) -> list[Any]:
        """The aggregates this envelope changes; none when it cannot be applied."""
        handler = HANDLERS.get(envelope.type)
        if handler is None:
            return []
        try:
            effects = Effects(self, envelope)
            handler(effects)
        except (ValueError, KeyError, TypeError, DomainError) as exc:
            # A malformed or unexpected event: record the position rather than stall the
            # partition behind it, and say so loudly.
            log.error("supervision skips %s of %s: %s", envelope.type, envelope.case_id,
                      getattr(exc, "code", type(exc).__name__))
            return []
        return effects.changed()

    def handle_batch(self, envelopes: Sequence[Envelope], tracking_name: str) -> None:
        """Consume a poll's envelopes of one partition: every aggregate they change and one
        tracking row in one transaction; none when they change nothing (tracking catches
        up with the next batch that does). A handler's error fails the whole batch, and
        the consumer then applies it record by record (`handle`), which skips that one."""
        wanted = [e for e in envelopes if e.type in HANDLERS]
        if not wanted:
            return
        for attempt in range(HANDLE_ATTEMPTS):
            done = self.tracked_position(tracking_name) or 0
            fresh = [e for e in wanted if e.notification_id > done]
            if not fresh:
                return
            self.catch_up()
            touched: dict[UUID, Any] = {}
            for envelope in fresh:
                HANDLERS[envelope.type](Effects(self, envelope, touched))
            changed = [a for a in touched.values() if a.pending_events]
            if not changed:
                return
            try:
                self.save_tracked(
                    tracking_name, max(e.notification_id for e in fresh), *changed
                )
                return
            except IntegrityError:
                # The scheduler or the other consumer changed one of the aggregates first.
                if attempt == HANDLE_ATTEMPTS - 1:
                    raise

    def handle(self, envelope: Envelope, tracking_name: str) -> None:
        """Consume one intake or routing envelope exactly once in effect; an event type
        supervision has no handler for opens no transaction (tracking catches up later)."""
        if envelope.type not in HANDLERS:
            return
        for attempt in range(HANDLE_ATTEMPTS):
            done = self.tracked_position(tracking_name)
            if done is not None and envelope.notification_id <= done:
                return
            self.catch_up()
            changed = self._effects_of(envelope)
            try:
                self.save_tracked(tracking_name, envelope.notification_id, *changed)
                return
            except IntegrityError:
                # The scheduler or another consumer changed one of the aggregates first.
                if attempt == HANDLE_ATTEMPTS - 1:
                    raise
