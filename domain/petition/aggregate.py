"""The petition aggregate 信访件: one report, from registration through screening.

It records what came in (编号登记), how the petition office screened it (甄别), the
real-name check, the acceptance notification and what the reporter may be told. The
reporter's identity enters only as ciphertext, in `sealed_*` attributes the relay drops.
Every event carries `organ_code`, `actor` (a name) and its moment (`*_at`, from the
caller's clock); event methods are named after their events and take keywords only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.guards import aware, require_text
from domain.petition import refusals
from domain.petition.corrections import plan_correction
from domain.petition.description import ReportDescription
from domain.petition.guarded import PetitionGuards
from domain.petition.refusals import MAX_ATTACHMENTS, MAX_NAME, MAX_SUMMARY, MAX_TEXT
from domain.petition.sign_off import require_proposer
from domain.petition.stage import Stage
from domain.petition.values import Attachment
from domain.vocabulary import NotificationMethod, RealNameCheck, ReportType, parse

__all__ = ["Petition"]


class Petition(PetitionGuards, Aggregate):
    """A petition or report 信访举报件, keyed by the case id."""

    # --- registration 登记 -----------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        organ_code: str,
        actor: str,
        registration_number: str,
        registered_at: datetime,
        description: ReportDescription,
        sealed_reporter: str | None = None,
        receipt_code_hash: str | None = None,
        case_id: UUID | None = None,
        source_id: str | None = None,
    ) -> Petition:
        """Register a report whose description was checked; the caller may fix the id.

        `source_id` marks a historical report brought in by the history import (its id in
        the office's old records); a live registration has none.
        """
        require_text(actor, "actor", MAX_NAME)
        require_text(organ_code, "organ_code", MAX_NAME)
        description.revised({}, registered_at=registered_at)  # the same rules, once more
        values = description.event_values()
        values["real_name"] = sealed_reporter is not None
        values.update(imported=source_id is not None, source_id=source_id)
        return cls(
            organ_code=organ_code,
            actor=actor,
            registration_number=registration_number,
            registered_at=registered_at,
            sealed_reporter=sealed_reporter,
            receipt_code_hash=receipt_code_hash,
            id=case_id or uuid4(),
            **values,
        )

    @event("Registered")
    def __init__(
        self,
        *,
        organ_code: str,
        actor: str,
        channel: str,
        registration_number: str,
        received_at: datetime,
        registered_at: datetime,
        summary: str,
        full_text: str,
        real_name: bool,
        sealed_reporter: str | None,
        visitors: int,
        handed_over_from: str | None,
        handover_reference: str | None,
        reported_persons: list[dict[str, Any]],
        categories: list[str],
        key_fields: list[str],
        keywords: list[str],
        conduct_period: str,
        conduct_date: str | None,
        attachments: list[dict[str, Any]],
        receipt_code_hash: str | None,
        id: UUID,  # noqa: A002 - the library's name for the aggregate id
        # Set by the history import 历史数据导入; absent from events stored before it.
        imported: bool = False,
        source_id: str | None = None,
    ) -> None:
        self.organ_code = organ_code
        self.channel = channel
        self.registration_number = registration_number
        self.received_at = received_at
        self.registered_at = registered_at
        self.summary = summary
        self.full_text = full_text
        self.real_name = real_name
        self.sealed_reporter = sealed_reporter
        self.visitors = visitors
        self.handed_over_from = handed_over_from
        self.handover_reference = handover_reference
        self.reported_persons = reported_persons
        self.categories = categories
        self.key_fields = key_fields
        self.keywords = keywords
        self.conduct_period = conduct_period
        self.conduct_date = conduct_date
        self.attachments = attachments
        self.receipt_code_hash = receipt_code_hash
        self.imported = imported
        self.source_id = source_id
        self.registered_by = actor
        self.stage = Stage.RECEIVED
        self.report_type: str | None = None
        self.screened_by: str | None = None
        self.screened_at: datetime | None = None
        self.diverted_to: str | None = None
        self.explanation: str | None = None
        self.not_accept_proposal: dict[str, Any] | None = None
        self.not_accepted_reason: str | None = None
        self.proposed_by: str | None = None
        self.approved_by: str | None = None
        self.first_case_id: str | None = None
        self.real_name_check: str | None = None
        self.notified: dict[str, Any] | None = None
        self.public_result_zh: str | None = None
        self.public_result_en: str | None = None
        self.corrections = 0
        self.reveals = 0

    # --- attachments 附件 ------------------------------------------------------------

    def add_attachment(self, attachment: Attachment, *, actor: str, at: datetime) -> bool:
        """Attach a stored file; attaching the same content twice changes nothing."""
        if attachment.sha256 in self.attachment_hashes:
            return False
        if len(self.attachments) >= MAX_ATTACHMENTS:
            raise refusals.attachments_too_many_held()
        self._attachment_added(
            organ_code=self.organ_code, actor=actor, added_at=at, attachment=attachment.to_dict()
        )
        return True

    @event("AttachmentAdded")
    def _attachment_added(
        self, *, organ_code: str, actor: str, added_at: datetime, attachment: dict[str, Any]
    ) -> None:
        self.attachments = [*self.attachments, attachment]

    # --- screening 甄别 --------------------------------------------------------------

    def accept(self, report_type: str, *, actor: str, at: datetime) -> None:
        """In scope and with substance: accept it for handling 受理."""
        self._require_unscreened()
        self._accepted(
            organ_code=self.organ_code,
            actor=actor,
            decided_at=at,
            report_type=parse(ReportType, report_type).value,
            reported_persons=[p.to_dict() for p in self.description.reported_persons],
        )

    @event("Accepted")
    def _accepted(
        self,
        *,
        organ_code: str,
        actor: str,
        decided_at: datetime,
        report_type: str,
        # Who is reported as now recorded, for routing's suggestion; absent from old events.
        reported_persons: list[dict[str, Any]] | None = None,
    ) -> None:
        self.stage = Stage.ACCEPTED
        self.report_type = report_type
        self._screened(actor, decided_at)

    def divert(self, department: str, explanation: str, *, actor: str, at: datetime) -> None:
        """Out of scope: tell the reporter where to go and why 分流."""
        self._require_unscreened()
        self._diverted(
            organ_code=self.organ_code,
            actor=actor,
            decided_at=at,
            department=require_text(department, "department", MAX_TEXT),
            explanation=require_text(explanation, "explanation", MAX_SUMMARY),
        )

    @event("Diverted")
    def _diverted(
        self,
        *,
        organ_code: str,
        actor: str,
        decided_at: datetime,
        department: str,
        explanation: str,
    ) -> None:
        self.stage = Stage.DIVERTED
        self.diverted_to = department
        self.explanation = explanation
        self._screened(actor, decided_at)

    # --- not accepting 不予受理: proposed by a clerk, decided by a leader ----------------

    def propose_not_accept(self, reason: str, *, actor: Actor, at: datetime) -> None:
        """A petition clerk of this organ proposes not to accept: no substance 不予受理."""
        self._require_unscreened()
        require_proposer(actor, self.organ_code)
        reason = require_text(reason, "reason", MAX_SUMMARY)
        self._not_accept_proposed(
            organ_code=self.organ_code, actor=actor.username, proposed_at=at, reason=reason
        )

    @event("NotAcceptProposed")
    def _not_accept_proposed(
        self, *, organ_code: str, actor: str, proposed_at: datetime, reason: str
    ) -> None:
        self.not_accept_proposal = dict(reason=reason, proposed_by=actor, proposed_at=proposed_at)

    def approve_not_accept(self, *, actor: Actor, at: datetime) -> None:
        """A leader of this organ, not the proposer, approves: not accepted 不予受理."""
        proposal = self._require_decider(actor)
        self._not_accepted(
            organ_code=self.organ_code,
            actor=actor.username,
            decided_at=at,
            reason=proposal["reason"],
            proposed_by=proposal["proposed_by"],
            approved_by=actor.username,
        )

    @event("NotAccepted")
    def _not_accepted(
        self,
        *,
        organ_code: str,
        actor: str,
        decided_at: datetime,
        reason: str,
        approved_by: str,
        # Absent from events stored before the leader's step: the clerk was the `actor`.
        proposed_by: str | None = None,
    ) -> None:
        self.stage = Stage.NOT_ACCEPTED
        self.not_accepted_reason = reason
        self.approved_by = approved_by
        self.proposed_by = proposed_by or actor
        self.not_accept_proposal = None
        self._screened(self.proposed_by, decided_at)

    def reject_not_accept(self, reason: str, *, actor: Actor, at: datetime) -> None:
        """A leader of this organ, not the proposer, rejects the proposal; screen it again."""
        self._require_decider(actor)
        reason = require_text(reason, "reason", MAX_SUMMARY)
        self._not_accept_rejected(
            organ_code=self.organ_code, actor=actor.username, rejected_at=at, reason=reason
        )

    @event("NotAcceptRejected")
    def _not_accept_rejected(
        self, *, organ_code: str, actor: str, rejected_at: datetime, reason: str
    ) -> None:
        self.not_accept_proposal = None

    # --- repeats 重复举报 --------------------------------------------------------------

    def link_as_repeat(self, first: Petition, reason: str, *, actor: str, at: datetime) -> str:
        """Link a repeat 重复举报 to the first case (a repeat's own first); returns its id."""
        self._require_unscreened()
        reason = require_text(reason, "reason", MAX_SUMMARY)
        first_case_id = first.first_case_id or str(first.id)
        if first_case_id == str(self.id):
            raise refusals.repeat_of_itself()
        if first.stage in (Stage.RECEIVED, Stage.DIVERTED, Stage.NOT_ACCEPTED):
            raise refusals.repeat_first_not_accepted(first_case_id)
        self._linked_as_repeat(
            organ_code=self.organ_code,
            actor=actor,
            decided_at=at,
            first_case_id=first_case_id,
            reason=reason,
        )
        return first_case_id

    @event("LinkedAsRepeat")
    def _linked_as_repeat(
        self, *, organ_code: str, actor: str, decided_at: datetime, first_case_id: str, reason: str
    ) -> None:
        self.stage = Stage.REPEAT
        self.first_case_id = first_case_id
        self._screened(actor, decided_at)

    # --- real name 实名核实 ----------------------------------------------------------

    def verify_real_name(self, method: str, *, actor: str, at: datetime) -> None:
        """Record that the petition office confirmed the report is really real-name."""
        method = parse(RealNameCheck, method).value
        self._require_real_name()
        if self.real_name_check is not None:
            raise refusals.real_name_already_verified()
        self._real_name_verified(
            organ_code=self.organ_code, actor=actor, verified_at=at, method=method
        )

    @event("RealNameVerified")
    def _real_name_verified(
        self, *, organ_code: str, actor: str, verified_at: datetime, method: str
    ) -> None:
        self.real_name_check = method

    def record_reveal(self, purpose: str, *, actor: str, at: datetime) -> str:
        """Record a read of the sealed identity 查阅举报人身份; returns the ciphertext."""
        self._require_real_name()
        purpose = require_text(purpose, "purpose", MAX_TEXT)
        self._reporter_revealed(
            organ_code=self.organ_code, actor=actor, revealed_at=at, purpose=purpose
        )
        assert self.sealed_reporter is not None
        return self.sealed_reporter

    @event("ReporterRevealed")
    def _reporter_revealed(
        self, *, organ_code: str, actor: str, revealed_at: datetime, purpose: str
    ) -> None:
        self.reveals += 1

    # --- acceptance notification 受理告知 --------------------------------------------

    def notify_acceptance(
        self, method: str, notified_at: datetime, *, actor: str, at: datetime
    ) -> None:
        """Record that a real-name reporter was told the screening outcome, and how."""
        method = parse(NotificationMethod, method).value
        self._require_real_name()
        if self.stage == Stage.RECEIVED:
            raise refusals.petition_not_screened()
        if self.notified is not None:
            raise refusals.acceptance_already_notified()
        if aware(notified_at) < aware(self.received_at) or aware(notified_at) > aware(at):
            raise refusals.notified_at_out_of_range()
        self._acceptance_notified(
            organ_code=self.organ_code,
            actor=actor,
            method=method,
            notified_at=notified_at,
            outcome=self.stage,
        )

    @event("AcceptanceNotified")
    def _acceptance_notified(
        self, *, organ_code: str, actor: str, method: str, notified_at: datetime, outcome: str
    ) -> None:
        self.notified = {"method": method, "notified_at": notified_at, "outcome": outcome}

    # --- progress the reporter may see 办理进度 ---------------------------------------

    def note_handling_started(self, *, actor: str, at: datetime) -> bool:
        """The handling office has started; idempotent."""
        if self.stage in (Stage.IN_HANDLING, Stage.CONCLUDED):
            return False
        if self.stage != Stage.ACCEPTED:
            raise refusals.petition_not_accepted(self.stage)
        self._handling_started(organ_code=self.organ_code, actor=actor, started_at=at)
        return True

    @event("HandlingStarted")
    def _handling_started(self, *, organ_code: str, actor: str, started_at: datetime) -> None:
        self.stage = Stage.IN_HANDLING

    def resume_handling(self, reason: str, *, actor: str, at: datetime) -> bool:
        """Sent back to be redone 退回重办: a published result no longer stands (False: none)."""
        if self.stage in (Stage.ACCEPTED, Stage.IN_HANDLING):
            return False
        if self.stage != Stage.CONCLUDED:
            raise refusals.petition_not_in_handling(self.stage)
        reason = require_text(reason, "reason", MAX_SUMMARY)
        self._handling_resumed(
            organ_code=self.organ_code, actor=actor, resumed_at=at, reason=reason
        )
        return True

    @event("HandlingResumed")
    def _handling_resumed(
        self, *, organ_code: str, actor: str, resumed_at: datetime, reason: str
    ) -> None:
        self.stage = Stage.IN_HANDLING
        self.public_result_zh = None
        self.public_result_en = None

    def publish_result(
        self, public_result_zh: str, public_result_en: str, *, actor: str, at: datetime
    ) -> None:
        """The final result the reporter may be told 办结 (again, after a redo 退回重办)."""
        if self.stage not in Stage.HANDLED:
            raise refusals.petition_not_in_handling(self.stage)
        self._result_published(
            organ_code=self.organ_code,
            actor=actor,
            concluded_at=at,
            public_result_zh=require_text(public_result_zh, "public_result_zh", MAX_SUMMARY),
            public_result_en=require_text(public_result_en, "public_result_en", MAX_SUMMARY),
        )

    @event("ResultPublished")
    def _result_published(
        self,
        *,
        organ_code: str,
        actor: str,
        concluded_at: datetime,
        public_result_zh: str,
        public_result_en: str,
    ) -> None:
        self.stage = Stage.CONCLUDED
        self.public_result_zh = public_result_zh
        self.public_result_en = public_result_en

    # --- corrections 更正 ------------------------------------------------------------

    def correct(
        self,
        reason: str,
        changes: Mapping[str, Any],
        *,
        actor: str,
        at: datetime,
        sealed_reporter: str | None = None,
    ) -> list[str]:
        """Correct what was recorded without editing history; returns the changed fields."""
        reason = require_text(reason, "reason", MAX_SUMMARY)
        if sealed_reporter is not None:
            self._require_real_name()
        correction = plan_correction(self, changes, sealed_reporter)
        self._corrected(
            organ_code=self.organ_code,
            actor=actor,
            corrected_at=at,
            reason=reason,
            **vars(correction),
        )
        return correction.changed_fields

    @event("Corrected")
    def _corrected(
        self,
        *,
        organ_code: str,
        actor: str,
        corrected_at: datetime,
        reason: str,
        changed_fields: list[str],
        changes: dict[str, Any],
        sealed_reporter: str | None,
    ) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
        if sealed_reporter is not None:
            self.sealed_reporter = sealed_reporter
        self.corrections += 1
