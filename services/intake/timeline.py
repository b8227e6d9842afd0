"""A case's intake timeline 受理时间线: every stored Petition event, oldest first.

Intake's events are the petition office's work (registration, screening, reveals,
feedback), so the office is `petition`; events intake records because routing said so
(handling started or resumed, a result published from routing's conclusion) carry
routing's actor and organ.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.vocabulary import Office

__all__ = ["timeline_of"]

# Moments by the name each event gives them; the library's timestamp otherwise.
_MOMENTS = (
    "registered_at",
    "decided_at",
    "proposed_at",
    "rejected_at",
    "verified_at",
    "revealed_at",
    "added_at",
    "started_at",
    "resumed_at",
    "published_at",
    "corrected_at",
    "concluded_at",
    "screened_at",
    "notified_at",
    "at",
)


def timeline_of(events: Iterable[Any]) -> list[dict[str, Any]]:
    """Entries `{sequence, what, who, organ, office, at}` for stored Petition events."""
    entries = []
    for event in events:
        at = next(
            (getattr(event, name) for name in _MOMENTS if hasattr(event, name)), event.timestamp
        )
        entries.append(
            {
                "sequence": event.originator_version,
                "what": f"Petition.{type(event).__qualname__.split('.')[-1]}",
                "who": getattr(event, "actor", None),
                "organ": getattr(event, "organ_code", None),
                "office": Office.PETITION.value,
                "at": at.isoformat() if isinstance(at, datetime) else str(at),
            }
        )
    return entries
