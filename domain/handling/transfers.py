"""Commands that move custody 流转: propose, sign off, dispatch, withdraw, receive, refuse.

Methods of `Handling`, attached in its class body; each checks everything first and then
records one event, or refuses and records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.guards import aware
from domain.handling import refusals
from domain.handling.custody import TransferState
from domain.handling.routes import RouteChecker, internal_target, offices_to_notify
from domain.handling.status import Status
from domain.vocabulary import TransferKind, parse

if TYPE_CHECKING:
    from domain.handling.aggregate import Handling


def propose_transfer(
    self: Handling,
    actor: Actor,
    kind: TransferKind | str,
    reason: str,
    routes: RouteChecker,
    *,
    at: datetime,
    to_organ: str | None = None,
    to_office: str | None = None,
    external_body: str | None = None,
    suggestion: Mapping[str, Any] | None = None,
    transfer_id: UUID | None = None,
) -> str:
    """Propose moving the case elsewhere; returns the transfer id."""
    kind = parse(TransferKind, kind)
    reason = refusals.required(reason, "reason")
    self._check_holder_may_act(actor, Status.OPEN)
    holder = (str(self.holder_organ), str(self.holder_office))
    body: str | None = None
    target: tuple[str | None, str | None] = (None, None)
    if kind == TransferKind.HAND_OVER_OUTWARD:
        if to_organ is not None or to_office is not None:
            raise refusals.outward_names_no_organ()
        body = refusals.required(external_body, "external_body")
    elif external_body is not None:
        raise refusals.only_outward_names_a_body()
    else:
        target = internal_target(kind, holder, to_organ, to_office, routes)
    self._transfer_proposed(
        transfer_id=str(transfer_id or uuid4()),
        kind=kind.value,
        from_organ=holder[0],
        from_office=holder[1],
        to_organ=target[0],
        to_office=target[1],
        external_body=body,
        reason=reason,
        deadline=None,  # supervision computes a supervised transfer's deadline
        suggestion=dict(suggestion) if suggestion else None,
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )
    return self.transfers[-1].id


def approve_transfer(self: Handling, actor: Actor, transfer_id: str, *, at: datetime) -> None:
    """A leader of the holding organ signs off the pending transfer 签批."""
    self._check_not_closed()
    transfer = self._current_transfer(transfer_id)
    if actor.organ_code != self.holder_organ:
        raise refusals.not_leader_of_holder(self.holder_organ, actor)
    if not actor.is_leader:
        raise refusals.leader_required()
    if transfer.proposed_by == actor.username:
        raise refusals.proposer_cannot_approve()
    if transfer.state != TransferState.PROPOSED:
        raise refusals.transfer_already_approved(transfer.id)
    self._transfer_approved(
        transfer_id=transfer.id, organ_code=actor.organ_code, actor=actor.username, at=aware(at)
    )


def dispatch_transfer(
    self: Handling, actor: Actor, transfer_id: str, routes: RouteChecker, *, at: datetime
) -> None:
    """The holder sends the signed-off transfer on its way."""
    self._check_not_closed()
    self._check_holder(actor)
    transfer = self._current_transfer(transfer_id)
    if transfer.state == TransferState.PROPOSED:
        raise refusals.transfer_not_approved(transfer.id)
    if transfer.state == TransferState.DISPATCHED:
        raise refusals.transfer_already_dispatched(transfer.id)
    self._transfer_dispatched(
        transfer_id=transfer.id,
        notified_offices=offices_to_notify(transfer.kind, transfer.from_organ, routes),
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )


def withdraw_transfer(
    self: Handling, actor: Actor, transfer_id: str, reason: str, *, at: datetime
) -> None:
    """The holder takes back a transfer that has not been dispatched 撤回."""
    reason = refusals.required(reason, "reason")
    self._check_not_closed()
    self._check_holder(actor)
    transfer = self._current_transfer(transfer_id)
    if transfer.state == TransferState.DISPATCHED:
        raise refusals.dispatched_cannot_be_withdrawn(transfer.id)
    self._transfer_withdrawn(
        transfer_id=transfer.id,
        reason=reason,
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )


def receive_transfer(
    self: Handling, actor: Actor, transfer_id: str, received_by: str | None = None, *, at: datetime
) -> None:
    """A named person at the target signs for the case 签收; custody moves there."""
    self._check_not_closed()
    transfer = self._current_transfer(transfer_id)
    self._check_at_target(actor, transfer)
    receiver = refusals.required(received_by if received_by is not None else actor.name, "receiver")
    self._transfer_received(
        transfer_id=transfer.id,
        received_by=receiver,
        holder_organ=transfer.to_organ,
        holder_office=transfer.to_office,
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )


def refuse_transfer(
    self: Handling, actor: Actor, transfer_id: str, reason: str, *, at: datetime
) -> None:
    """The target refuses the case with a reason 拒收; custody stays with the sender."""
    reason = refusals.required(reason, "reason")
    self._check_not_closed()
    transfer = self._current_transfer(transfer_id)
    self._check_at_target(actor, transfer)
    self._transfer_refused(
        transfer_id=transfer.id,
        reason=reason,
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )
