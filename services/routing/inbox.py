"""The inbox read model 待办: who holds which case, and which transfers wait where.

Kept in memory and rebuilt from the store's notification log (`infra.aggregates.catch_up`)
each time it is read, so it never lags behind a command that has returned.
"""

from __future__ import annotations

import threading
from typing import Any

from domain.handling import Handling, TransferState
from infra.jsonsafe import to_json_safe


class HolderIndex:
    """Who holds what, and what waits where, as of `position` in the notification log."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.position = 0
        self.rows: dict[str, dict[str, Any]] = {}

    def put(self, h: Handling) -> None:
        pending = h.pending_transfer
        self.rows[str(h.id)] = {
            "case_id": str(h.id),
            "version": h.version,
            "status": h.status,
            "holder_organ": h.holder_organ,
            "holder_office": h.holder_office,
            "repeats": len(h.repeats),
            "pending": to_json_safe(pending.as_dict()) if pending else None,
        }

    def of(
        self, organ: str, office: str | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The cases held by the organ (or its office), and the transfers dispatched to it."""
        held, incoming = [], []
        for row in self.rows.values():
            summary = {k: v for k, v in row.items() if k != "pending"}
            if row["holder_organ"] == organ and office in (None, row["holder_office"]):
                held.append({**summary, "pending_transfer": row["pending"]})
            pending = row["pending"]
            if (
                pending
                and pending["state"] == TransferState.DISPATCHED
                and pending["to_organ"] == organ
                and office in (None, pending["to_office"])
            ):
                incoming.append({**summary, "transfer": pending})
        return held, incoming
