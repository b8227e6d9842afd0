"""Transfers of custody 流转 and the links of the custody chain they leave behind."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from domain.vocabulary import TransferKind

__all__ = [
    "INTERNAL_KINDS",
    "PENDING_STATES",
    "CustodyLink",
    "Transfer",
    "TransferState",
]


class TransferState:
    """Steps of one transfer 流转环节."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    DISPATCHED = "dispatched"
    RECEIVED = "received"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


PENDING_STATES = (TransferState.PROPOSED, TransferState.APPROVED, TransferState.DISPATCHED)

# Kinds that move a case between offices of the same organ.
INTERNAL_KINDS = frozenset({TransferKind.INTERNAL_TRANSFER, TransferKind.RETURN_TO_PETITION})


@dataclass(frozen=True)
class Transfer:
    """One transfer of custody, how far it got, and when each step happened."""

    id: str
    kind: str
    from_organ: str
    from_office: str
    to_organ: str | None
    to_office: str | None
    external_body: str | None
    reason: str
    proposed_by: str
    state: str = TransferState.PROPOSED
    suggestion: dict[str, Any] | None = None
    approved_by: str | None = None
    dispatched_by: str | None = None
    received_by: str | None = None
    refused_by: str | None = None
    refusal_reason: str | None = None
    withdrawn_by: str | None = None
    withdrawal_reason: str | None = None
    proposed_at: datetime | None = None
    approved_at: datetime | None = None
    dispatched_at: datetime | None = None
    closed_at: datetime | None = None  # received, refused or withdrawn

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES

    @property
    def outward(self) -> bool:
        return self.kind == TransferKind.HAND_OVER_OUTWARD.value

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CustodyLink:
    """One link of the custody chain: who took the case from whom, how, and when."""

    version: int
    kind: str  # "opened", a TransferKind code, "report_back" or "send_back"
    from_organ: str | None
    from_office: str | None
    to_organ: str | None
    to_office: str | None
    external_body: str | None
    by: str  # the person who took custody (签收人) or opened the case
    at: datetime  # the moment of the event that moved custody
    transfer_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
