"""Intake use cases 受理登记: register and screen every report, protect the reporter.

Each method is one use case; it returns ids or plain values, never an aggregate. Reporter
identity arrives as a `ReporterIdentity`, is sealed here (AES-GCM, bound to the case id)
and only the ciphertext reaches the aggregate. Nothing here logs identity. Every event's
moment comes from the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, BinaryIO
from uuid import UUID, uuid4

from domain.access import Action, Object
from domain.actors import Actor
from domain.contracts import Envelope
from domain.errors import InvalidInput, NotFound
from domain.guards import CHINA_TZ, aware, require_text
from domain.hierarchy import OrgTree
from domain.petition import (
    MAX_NAME,
    Attachment,
    AttachmentKind,
    Petition,
    ReportDescription,
    ReportedPerson,
    ReporterIdentity,
    registration_number,
)
from domain.repeats import TextNormaliser
from domain.rules import Rules
from domain.vocabulary import Channel, KeyFieldCatalogue, parse
from infra import aggregates
from services.guard import CaseScope, Guard, held_by
from services.intake.attachments import AttachmentStore
from services.intake.numbering import NumberBook, NumberTaken
from services.intake.progress import public_progress
from services.intake.reading import IntakeReading
from services.intake.references import References
from services.intake.routing_events import RoutingEventHandlers
from services.intake.sealing import Sealer
from services.intake.sidestore import MemorySideStore, PostgresSideStore, SideStore
from services.intake.views import substance_hint

# Kept under its old name: registration years and dates follow Beijing time 北京时间.
CHINA = CHINA_TZ
# Constant-time padding for the public progress answer, unless configured otherwise.
DEFAULT_MIN_ANSWER_SECONDS = 0.25


@dataclass(frozen=True)
class Registration:
    """What registration gives back: the case id, its number and the receipt code."""

    case_id: UUID
    registration_number: str
    receipt_code: str | None
    substance_hint: dict[str, Any] | None = None


@dataclass(frozen=True)
class StoredAttachment:
    """An attachment of a case."""

    sha256: str
    size: int
    media_type: str
    kind: str
    added: bool


class IntakeApplication(IntakeReading):
    """The intake service's event-sourced application."""

    def __init__(
        self,
        *,
        sealer: Sealer,
        org_tree: OrgTree,
        attachments: AttachmentStore,
        rules: Rules | None = None,
        key_fields: KeyFieldCatalogue | None = None,
        database_url: str | None = None,
        schema: str | None = None,
        clock: Callable[[], datetime] | None = None,
        min_answer_seconds: float = DEFAULT_MIN_ANSWER_SECONDS,
        env: dict[str, str] | None = None,
        normaliser: TextNormaliser | None = None,
        guard: Guard | None = None,
    ) -> None:
        super().__init__("intake", database_url=database_url, schema=schema, env=env)
        self.sealer = sealer
        self.org_tree = org_tree
        self.attachments = attachments
        self.rules = rules or Rules.default()
        self.key_fields = key_fields or KeyFieldCatalogue.default()
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.min_answer_seconds = min_answer_seconds
        # Names and units are compared after this normalisation; the composition root
        # injects the full traditional→simplified map, the default covers common words.
        self.normaliser = normaliser or TextNormaliser()
        self.references = References(org_tree, self.rules, self.key_fields)
        self.side: SideStore = (
            MemorySideStore()
            if database_url is None
            else PostgresSideStore(self.datastore_connection)
        )
        self.routing_events = RoutingEventHandlers(self.side, self.now)
        self.numbers = NumberBook(self.side, None if database_url is None else self.schema)
        self.guard = guard or Guard(None, self.now)

    def now(self) -> datetime:
        """The injected clock's time, refused when it carries no time zone."""
        return aware(self.clock())

    # --- registration 登记 -------------------------------------------------------------

    def register(
        self,
        *,
        organ_code: str,
        actor: Actor,
        channel: str,
        summary: str,
        received_at: datetime,
        full_text: str = "",
        reporter: ReporterIdentity | None = None,
        visitors: int = 1,
        handed_over_from: str | None = None,
        handover_reference: str | None = None,
        reported_persons: Iterable[Mapping[str, Any]] = (),
        categories: Iterable[str] = (),
        key_fields: Iterable[str] = (),
        keywords: Iterable[str] = (),
        conduct_period: str | None = None,
        conduct_date: date | None = None,
    ) -> Registration:
        """Register a report from any channel; returns the case id, number and code."""
        now = self.now()
        require_text(actor.username, "actor", MAX_NAME)
        self.references.require_organ(organ_code)
        # Only staff of the organ register its reports (the policy: the holder works a case).
        self.guard.organ(actor, Action.CHANGE, Object.CASE, organ_code)
        channel = parse(Channel, channel).value
        if received_at.tzinfo is None:
            raise _naive("received_at")
        if channel == Channel.UPPER_HANDOVER and handed_over_from is not None:
            self.references.require_upper(organ_code, handed_over_from)
        key_fields = list(key_fields)
        self.references.require_key_fields(key_fields)
        # Checked in full before a number is taken, so a refused report uses none up.
        description = ReportDescription.create(
            channel=channel,
            received_at=received_at,
            registered_at=now,
            summary=summary,
            full_text=full_text,
            real_name=reporter is not None,
            visitors=visitors,
            handed_over_from=handed_over_from,
            handover_reference=handover_reference,
            reported_persons=[ReportedPerson.from_dict(p) for p in reported_persons],
            categories=list(categories),
            key_fields=key_fields,
            keywords=list(keywords),
            conduct_period=self.references.conduct_period(conduct_period, conduct_date, now),
            conduct_date=conduct_date,
        )
        case_id = uuid4()
        receipt_code = (
            self.sealer.new_receipt_code()
            if reporter is not None or channel == Channel.WEB
            else None
        )
        receipt_hash = None if receipt_code is None else self.sealer.receipt_hash(receipt_code)
        year = now.astimezone(CHINA_TZ).year
        sealed = None if reporter is None else self.sealer.seal(reporter, case_id)
        if receipt_hash is not None:
            self.side.put_receipt(receipt_hash, case_id)
        register = partial(
            Petition.register,
            organ_code=organ_code,
            actor=actor.username,
            registered_at=now,
            description=description,
            sealed_reporter=sealed,
            receipt_code_hash=receipt_hash,
            case_id=case_id,
        )
        try:
            petition = self._register_numbered(organ_code, year, register)
        except NumberTaken:  # nothing was stored: again, with a number taken the old way
            petition = self._register_numbered(organ_code, year, register, fresh=True)
        number = petition.registration_number
        return Registration(case_id, number, receipt_code, substance_hint(petition))

    def _register_numbered(
        self, organ_code: str, year: int, register: Callable[..., Petition], fresh: bool = False
    ) -> Petition:
        """Number and store a registration: the number is taken in the transaction that
        stores it (services.intake.numbering), or refused with `NumberTaken`."""
        with self.numbers.number(organ_code, year, fresh=fresh) as n:
            petition = register(registration_number=registration_number(organ_code, year, n))
            self._save(petition)
        return petition

    # --- screening 甄别 ----------------------------------------------------------------

    def accept(self, case_id: UUID, report_type: str, *, actor: Actor) -> None:
        """In scope and substantive: accept for handling 受理."""
        self._change(
            case_id, actor, lambda p: p.accept(report_type, actor=actor.username, at=self.now())
        )

    def divert(self, case_id: UUID, department: str, explanation: str, *, actor: Actor) -> None:
        """Out of scope: divert, recording where the reporter was told to go 分流."""
        self._change(
            case_id,
            actor,
            lambda p: p.divert(department, explanation, actor=actor.username, at=self.now()),
        )

    def propose_not_accept(
        self, case_id: UUID, reason: str, *, actor: Actor, expected_version: int | None = None
    ) -> None:
        """A petition clerk proposes not to accept 不予受理 (no substance); a leader decides."""
        self._change(
            case_id,
            actor,
            lambda p: p.propose_not_accept(reason, actor=actor, at=self.now()),
            expected_version,
        )

    def approve_not_accept(
        self, case_id: UUID, *, actor: Actor, expected_version: int | None = None
    ) -> None:
        """A leader of the organ approves the proposal: not accepted."""
        self._change(
            case_id,
            actor,
            lambda p: p.approve_not_accept(actor=actor, at=self.now()),
            expected_version,
            Action.APPROVE,
        )

    def reject_not_accept(
        self, case_id: UUID, reason: str, *, actor: Actor, expected_version: int | None = None
    ) -> None:
        """A leader of the organ rejects the proposal; the petition is screened again."""
        self._change(
            case_id,
            actor,
            lambda p: p.reject_not_accept(reason, actor=actor, at=self.now()),
            expected_version,
            Action.APPROVE,
        )

    def link_as_repeat(
        self, case_id: UUID, first_case_id: UUID, reason: str, *, actor: Actor
    ) -> str:
        """Link a repeat report 重复举报 to its first case; returns the first case id."""
        petition = self._authorised(case_id, actor, Action.CHANGE, Object.CASE)
        first = self._get(first_case_id, code="first_case_unknown")
        linked = petition.link_as_repeat(first, reason, actor=actor.username, at=self.now())
        self._save(petition)
        return linked

    def verify_real_name(self, case_id: UUID, method: str, *, actor: Actor) -> None:
        """Record the real-name check 实名核实 (by phone or in person)."""
        self._change(
            case_id,
            actor,
            lambda p: p.verify_real_name(method, actor=actor.username, at=self.now()),
        )

    def notify_acceptance(
        self, case_id: UUID, method: str, notified_at: datetime | None, *, actor: Actor
    ) -> None:
        """Record that a real-name reporter was told, and how 受理告知."""
        now = self.now()
        if notified_at is not None and notified_at.tzinfo is None:
            raise _naive("notified_at")
        self._change(
            case_id,
            actor,
            lambda p: p.notify_acceptance(method, notified_at or now, actor=actor.username, at=now),
        )

    def note_handling_started(self, case_id: UUID, *, actor: Actor) -> bool:
        """The handling office has started (reported by routing); idempotent."""
        petition = self._authorised(case_id, actor, Action.CHANGE, Object.CASE)
        started = petition.note_handling_started(actor=actor.username, at=self.now())
        if started:
            self._save(petition)
        return started

    def publish_result(
        self, case_id: UUID, result_zh: str, result_en: str, *, actor: Actor
    ) -> None:
        """Concluded: record the result the reporter may be told 办结."""
        self._change(
            case_id,
            actor,
            lambda p: p.publish_result(result_zh, result_en, actor=actor.username, at=self.now()),
        )

    def handle_routing_event(self, envelope: Envelope, tracking_name: str) -> None:
        """Follow routing.events through `RoutingEventHandlers`' table.

        Exactly once in effect: the petition's new events and the tracking row are stored
        in one transaction, and an envelope at or below the tracked position is skipped.
        """
        if envelope.notification_id <= (self.tracked_position(tracking_name) or 0):
            return
        try:
            petition = aggregates.find(self, Petition, UUID(envelope.case_id))
        except ValueError:
            petition = None
        changed = self.routing_events.handle(envelope, petition)
        self.save_tracked(tracking_name, envelope.notification_id, *changed)

    # --- corrections 更正 --------------------------------------------------------------

    def correct(
        self,
        case_id: UUID,
        reason: str,
        changes: Mapping[str, Any],
        *,
        actor: Actor,
        reporter: ReporterIdentity | None = None,
        expected_version: int | None = None,
    ) -> list[str]:
        """Correct registration data; returns the fields that changed."""
        petition = self._authorised(case_id, actor, Action.CHANGE, Object.CASE)
        changes = dict(changes)
        if "reported_persons" in changes:
            changes["reported_persons"] = [
                ReportedPerson.from_dict(p) for p in changes["reported_persons"]
            ]
        if "key_fields" in changes:
            self.references.require_key_fields(changes["key_fields"])
        if "received_at" in changes and changes["received_at"].tzinfo is None:
            raise _naive("received_at")
        if "conduct_period" in changes or "conduct_date" in changes:
            changes["conduct_period"] = self.references.conduct_period(
                changes.get("conduct_period"), changes.get("conduct_date"), self.now()
            )
        sealed = None if reporter is None else self.sealer.seal(reporter, petition.id)
        if (
            sealed is not None
            and petition.sealed_reporter is not None
            and self.sealer.open(petition.sealed_reporter, petition.id) == reporter
        ):
            sealed = petition.sealed_reporter  # the same identity: not a change
        return aggregates.change(
            self,
            petition,
            lambda p: p.correct(
                reason, changes, actor=actor.username, at=self.now(), sealed_reporter=sealed
            ),
            expected_version,
        )

    # --- attachments 附件 --------------------------------------------------------------

    def add_attachment(
        self, case_id: UUID, source: BinaryIO, media_type: str, kind: str, *, actor: Actor
    ) -> StoredAttachment:
        """Store a file content-addressed and attach it; refused files leave nothing."""
        petition = self._authorised(case_id, actor, Action.CHANGE, Object.ATTACHMENT)
        if kind not in AttachmentKind.ALL:
            raise InvalidInput(
                "attachment_kind_unknown",
                "附件类型无效",
                "Unknown attachment kind",
                allowed=list(AttachmentKind.ALL),
            )
        stored = self.attachments.put(source, media_type)
        attachment = Attachment.create(stored.sha256, stored.size, stored.media_type, kind)
        added = petition.add_attachment(attachment, actor=actor.username, at=self.now())
        if added:
            self._save(petition)
        return StoredAttachment(**attachment.to_dict(), added=added)

    # --- helpers -----------------------------------------------------------------------

    def _get(self, case_id: UUID, code: str = "petition_unknown") -> Petition:
        return aggregates.get(self, Petition, case_id, _unknown(case_id, code))

    def scope_of(self, petition: Petition) -> CaseScope:
        """The registering organ and every organ routing said held the case or dispatched
        it to; the holder now is routing's last word, else the registering organ."""
        view = self.side.handling_of([petition.id]).get(str(petition.id), {})
        holders = self.side.holders_of(petition.id)
        holder = view.get("holder_organ") or petition.organ_code
        return CaseScope(str(petition.id), holder, held_by(petition.organ_code, holders, holder))

    def _authorised(
        self,
        case_id: UUID,
        actor: Actor,
        action: Action,
        obj: Object,
        *,
        purpose: str | None = None,
        record: bool = True,
    ) -> Petition:
        """Load the petition and apply the policy (404 out of scope, 403 forbidden)."""
        petition = self._get(case_id)
        proposal = petition.not_accept_proposal or {}
        self.guard.case(
            actor,
            action,
            obj,
            self.scope_of(petition),
            lambda: _unknown(case_id),
            proposed_by=proposal.get("proposed_by") if action is Action.APPROVE else None,
            purpose=purpose,
            record=record,
        )
        return petition

    def _change(
        self,
        case_id: UUID,
        actor: Actor,
        command: Callable[[Petition], Any],
        expected_version: int | None = None,
        action: Action = Action.CHANGE,
    ) -> None:
        petition = self._authorised(case_id, actor, action, Object.CASE)
        aggregates.change(self, petition, command, expected_version)

    def _save(self, petition: Petition) -> None:
        # The petition index is a projection (services.intake.index): its worker follows
        # the store, and every read of it catches it up first; a write does not wait.
        aggregates.save(self, petition)


def _unknown(case_id: UUID, code: str = "petition_unknown") -> NotFound:
    return NotFound(code, "信访件不存在", "No petition has this case id", case_id=str(case_id))


def _naive(field: str) -> InvalidInput:
    return InvalidInput(
        "datetime_without_timezone",
        "时间必须带时区",
        "A time must carry its time zone",
        field=field,
    )


__all__ = [
    "CHINA",
    "IntakeApplication",
    "Registration",
    "StoredAttachment",
    "public_progress",
    "substance_hint",
]
