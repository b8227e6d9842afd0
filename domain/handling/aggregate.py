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
(`actor`); attributes are plain values, enumerations stored as their codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.guards import aware
from domain.handling import refusals
from domain.handling.custody import CustodyLink, Transfer, TransferState
from domain.handling.routes import RouteChecker, internal_target, offices_to_notify
from domain.handling.status import Status
from domain.vocabulary import (
    Disposal,
    FiveInPlace,
    NotificationMethod,
    Office,
    Outcome,
    Satisfaction,
    Substantiation,
    TransferKind,
    parse,
)

__all__ = ["Handling"]

# Outcomes that say the problem was not found true, and those that sanction someone.
_UNTRUE_OUTCOMES = frozenset(
    {Outcome.NOT_SUBSTANTIATED, Outcome.NAME_CLEARED, Outcome.FALSE_ACCUSATION}
)
_SANCTION_OUTCOMES = frozenset(
    {
        Outcome.PARTY_SANCTION,
        Outcome.ADMINISTRATIVE_SANCTION,
        Outcome.ADMONISHING_TALK,
        Outcome.CRITICISM_EDUCATION,
        Outcome.JUDICIAL_TRANSFER,
    }
)

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

    # --- transfers -------------------------------------------------------------------

    def propose_transfer(
        self,
        actor: Actor,
        kind: TransferKind | str,
        reason: str,
        routes: RouteChecker,
        *,
        at: datetime,
        to_organ: str | None = None,
        to_office: str | None = None,
        external_body: str | None = None,
        deadline: date | None = None,
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
        if kind != TransferKind.SUPERVISE_DOWN and deadline is not None:
            raise refusals.deadline_unexpected()
        self._transfer_proposed(
            transfer_id=str(transfer_id or uuid4()),
            kind=kind.value,
            from_organ=holder[0],
            from_office=holder[1],
            to_organ=target[0],
            to_office=target[1],
            external_body=body,
            reason=reason,
            deadline=deadline.isoformat() if deadline else None,
            suggestion=dict(suggestion) if suggestion else None,
            organ_code=actor.organ_code,
            actor=actor.name,
            at=aware(at),
        )
        return self.transfers[-1].id

    def approve_transfer(self, actor: Actor, transfer_id: str, *, at: datetime) -> None:
        """A leader of the holding organ signs off the pending transfer 签批."""
        self._check_not_closed()
        transfer = self._current_transfer(transfer_id)
        if actor.organ_code != self.holder_organ:
            raise refusals.not_leader_of_holder(self.holder_organ, actor)
        if not actor.is_leader:
            raise refusals.leader_required()
        if transfer.state != TransferState.PROPOSED:
            raise refusals.transfer_already_approved(transfer.id)
        self._transfer_approved(
            transfer_id=transfer.id, organ_code=actor.organ_code, actor=actor.name, at=aware(at)
        )

    def dispatch_transfer(
        self, actor: Actor, transfer_id: str, routes: RouteChecker, *, at: datetime
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
            actor=actor.name,
            at=aware(at),
        )

    def withdraw_transfer(
        self, actor: Actor, transfer_id: str, reason: str, *, at: datetime
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
            actor=actor.name,
            at=aware(at),
        )

    def receive_transfer(
        self, actor: Actor, transfer_id: str, received_by: str | None = None, *, at: datetime
    ) -> None:
        """A named person at the target signs for the case 签收; custody moves there."""
        self._check_not_closed()
        transfer = self._current_transfer(transfer_id)
        self._check_at_target(actor, transfer)
        receiver = refusals.required(
            received_by if received_by is not None else actor.name, "receiver"
        )
        self._transfer_received(
            transfer_id=transfer.id,
            received_by=receiver,
            holder_organ=transfer.to_organ,
            holder_office=transfer.to_office,
            organ_code=actor.organ_code,
            actor=actor.name,
            at=aware(at),
        )

    def refuse_transfer(self, actor: Actor, transfer_id: str, reason: str, *, at: datetime) -> None:
        """The target refuses the case with a reason 拒收; custody stays with the sender."""
        reason = refusals.required(reason, "reason")
        self._check_not_closed()
        transfer = self._current_transfer(transfer_id)
        self._check_at_target(actor, transfer)
        self._transfer_refused(
            transfer_id=transfer.id,
            reason=reason,
            organ_code=actor.organ_code,
            actor=actor.name,
            at=aware(at),
        )

    # --- handling --------------------------------------------------------------------

    def decide_disposal(
        self, actor: Actor, mode: Disposal | str, reason: str, *, at: datetime
    ) -> None:
        """The holder chooses how to dispose of the lead 线索处置."""
        mode = parse(Disposal, mode)
        reason = refusals.required(reason, "reason")
        self._check_holder_may_act(actor, Status.OPEN)
        self._disposal_decided(
            mode=mode.value,
            reason=reason,
            organ_code=actor.organ_code,
            actor=actor.name,
            at=aware(at),
        )

    def conclude(
        self,
        actor: Actor,
        outcome: Outcome | str,
        substantiation: Substantiation | str,
        findings: str,
        *,
        at: datetime,
    ) -> None:
        """The holder records the conclusion 办结: outcome, substantiation and findings."""
        outcome = parse(Outcome, outcome)
        substantiation = parse(Substantiation, substantiation)
        findings = refusals.required(findings, "findings")
        if outcome in _UNTRUE_OUTCOMES and substantiation != Substantiation.UNTRUE:
            raise refusals.outcome_means_untrue(outcome.value, substantiation.value)
        if outcome in _SANCTION_OUTCOMES and substantiation == Substantiation.UNTRUE:
            raise refusals.sanction_needs_truth(outcome.value, substantiation.value)
        self._check_holder_may_act(actor, Status.OPEN)
        if self.disposal is None:
            raise refusals.disposal_missing()
        self._concluded(
            outcome=outcome.value,
            substantiation=substantiation.value,
            findings=findings,
            report_back_required=bool(self.assignments),
            organ_code=actor.organ_code,
            actor=actor.name,
            at=aware(at),
        )

    def report_back(self, actor: Actor, summary: str, *, at: datetime) -> None:
        """Report the conclusion back to the assigning office 报结; it holds the case to review."""
        summary = refusals.required(summary, "summary")
        self._check_holder_may_act(actor, Status.CONCLUDED)
        if not self.assignments:
            raise refusals.no_assignment()
        assigner = self.assignments[-1]
        self._reported_back(
            to_organ=assigner["organ_code"],
            to_office=assigner["office"],
            summary=summary,
            organ_code=actor.organ_code,
            actor=actor.name,
            at=aware(at),
        )

    def review(
        self, actor: Actor, accept: bool, reason: str | None = None, *, at: datetime
    ) -> None:
        """The assigning office reviews the result: accept it, or send it back to be redone."""
        self._check_not_closed()
        self._check_holder(actor)
        if self.status != Status.UNDER_REVIEW:
            raise refusals.not_under_review()
        if accept:
            self._result_accepted(
                reason=(reason or "").strip() or None,
                report_back_required=len(self.assignments) > 1,
                organ_code=actor.organ_code,
                actor=actor.name,
                at=aware(at),
            )
            return
        redo = self.custody[-1]  # the report-back link: who reported, gets it back
        self._sent_back(
            reason=refusals.required(reason, "reason"),
            holder_organ=redo.from_organ,
            holder_office=redo.from_office,
            organ_code=actor.organ_code,
            actor=actor.name,
            at=aware(at),
        )

    def record_feedback(
        self,
        actor: Actor,
        method: NotificationMethod | str,
        content: str,
        satisfaction: Satisfaction | str | None = None,
        *,
        at: datetime,
    ) -> None:
        """Tell the reporter the result 反馈, optionally with their satisfaction 回访."""
        method = parse(NotificationMethod, method)
        content = refusals.required(content, "content")
        level = parse(Satisfaction, satisfaction).value if satisfaction is not None else None
        self._check_holder_may_act(actor, Status.CONCLUDED)
        self._feedback_given(
            method=method.value,
            content=content,
            satisfaction=level,
            organ_code=actor.organ_code,
            actor=actor.name,
            at=aware(at),
        )

    def confirm_five_in_place(
        self, actor: Actor, items: Iterable[FiveInPlace | str], *, at: datetime
    ) -> None:
        """Confirm some of the "five in place" 五个到位 before archiving."""
        confirmed = [parse(FiveInPlace, item).value for item in items]
        if not confirmed:
            raise refusals.five_in_place_empty()
        self._check_holder_may_act(actor, Status.CONCLUDED)
        new = [c for c in dict.fromkeys(confirmed) if c not in self.five_in_place]
        if new:
            self._five_in_place_confirmed(
                items=new, organ_code=actor.organ_code, actor=actor.name, at=aware(at)
            )

    def archive(self, actor: Actor, *, at: datetime) -> None:
        """Archive the concluded case 归档 once the five are in place."""
        self._check_holder_may_act(actor, Status.CONCLUDED)
        if self.assignments:
            raise refusals.report_back_required(self.assignments[-1]["organ_code"])
        if self.five_in_place_missing:
            raise refusals.five_in_place_incomplete(self.five_in_place_missing)
        self._archived(organ_code=actor.organ_code, actor=actor.name, at=aware(at))

    def link_repeat(
        self, repeat_case_id: UUID | str, organ_code: str, actor: str, *, at: datetime
    ) -> bool:
        """Show a repeat report linked at intake to whoever holds this case now.

        Returns False (and records nothing) when the repeat is already linked.
        """
        repeat = str(repeat_case_id)
        if repeat == str(self.id):
            raise refusals.repeat_self()
        if any(r["case_id"] == repeat for r in self.repeats):
            return False
        self._repeat_linked(
            repeat_case_id=repeat,
            holder_organ=self.holder_organ,
            holder_office=self.holder_office,
            organ_code=organ_code,
            actor=actor,
            at=aware(at),
        )
        return True

    # --- events ----------------------------------------------------------------------

    def _replace_last_transfer(self, **changes: Any) -> Transfer:
        transfer = Transfer(**{**self.transfers[-1].as_dict(), **changes})
        self.transfers[-1] = transfer
        return transfer

    def _move_custody(
        self,
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

    @event("TransferProposed")
    def _transfer_proposed(
        self,
        *,
        transfer_id: str,
        kind: str,
        from_organ: str,
        from_office: str,
        to_organ: str | None,
        to_office: str | None,
        external_body: str | None,
        reason: str,
        deadline: str | None,
        suggestion: dict[str, Any] | None,
        organ_code: str,
        actor: str,
        at: datetime,
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
                deadline=deadline,
                suggestion=suggestion,
                proposed_at=at,
            )
        )

    @event("TransferApproved")
    def _transfer_approved(
        self, *, transfer_id: str, organ_code: str, actor: str, at: datetime
    ) -> None:
        self._replace_last_transfer(state=TransferState.APPROVED, approved_by=actor, approved_at=at)

    @event("TransferDispatched")
    def _transfer_dispatched(
        self,
        *,
        transfer_id: str,
        notified_offices: list[str],
        organ_code: str,
        actor: str,
        at: datetime,
    ) -> None:
        self._replace_last_transfer(
            state=TransferState.DISPATCHED, dispatched_by=actor, dispatched_at=at
        )

    @event("TransferWithdrawn")
    def _transfer_withdrawn(
        self, *, transfer_id: str, reason: str, organ_code: str, actor: str, at: datetime
    ) -> None:
        self._replace_last_transfer(
            state=TransferState.WITHDRAWN,
            withdrawn_by=actor,
            withdrawal_reason=reason,
            closed_at=at,
        )

    @event("TransferReceived")
    def _transfer_received(
        self,
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
        t = self._replace_last_transfer(
            state=TransferState.RECEIVED, received_by=received_by, closed_at=at
        )
        self._move_custody(t.kind, (t.to_organ, t.to_office), received_by, at, t)
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

    @event("TransferRefused")
    def _transfer_refused(
        self, *, transfer_id: str, reason: str, organ_code: str, actor: str, at: datetime
    ) -> None:
        self._replace_last_transfer(
            state=TransferState.REFUSED, refused_by=actor, refusal_reason=reason, closed_at=at
        )

    @event("DisposalDecided")
    def _disposal_decided(
        self, *, mode: str, reason: str, organ_code: str, actor: str, at: datetime
    ) -> None:
        self.disposal = {
            "mode": mode,
            "reason": reason,
            "by": actor,
            "organ_code": organ_code,
            "at": at,
        }

    @event("Concluded")
    def _concluded(
        self,
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

    @event("ReportedBack")
    def _reported_back(
        self,
        *,
        to_organ: str,
        to_office: str,
        summary: str,
        organ_code: str,
        actor: str,
        at: datetime,
    ) -> None:
        self._move_custody("report_back", (to_organ, to_office), actor, at)
        self.status = Status.UNDER_REVIEW

    @event("ResultAccepted")
    def _result_accepted(
        self,
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

    @event("SentBack")
    def _sent_back(
        self,
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
        self._move_custody("send_back", (reporter.from_organ, reporter.from_office), actor, at)
        self.conclusion = None
        self.five_in_place = []
        self.status = Status.OPEN

    @event("FeedbackGiven")
    def _feedback_given(
        self,
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

    @event("FiveInPlaceConfirmed")
    def _five_in_place_confirmed(
        self, *, items: list[str], organ_code: str, actor: str, at: datetime
    ) -> None:
        self.five_in_place.extend(items)

    @event("Archived")
    def _archived(self, *, organ_code: str, actor: str, at: datetime) -> None:
        self.archived_by = actor
        self.status = Status.ARCHIVED

    @event("RepeatLinked")
    def _repeat_linked(
        self,
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
