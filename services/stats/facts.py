"""The case fact 案件事实: every analysis dimension of one case, projected from events.

Each event type maps to a pure handler in a `{event type: handler}` table keyed by the
published contract's names (`services.stats.handlers`); the live consumer and the rebuild
both go through `Projector.apply`, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.contracts import Envelope
from services.stats.handlers import (
    HANDLERS_BY_SOURCE,
    INTAKE_HANDLERS,
    ROUTING_HANDLERS,
    SUPERVISION_HANDLERS,
    deadline_closed,
    deadline_opened,
    supervision_part,
    warning_raised,
)
from services.stats.parts import COLUMNS, Context, Part, event_time, most_senior

__all__ = [
    "COLUMNS",
    "HANDLERS_BY_SOURCE",
    "INTAKE_HANDLERS",
    "ROUTING_HANDLERS",
    "SUPERVISION_HANDLERS",
    "Change",
    "Context",
    "Part",
    "Projector",
    "deadline_closed",
    "deadline_opened",
    "event_time",
    "most_senior",
    "warning_raised",
]

COLUMN_SETS = {source: frozenset(columns) for source, columns in COLUMNS.items()}


@dataclass
class Change:
    """One part of one case, as it stands after an event, and from when."""

    case_id: str
    source: str
    part: Part
    valid_from: dt.datetime


class Projector:
    """Applies events to case parts through the handler tables."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def handles(self, envelope: Envelope) -> bool:
        """Whether a handler takes this event at all."""
        return envelope.type in HANDLERS_BY_SOURCE.get(envelope.source, {})

    def apply(
        self, part: Part | None, envelope: Envelope, last_valid_from: dt.datetime | None
    ) -> Change | None:
        """The part after the event, or None when the event changes no fact."""
        handlers = HANDLERS_BY_SOURCE.get(envelope.source, {})
        handler = handlers.get(envelope.type)
        if handler is None:
            return None
        new = handler(part, envelope, self.context)
        if new is None or new == part:
            return None
        columns = COLUMNS[envelope.source]
        # Most handlers give every column already: then no copy (a rebuild's hot path).
        complete = (
            new if new.keys() == COLUMN_SETS[envelope.source]
            else {column: new.get(column) for column in columns}
        )
        if envelope.source == "supervision":
            complete = supervision_part(complete)
        at = event_time(envelope)
        # History stays ordered even when a business time is earlier than the last one.
        if last_valid_from is not None and at < last_valid_from:
            at = last_valid_from
        return Change(envelope.case_id, envelope.source, complete, at)
