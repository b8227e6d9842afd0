"""A case's routing timeline 流转时间线: every stored event, oldest first, with what
happened, who did it, at which organ and office, and when.

Events record the organ and the person, not the office; the office is the one the case's
state says acted: the target for a receipt or refusal, the petition office for the
opening, otherwise the office holding the case just before the event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.vocabulary import Office

__all__ = ["timeline_of"]

_AT_TARGET = frozenset({"TransferReceived", "TransferRefused"})


def timeline_of(events: Iterable[Any]) -> list[dict[str, Any]]:
    """Entries `{sequence, what, who, organ, office, at}` for stored Handling events."""
    entries: list[dict[str, Any]] = []
    aggregate: Any = None
    for event in events:
        name = type(event).__qualname__.split(".")[-1]
        if aggregate is None:
            office: str | None = Office.PETITION.value
        elif name in _AT_TARGET and aggregate.pending_transfer is not None:
            office = aggregate.pending_transfer.to_office
        else:
            office = aggregate.holder_office
        at = getattr(event, "at", None) or event.timestamp
        entries.append(
            {
                "sequence": event.originator_version,
                "what": f"Handling.{name}",
                "who": getattr(event, "actor", None),
                "organ": getattr(event, "organ_code", None),
                "office": office,
                "at": at.isoformat() if isinstance(at, datetime) else str(at),
            }
        )
        aggregate = event.mutate(aggregate)
    return entries
