"""How each event changes a case: the bodies of `Handling`'s event methods.

`Handling` attaches each as `_<name> = event("<Event>")(changes.<name>)`, so that the
library defines the event `Handling.<Event>` from the function's keyword arguments and
calls it both when the event happens and when it is replayed. They only apply what the
event says, never refuse: the commands (`transfers`, `steps`) have checked everything.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.handling.custody import CustodyLink, Transfer, TransferState
from domain.handling.status import Status
from domain.vocabulary import TransferKind

if TYPE_CHECKING:
    from domain.handling.aggregate import Handling


def _replace_last_transfer(self: Handling, **changes: Any) -> Transfer:
    """The pending transfer with these changes, put in its place."""
    transfer = Transfer(**{**self.transfers[-1].as_dict(), **changes})
    self.transfers[-1] = transfer
    return transfer


def _move_custody(
    self: Handling,
    kind: str,
    to: tuple[str | None, str | None],
    by: str,
    at: datetime,
    transfer: Transfer | None = None,
) -> None:
    """Add a link from the holder to `to` and make `to` the holder."""
    self.custody.append(
        CustodyLink(
            version=self.version + 1,
            kind=kind,
            from_organ=self.holder_organ,
            from_office=self.holder_office,
            to_organ=to[0],
            to_office=to[1],
            external_body=transfer.external_body if transfer else None,
            by=by,
            at=at,
            transfer_id=transfer.id if transfer else None,
        )
    )
    self.holder_organ, self.holder_office = to


def transfer_proposed(
    self: Handling,
    *,
    transfer_id: str,
    kind: str,
    from_organ: str,
    from_office: str,
    to_organ: str | None,
    to_office: str | None,
    external_body: str | None,
    reason: str,
    suggestion: dict[str, Any] | None,
    organ_code: str,
    actor: str,
    at: datetime,
    # A date the client typed, in events stored before supervision computed a supervised
    # transfer's deadline from the rules and the calendar: read, and ignored.
    deadline: str | None = None,
) -> None:
    self.transfers.append(
        Transfer(
            id=transfer_id,
            kind=kind,
            from_organ=from_organ,
            from_office=from_office,
            to_organ=to_organ,
            to_office=to_office,
            external_body=external_body,
            reason=reason,
            proposed_by=actor,
            suggestion=suggestion,
            proposed_at=at,
        )
    )


def transfer_approved(
    self: Handling, *, transfer_id: str, organ_code: str, actor: str, at: datetime
) -> None:
    _replace_last_transfer(self, state=TransferState.APPROVED, approved_by=actor, approved_at=at)


def transfer_dispatched(
    self: Handling,
    *,
    transfer_id: str,
    notified_offices: list[str],
    organ_code: str,
    actor: str,
    at: datetime,
) -> None:
    _replace_last_transfer(
        self, state=TransferState.DISPATCHED, dispatched_by=actor, dispatched_at=at
    )


def transfer_withdrawn(
    self: Handling, *, transfer_id: str, reason: str, organ_code: str, actor: str, at: datetime
) -> None:
    _replace_last_transfer(
        self,
        state=TransferState.WITHDRAWN,
        withdrawn_by=actor,
        withdrawal_reason=reason,
        closed_at=at,
    )


def transfer_received(
    self: Handling,
    *,
    transfer_id: str,
    received_by: str,
    holder_organ: str | None,
    holder_office: str | None,
    organ_code: str,
    actor: str,
    at: datetime,
) -> None:
    # The new holder is published for consumers; replay takes it from the transfer,
    # which events stored before version 2 need.
    t = _replace_last_transfer(
        self, state=TransferState.RECEIVED, received_by=received_by, closed_at=at
    )
    _move_custody(self, t.kind, (t.to_organ, t.to_office), received_by, at, t)
    if t.outward:
        self.holder_external = t.external_body
        self.status = Status.HANDED_OVER
        return
    if TransferKind(t.kind).needs_report_back:
        self.assignments.append(
            {"organ_code": t.from_organ, "office": t.from_office, "transfer_id": t.id}
        )
    # A case that comes back to the organ that assigned it needs no report-back to it.
    while self.assignments and self.assignments[-1]["organ_code"] == t.to_organ:
        self.assignments.pop()


def transfer_refused(
    self: Handling, *, transfer_id: str, reason: str, organ_code: str, actor: str, at: datetime
) -> None:
    _replace_last_transfer(
        self, state=TransferState.REFUSED, refused_by=actor, refusal_reason=reason, closed_at=at
    )


def disposal_decided(
    self: Handling, *, mode: str, reason: str, organ_code: str, actor: str, at: datetime
) -> None:
    self.disposal = {
        "mode": mode,
        "reason": reason,
        "by": actor,
        "organ_code": organ_code,
        "at": at,
    }


def concluded(
    self: Handling,
    *,
    outcome: str,
    substantiation: str,
    findings: str,
    report_back_required: bool | None,
    organ_code: str,
    actor: str,
    at: datetime,
) -> None:
    self.conclusion = {
        "outcome": outcome,
        "substantiation": substantiation,
        "findings": findings,
        "by": actor,
        "organ_code": organ_code,
        "at": at,
    }
    self.conclusions.append(self.conclusion)
    self.status = Status.CONCLUDED


def reported_back(
    self: Handling,
    *,
    to_organ: str,
    to_office: str,
    summary: str,
    organ_code: str,
    actor: str,
    at: datetime,
) -> None:
    _move_custody(self, "report_back", (to_organ, to_office), actor, at)
    self.status = Status.UNDER_REVIEW


def result_accepted(
    self: Handling,
    *,
    reason: str | None,
    report_back_required: bool | None,
    organ_code: str,
    actor: str,
    at: datetime,
) -> None:
    self.reviews.append({"accepted": True, "reason": reason, "by": actor, "at": at})
    self.assignments.pop()
    self.status = Status.CONCLUDED


def sent_back(
    self: Handling,
    *,
    reason: str,
    holder_organ: str | None,
    holder_office: str | None,
    organ_code: str,
    actor: str,
    at: datetime,
) -> None:
    # As for a receipt, replay takes the new holder from the chain, not the payload.
    self.reviews.append({"accepted": False, "reason": reason, "by": actor, "at": at})
    reporter = self.custody[-1]
    _move_custody(self, "send_back", (reporter.from_organ, reporter.from_office), actor, at)
    self.conclusion = None
    self.five_in_place = []
    self.status = Status.OPEN


def feedback_given(
    self: Handling,
    *,
    method: str,
    content: str,
    satisfaction: str | None,
    organ_code: str,
    actor: str,
    at: datetime,
) -> None:
    self.feedback.append(
        {
            "method": method,
            "content": content,
            "satisfaction": satisfaction,
            "by": actor,
            "at": at,
        }
    )


def five_in_place_confirmed(
    self: Handling, *, items: list[str], organ_code: str, actor: str, at: datetime
) -> None:
    self.five_in_place.extend(items)


def archived(self: Handling, *, organ_code: str, actor: str, at: datetime) -> None:
    self.archived_by = actor
    self.status = Status.ARCHIVED


def repeat_linked(
    self: Handling,
    *,
    repeat_case_id: str,
    holder_organ: str | None,
    holder_office: str | None,
    organ_code: str,
    actor: str,
    at: datetime,
) -> None:
    self.repeats.append(
        {
            "case_id": repeat_case_id,
            "linked_at_organ": organ_code,
            "shown_to_organ": holder_organ,
            "shown_to_office": holder_office,
            "at": at,
        }
    )
