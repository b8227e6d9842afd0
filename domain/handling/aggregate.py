"""The `Handling` aggregate 线索办理: the custody chain of one case, owned by routing.

A case opens when intake accepts a report; the registering organ's petition office holds
it first. At every moment exactly one office of one organ (or, after a hand-over outward,
one outside body) holds the case. Custody moves only by a transfer that is proposed with a
reason, signed off by a leader (签批), dispatched, and then received (签收) by a named person
at the target or refused there with a reason (custody stays where it was). While a transfer
is pending nothing else happens to the case.

The holder disposes of the lead, concludes it, and, when it was assigned from above (交办,
督办), reports the result back (报结): the assigning office then holds the case to review it
and either accepts it or sends it back to be redone (退回重办). Once concluded, with nothing
left to report back and the "five in place" confirmed, the holder archives the case.

Every command takes the moment `at` (from the application's clock) and every event
records it, with the organ where it happened (`organ_code`) and the person who acted
(`actor`); attributes are plain values, enumerations stored as their codes. The aggregate
is pure: routes are checked through the `RouteChecker` passed to the commands.

The class holds the state, the reading and the guards; it lists its commands, written in
`transfers` and `steps`, and its event methods, written in `changes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.guards import aware
from domain.handling import changes, refusals, steps, transfers
from domain.handling.custody import CustodyLink, Transfer, TransferState
from domain.handling.status import Status
from domain.vocabulary import FiveInPlace, Office

__all__ = ["Handling"]

# Attributes added in version 2 for consumers that replay derives from earlier events:
# events stored before carry none, and replaying them needs none.
_DERIVED_SINCE_V2 = {
    "TransferReceived": ("holder_organ", "holder_office"),
    "SentBack": ("holder_organ", "holder_office"),
    "Concluded": ("report_back_required",),
    "ResultAccepted": ("report_back_required",),
}


class Handling(Aggregate):
    """The custody chain and handling of one case (same id as the petition)."""

    class Event(Aggregate.Event):
        """Every Handling event; version 2 records the moment `at` it happened."""

        class_version = 2

        @classmethod
        def upcast_v1_v2(cls, state: dict[str, Any]) -> None:
            # Version 1 recorded no moment: the library's own timestamp is the best one.
            state.setdefault("at", state["timestamp"])
            for name in _DERIVED_SINCE_V2.get(cls.__name__, ()):
                state.setdefault(name, None)

    @event("Opened")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - the case id, given by intake
        organ_code: str,
        actor: str,
        at: datetime,
        report_type: str | None = None,
        reported_persons: list[dict[str, Any]] | None = None,
    ) -> None:
        self.registered_organ = organ_code
        self.report_type = report_type
        self.reported_persons: list[dict[str, Any]] = list(reported_persons or [])
        self.holder_organ: str | None = organ_code
        self.holder_office: str | None = Office.PETITION.value
        self.holder_external: str | None = None
        self.status = Status.OPEN
        self.transfers: list[Transfer] = []
        self.custody: list[CustodyLink] = [
            CustodyLink(
                version=1,
                kind="opened",
                from_organ=None,
                from_office=None,
                to_organ=organ_code,
                to_office=Office.PETITION.value,
                external_body=None,
                by=actor,
                at=at,
            )
        ]
        self.assignments: list[dict[str, str]] = []
        self.disposal: dict[str, Any] | None = None
        self.conclusion: dict[str, Any] | None = None
        self.conclusions: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.feedback: list[dict[str, Any]] = []
        self.five_in_place: list[str] = []
        self.repeats: list[dict[str, Any]] = []
        self.archived_by: str | None = None

    @classmethod
    def open(
        cls,
        case_id: UUID,
        organ_code: str,
        actor: str,
        report_type: str | None = None,
        reported_persons: Iterable[Mapping[str, Any]] = (),
        *,
        at: datetime,
    ) -> Handling:
        """Open the handling of an accepted report, held by the organ's petition office."""
        return cls(
            id=case_id,
            organ_code=refusals.required(organ_code, "organ"),
            actor=actor,
            at=aware(at),
            report_type=report_type,
            reported_persons=[dict(p) for p in reported_persons],
        )

    # --- reading ---------------------------------------------------------------------

    @property
    def pending_transfer(self) -> Transfer | None:
        if self.transfers and self.transfers[-1].pending:
            return self.transfers[-1]
        return None

    @property
    def holder(self) -> dict[str, str | None]:
        return {
            "organ_code": self.holder_organ,
            "office": self.holder_office,
            "external_body": self.holder_external,
        }

    def is_held_by(self, organ_code: str | None, office: str | None) -> bool:
        return (
            self.holder_external is None
            and self.holder_organ == organ_code
            and self.holder_office == office
        )

    @property
    def five_in_place_missing(self) -> list[str]:
        return [item.value for item in FiveInPlace if item.value not in self.five_in_place]

    # --- guards ----------------------------------------------------------------------

    def _check_not_closed(self) -> None:
        if self.status == Status.ARCHIVED:
            raise refusals.case_archived(self.id)
        if self.status == Status.HANDED_OVER:
            raise refusals.case_handed_over(self.id, self.holder_external)

    def _check_holder(self, actor: Actor) -> None:
        if not self.is_held_by(actor.organ_code, actor.office):
            raise refusals.not_holder(self.holder_organ, self.holder_office, actor)

    def _check_holder_may_act(self, actor: Actor, *allowed: str) -> None:
        self._check_not_closed()
        self._check_holder(actor)
        pending = self.pending_transfer
        if pending is not None:
            raise refusals.transfer_pending(pending.id, pending.state)
        if self.status in allowed:
            return
        if self.status == Status.UNDER_REVIEW:
            raise refusals.case_under_review()
        if self.status == Status.CONCLUDED:
            raise refusals.case_concluded()
        raise refusals.not_concluded()

    def _current_transfer(self, transfer_id: str) -> Transfer:
        pending = self.pending_transfer
        if pending is None or pending.id != str(transfer_id):
            if any(t.id == str(transfer_id) for t in self.transfers):
                raise refusals.transfer_closed(str(transfer_id))
            raise refusals.transfer_unknown(str(transfer_id))
        return pending

    def _check_at_target(self, actor: Actor, transfer: Transfer) -> None:
        if transfer.state != TransferState.DISPATCHED:
            raise refusals.transfer_not_dispatched(transfer.id)
        # An outside body has no users: the sending office records its receipt or refusal.
        where = (
            (transfer.from_organ, transfer.from_office)
            if transfer.outward
            else (transfer.to_organ, transfer.to_office)
        )
        if not actor.at(*where):
            raise refusals.not_target(*where, actor)

    # --- commands: each checks, then records one event (`transfers`, `steps`) ----------

    propose_transfer = transfers.propose_transfer
    approve_transfer = transfers.approve_transfer
    dispatch_transfer = transfers.dispatch_transfer
    withdraw_transfer = transfers.withdraw_transfer
    receive_transfer = transfers.receive_transfer
    refuse_transfer = transfers.refuse_transfer
    decide_disposal = steps.decide_disposal
    conclude = steps.conclude
    report_back = steps.report_back
    review = steps.review
    record_feedback = steps.record_feedback
    confirm_five_in_place = steps.confirm_five_in_place
    archive = steps.archive
    link_repeat = steps.link_repeat

    # --- events: what each records, and how it changes the case (`changes`) -----------

    _transfer_proposed = event("TransferProposed")(changes.transfer_proposed)
    _transfer_approved = event("TransferApproved")(changes.transfer_approved)
    _transfer_dispatched = event("TransferDispatched")(changes.transfer_dispatched)
    _transfer_withdrawn = event("TransferWithdrawn")(changes.transfer_withdrawn)
    _transfer_received = event("TransferReceived")(changes.transfer_received)
    _transfer_refused = event("TransferRefused")(changes.transfer_refused)
    _disposal_decided = event("DisposalDecided")(changes.disposal_decided)
    _concluded = event("Concluded")(changes.concluded)
    _reported_back = event("ReportedBack")(changes.reported_back)
    _result_accepted = event("ResultAccepted")(changes.result_accepted)
    _sent_back = event("SentBack")(changes.sent_back)
    _feedback_given = event("FeedbackGiven")(changes.feedback_given)
    _five_in_place_confirmed = event("FiveInPlaceConfirmed")(changes.five_in_place_confirmed)
    _archived = event("Archived")(changes.archived)
    _repeat_linked = event("RepeatLinked")(changes.repeat_linked)
