"""The inbox read model 待办: who holds which case, what waits where, what left and came back.

Kept in memory and rebuilt from the store's notification log (`infra.aggregates.catch_up`)
each time it is read, so it never lags behind a command that has returned. An office's
inbox has five trays (issue 10): what it holds; what waits for its receipt; what waits
for its leader's approval; what came back to it (a refused transfer, a return 回退, a
send-back 退回重办); and what it forwarded, assigned or reported to another organ and is
not closed yet, with that case's current holder and status (闭环管理).
"""

from __future__ import annotations

import threading
from typing import Any

from domain.handling import Handling, Status, TransferState
from domain.vocabulary import TransferKind
from infra.jsonsafe import to_json_safe

TRAYS = ("held", "incoming", "awaiting_approval", "came_back", "sent_elsewhere")
_CAME_BACK_LINKS = frozenset({TransferKind.RETURN_TO_PETITION.value, "send_back"})
_CLOSED = frozenset({Status.ARCHIVED, Status.HANDED_OVER})
_SUMMARY = ("case_id", "version", "status", "holder_organ", "holder_office", "repeats")


class HolderIndex:
    """Who holds what, and what waits where, as of `position` in the notification log."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.position = 0
        self.rows: dict[str, dict[str, Any]] = {}

    def put(self, h: Handling) -> None:
        pending = h.pending_transfer
        last = h.transfers[-1] if h.transfers else None
        self.rows[str(h.id)] = {
            "case_id": str(h.id),
            "version": h.version,
            "status": h.status,
            "holder_organ": h.holder_organ,
            "holder_office": h.holder_office,
            "repeats": len(h.repeats),
            "pending": to_json_safe(pending.as_dict()) if pending else None,
            "refused": to_json_safe(last.as_dict())
            if last is not None and last.state == TransferState.REFUSED
            else None,
            "last_link": h.custody[-1].kind if h.custody else None,
            # Offices that sent the case to another organ: (organ, office) pairs.
            "senders": sorted(
                {
                    (link.from_organ, link.from_office or "")
                    for link in h.custody
                    if link.from_organ and link.to_organ != link.from_organ
                }
            ),
        }

    def of(self, organ: str, office: str | None) -> dict[str, list[dict[str, Any]]]:
        """The organ's (or its office's) five trays, newest version first in each."""
        trays: dict[str, list[dict[str, Any]]] = {tray: [] for tray in TRAYS}
        for row in self.rows.values():
            summary = {k: row[k] for k in _SUMMARY}
            pending = row["pending"]
            holds = row["holder_organ"] == organ and office in (None, row["holder_office"])
            if holds:
                trays["held"].append({**summary, "pending_transfer": pending})
                if pending and pending["state"] == TransferState.PROPOSED:
                    trays["awaiting_approval"].append({**summary, "transfer": pending})
                if pending is None and (
                    row["refused"] is not None or row["last_link"] in _CAME_BACK_LINKS
                ):
                    trays["came_back"].append({**summary, "transfer": row["refused"]})
            if (
                pending
                and pending["state"] == TransferState.DISPATCHED
                and pending["to_organ"] == organ
                and office in (None, pending["to_office"])
            ):
                trays["incoming"].append({**summary, "transfer": pending})
            sent = any(o == organ and office in (None, f) for o, f in row["senders"])
            if sent and row["holder_organ"] != organ and row["status"] not in _CLOSED:
                trays["sent_elsewhere"].append(summary)
        for cases in trays.values():
            cases.sort(key=lambda c: (c["version"], c["case_id"]), reverse=True)
        return trays
