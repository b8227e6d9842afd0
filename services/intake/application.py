"""Intake use cases 受理登记: register and screen every report, protect the reporter.

Each method is one use case; it returns ids or plain values, never an aggregate. Reporter
identity arrives as a `ReporterIdentity`, is sealed here (AES-GCM, bound to the case id)
and only the ciphertext reaches the aggregate. Nothing here logs identity.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, BinaryIO
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.contracts import Envelope
from domain.errors import Conflict, InvalidInput, NotFound
from domain.hierarchy import OrgTree
from domain.petition import (
    Attachment,
    AttachmentKind,
    Petition,
    ReportedPerson,
    ReporterIdentity,
    Stage,
    registration_number,
)
from domain.repeats import TextNormaliser
from domain.rules import Rules
from domain.substance import assess_substance
from domain.vocabulary import Channel, ConductPeriod, KeyFieldCatalogue, Outcome, parse
from infra.eventstore import ServiceApplication
from services.intake import repeats
from services.intake.attachments import AttachmentStore
from services.intake.sealing import SealedDataUnreadable, Sealer, check_receipt_code_form
from services.intake.sidestore import IndexBatch, MemorySideStore, PostgresSideStore, SideStore

# Registration years and dates follow Beijing time 北京时间 (no daylight saving).
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
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


class IntakeApplication(ServiceApplication):
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
    ) -> None:
        super().__init__("intake", database_url=database_url, schema=schema, env=env)
        self.sealer = sealer
        self.org_tree = org_tree
        self.attachments = attachments
        self.rules = rules or Rules.default()
        self.key_fields = key_fields or KeyFieldCatalogue.default()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.min_answer_seconds = min_answer_seconds
        # Names and units are compared after this normalisation; the composition root
        # injects the full traditional→simplified map, the default covers common words.
        self.normaliser = normaliser or TextNormaliser()
        self.side: SideStore = (
            MemorySideStore()
            if database_url is None
            else PostgresSideStore(self.datastore_connection)
        )

    # --- registration 登记 -------------------------------------------------------------

    def register(
        self,
        *,
        organ_code: str,
        actor: str,
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
        now = self.clock()
        self._require_organ(organ_code)
        channel = parse(Channel, channel).value
        if channel == Channel.UPPER_HANDOVER and handed_over_from is not None:
            self._require_upper(organ_code, handed_over_from)
        if received_at.tzinfo is None:
            raise _naive("received_at")
        persons = [ReportedPerson.from_dict(p) for p in reported_persons]
        key_fields = list(key_fields)
        self._require_key_fields(key_fields)
        period = self._conduct_period(conduct_period, conduct_date, now)
        case_id = uuid4()
        receipt_code = (
            self.sealer.new_receipt_code()
            if reporter is not None or channel == Channel.WEB
            else None
        )
        receipt_hash = None if receipt_code is None else self.sealer.receipt_hash(receipt_code)
        sealed = None if reporter is None else self.sealer.seal(reporter, case_id)
        # Validate everything the aggregate checks before taking a number, so that a
        # refused report does not use one up; a failure after this leaves a gap.
        draft = dict(
            organ_code=organ_code,
            actor=actor,
            channel=channel,
            received_at=received_at,
            registered_at=now,
            summary=summary,
            full_text=full_text,
            sealed_reporter=sealed,
            visitors=visitors,
            handed_over_from=handed_over_from,
            handover_reference=handover_reference,
            reported_persons=persons,
            categories=list(categories),
            key_fields=key_fields,
            keywords=list(keywords),
            conduct_period=period,
            conduct_date=conduct_date,
            receipt_code_hash=receipt_hash,
            case_id=case_id,
        )
        Petition.register(registration_number="-", **draft)  # type: ignore[arg-type]
        number = registration_number(
            organ_code,
            now.astimezone(CHINA).year,
            self.side.next_number(organ_code, now.astimezone(CHINA).year),
        )
        petition = Petition.register(registration_number=number, **draft)  # type: ignore[arg-type]
        if receipt_hash is not None:
            self.side.put_receipt(receipt_hash, case_id)
        self.save(petition)
        self._catch_up_index()
        return Registration(case_id, number, receipt_code, substance_hint(petition))

    # --- screening 甄别 ----------------------------------------------------------------

    def accept(self, case_id: UUID, report_type: str, *, actor: str) -> None:
        """In scope and substantive: accept for handling 受理."""
        self._change(case_id, lambda p: p.accept(report_type, actor=actor, at=self.clock()))

    def divert(self, case_id: UUID, department: str, explanation: str, *, actor: str) -> None:
        """Out of scope: divert, recording where the reporter was told to go 分流."""
        self._change(
            case_id, lambda p: p.divert(department, explanation, actor=actor, at=self.clock())
        )

    def refuse(self, case_id: UUID, reason: str, approved_by: str, *, actor: str) -> None:
        """No substance: not accepted 不予受理, with the approving leader."""
        self._change(case_id, lambda p: p.refuse(reason, approved_by, actor=actor, at=self.clock()))

    def link_as_repeat(self, case_id: UUID, first_case_id: UUID, reason: str, *, actor: str) -> str:
        """Link a repeat report 重复举报 to its first case; returns the first case id."""
        petition = self._get(case_id)
        first = self._get(first_case_id, code="first_case_unknown")
        linked = petition.link_as_repeat(first, reason, actor=actor, at=self.clock())
        self._save(petition)
        return linked

    def repeat_candidates(self, case_id: UUID) -> list[repeats.Candidate]:
        """Earlier cases this one may repeat, from the matching rules, best first."""
        self._get(case_id)
        self._catch_up_index()
        with self.side.index_batch() as batch:
            row = batch.get(str(case_id))
        if row is None:  # pragma: no cover - the index caught up above
            return []
        prefix = row["organ_code"]
        return repeats.candidates(
            row, self.side.index_rows(prefix), self.rules.repeat_min_score, self.normaliser
        )

    def verify_real_name(self, case_id: UUID, method: str, *, actor: str) -> None:
        """Record the real-name check 实名核实 (by phone or in person)."""
        self._change(case_id, lambda p: p.verify_real_name(method, actor=actor, at=self.clock()))

    def notify_acceptance(
        self, case_id: UUID, method: str, notified_at: datetime | None, *, actor: str
    ) -> None:
        """Record that a real-name reporter was told, and how 受理告知."""
        now = self.clock()
        if notified_at is not None and notified_at.tzinfo is None:
            raise _naive("notified_at")
        self._change(
            case_id,
            lambda p: p.notify_acceptance(method, notified_at or now, actor=actor, at=now),
        )

    def note_handling_started(self, case_id: UUID, *, actor: str) -> bool:
        """The handling office has started (reported by routing); idempotent."""
        petition = self._get(case_id)
        started = petition.note_handling_started(actor=actor, at=self.clock())
        if started:
            self._save(petition)
        return started

    def publish_result(self, case_id: UUID, result_zh: str, result_en: str, *, actor: str) -> None:
        """Concluded: record the result the reporter may be told 办结."""
        self._change(
            case_id, lambda p: p.publish_result(result_zh, result_en, actor=actor, at=self.clock())
        )

    def handle_routing_event(self, envelope: Envelope, tracking_name: str) -> None:
        """Follow routing.events: handling started, and the outcome a reporter may see.

        Exactly once in effect: the petition's new events and the tracking row are stored
        in one transaction, and an envelope at or below the tracked position is skipped.
        """
        if envelope.notification_id <= (self.tracked_position(tracking_name) or 0):
            return
        changed: list[Petition] = []
        try:
            petition = self._get(UUID(envelope.case_id))
        except (NotFound, ValueError):
            petition = None
        at, actor = self.clock(), envelope.actor or "routing"
        stage = None if petition is None else petition.stage
        if envelope.type == "Handling.Opened" and stage == Stage.ACCEPTED:
            assert petition is not None
            petition.note_handling_started(actor=actor, at=at)
            changed.append(petition)
        elif envelope.type == "Handling.Concluded" and stage in _HANDLED_STAGES:
            assert petition is not None
            zh, en = _public_outcome(str(envelope.payload.get("outcome", "")))
            petition.publish_result(zh, en, actor=actor, at=at)
            changed.append(petition)
        self.save_tracked(tracking_name, envelope.notification_id, *changed)
        if changed:
            self._catch_up_index()

    # --- corrections 更正 --------------------------------------------------------------

    def correct(
        self,
        case_id: UUID,
        reason: str,
        changes: Mapping[str, Any],
        *,
        actor: str,
        reporter: ReporterIdentity | None = None,
    ) -> list[str]:
        """Correct registration data; returns the fields that changed."""
        petition = self._get(case_id)
        changes = dict(changes)
        if "reported_persons" in changes:
            changes["reported_persons"] = [
                ReportedPerson.from_dict(p) for p in changes["reported_persons"]
            ]
        if "key_fields" in changes:
            self._require_key_fields(changes["key_fields"])
        if "received_at" in changes and changes["received_at"].tzinfo is None:
            raise _naive("received_at")
        if "conduct_date" in changes and "conduct_period" not in changes:
            changes["conduct_period"] = self._conduct_period(
                None, changes["conduct_date"], self.clock()
            )
        elif "conduct_period" in changes or "conduct_date" in changes:
            changes["conduct_period"] = self._conduct_period(
                changes["conduct_period"], changes.get("conduct_date"), self.clock()
            )
        sealed = None if reporter is None else self.sealer.seal(reporter, petition.id)
        if (
            sealed is not None
            and petition.sealed_reporter is not None
            and self.sealer.open(petition.sealed_reporter, petition.id) == reporter
        ):
            sealed = petition.sealed_reporter  # the same identity: not a change
        changed = petition.correct(
            reason, changes, actor=actor, at=self.clock(), sealed_reporter=sealed
        )
        self._save(petition)
        return changed

    # --- attachments 附件 --------------------------------------------------------------

    def add_attachment(
        self, case_id: UUID, source: BinaryIO, media_type: str, kind: str, *, actor: str
    ) -> StoredAttachment:
        """Store a file content-addressed and attach it; refused files leave nothing."""
        petition = self._get(case_id)
        if kind not in AttachmentKind.ALL:
            raise InvalidInput(
                "attachment_kind_unknown",
                "附件类型无效",
                "Unknown attachment kind",
                allowed=list(AttachmentKind.ALL),
            )
        stored = self.attachments.put(source, media_type)
        attachment = Attachment.create(stored.sha256, stored.size, stored.media_type, kind)
        added = petition.add_attachment(attachment, actor=actor, at=self.clock())
        if added:
            self._save(petition)
        return StoredAttachment(**attachment.to_dict(), added=added)

    def open_attachment(self, case_id: UUID, sha256: str) -> tuple[BinaryIO, str]:
        """The content and type of an attachment of this case."""
        petition = self._get(case_id)
        for attachment in petition.attachments:
            if attachment["sha256"] == sha256:
                return self.attachments.open(sha256), attachment["media_type"]
        raise NotFound("attachment_unknown", "附件不存在", "No such attachment")

    # --- reading 查询 ------------------------------------------------------------------

    def petition(self, case_id: UUID) -> dict[str, Any]:
        """The case as staff see it, without the reporter's identity."""
        p = self._get(case_id)
        return {
            "case_id": str(p.id),
            "organ_code": p.organ_code,
            "registration_number": p.registration_number,
            "channel": p.channel,
            "received_at": p.received_at,
            "registered_at": p.registered_at,
            "registered_by": p.registered_by,
            "real_name": p.real_name,
            "real_name_check": p.real_name_check,
            "visitors": p.visitors,
            "handed_over_from": p.handed_over_from,
            "handover_reference": p.handover_reference,
            "summary": p.summary,
            "full_text": p.full_text,
            "reported_persons": p.reported_persons,
            "categories": p.categories,
            "key_fields": p.key_fields,
            "keywords": p.keywords,
            "conduct_period": p.conduct_period,
            "conduct_date": p.conduct_date,
            "attachments": p.attachments,
            "stage": p.stage,
            "report_type": p.report_type,
            "screened_by": p.screened_by,
            "screened_at": p.screened_at,
            "diverted_to": p.diverted_to,
            "explanation": p.explanation,
            "not_accepted_reason": p.not_accepted_reason,
            "approved_by": p.approved_by,
            "first_case_id": p.first_case_id,
            "acceptance_notified": p.notified,
            "corrections": p.corrections,
            "version": p.version,
            "substance_hint": substance_hint(p),
        }

    def reveal_reporter(self, case_id: UUID, purpose: str, *, actor: str) -> ReporterIdentity:
        """Open the sealed identity for the petition office; the read is recorded."""
        petition = self._get(case_id)
        sealed = petition.record_reveal(purpose, actor=actor, at=self.clock())
        try:
            identity = self.sealer.open(sealed, petition.id)
        except SealedDataUnreadable:
            raise Conflict(
                "reporter_identity_unreadable",
                "举报人身份无法解密(密钥不符)",
                "The reporter's identity cannot be opened with the configured key",
            ) from None
        self._save(petition)
        return identity

    def progress(self, receipt_code: str) -> dict[str, Any]:
        """What a reporter may see, by receipt code; takes the same time for any code."""
        started = time.monotonic()
        try:
            return self._progress(receipt_code)
        finally:
            remaining = self.min_answer_seconds - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)

    def _progress(self, receipt_code: str) -> dict[str, Any]:
        check_receipt_code_form(receipt_code)
        wanted = self.sealer.receipt_hash(receipt_code)
        found = self.side.find_receipt(wanted)
        stored, case_id = found if found is not None else ("0" * 64, None)
        petition: Petition | None = None
        if hmac.compare_digest(stored, wanted) and case_id is not None:
            try:
                petition = self.repository.get(case_id)
            except AggregateNotFoundError:  # the code was stored, the case never saved
                petition = None
        if not isinstance(petition, Petition) or petition.receipt_code_hash != wanted:
            raise NotFound(
                "receipt_code_unknown",
                "查询码不存在,请核对后重试",
                "No report has this receipt code; please check it",
            )
        return public_progress(petition)

    # --- helpers -----------------------------------------------------------------------

    def _get(self, case_id: UUID, code: str = "petition_unknown") -> Petition:
        petition: Petition | None
        try:
            petition = self.repository.get(case_id)
        except AggregateNotFoundError:
            petition = None
        if not isinstance(petition, Petition):
            raise NotFound(
                code, "信访件不存在", "No petition has this case id", case_id=str(case_id)
            )
        return petition

    def _change(self, case_id: UUID, command: Callable[[Petition], Any]) -> None:
        petition = self._get(case_id)
        command(petition)
        self._save(petition)

    def _save(self, petition: Petition) -> None:
        self.save(petition)
        self._catch_up_index()

    def _require_organ(self, organ_code: str) -> None:
        if organ_code not in self.org_tree:
            raise InvalidInput(
                "organ_unknown",
                "机关代码不存在",
                "No organ has this code",
                organ=organ_code[:50],
            )

    def _require_upper(self, organ_code: str, source: str) -> None:
        if source not in {o.code for o in self.org_tree.ancestors(organ_code)}:
            raise InvalidInput(
                "handover_source_not_upper",
                "上级转交办件的来源必须是本机关的上级机关代码",
                "An upper hand-over must come from an organ above this one",
                field="handed_over_from",
            )

    def _require_key_fields(self, codes: Iterable[str]) -> None:
        unknown = [c for c in codes if c not in self.key_fields]
        if unknown:
            raise InvalidInput(
                "key_field_unknown",
                "重点领域不在目录中",
                "A key field is not in the catalogue",
                key_fields=unknown[:10],
                allowed=self.key_fields.codes(),
            )

    def _conduct_period(self, period: str | None, when: date | None, now: datetime) -> str:
        if when is None:
            return parse(ConductPeriod, period or ConductPeriod.UNKNOWN.value).value
        if when > now.astimezone(CHINA).date():
            raise InvalidInput(
                "conduct_date_in_future",
                "问题发生时间不能晚于今天",
                "The conduct cannot have happened in the future",
                field="conduct_date",
            )
        derived = self.rules.conduct_period(when).value
        if period is not None and parse(ConductPeriod, period).value != derived:
            raise InvalidInput(
                "conduct_period_contradicts_date",
                "问题发生时段与发生日期不符",
                "The conduct period contradicts the conduct date",
                field="conduct_period",
                cutoff=self.rules.conduct_cutoff.isoformat(),
            )
        return derived

    # --- the index for repeat candidates ----------------------------------------------

    def _catch_up_index(self) -> None:
        """Bring the petition index up to the event store (exactly once per event)."""
        while True:
            with self.side.index_batch() as batch:
                notifications = self.recorder.select_notifications(
                    start=batch.position + 1, limit=500
                )
                for notification in notifications:
                    _index(batch, self.mapper.to_domain_event(notification))
                    batch.position = notification.id
            if len(notifications) < 500:
                return


def _index(batch: IndexBatch, event: Any) -> None:
    name = type(event).__name__
    case_id = str(event.originator_id)
    data: dict[str, Any] = vars(event)
    if name == "Registered":
        batch.put(
            {
                "case_id": case_id,
                "organ_code": data["organ_code"],
                "registration_number": data["registration_number"],
                "registered_at": data["registered_at"].astimezone(UTC).isoformat(),
                "stage": Stage.RECEIVED,
                "summary": data["summary"],
                "persons": _persons(data["reported_persons"]),
                "categories": data["categories"],
                "first_case_id": None,
            }
        )
        return
    row = batch.get(case_id)
    if row is None:  # pragma: no cover - events of other aggregates
        return
    stages = {
        "Accepted": Stage.ACCEPTED,
        "Diverted": Stage.DIVERTED,
        "NotAccepted": Stage.NOT_ACCEPTED,
        "LinkedAsRepeat": Stage.REPEAT,
        "HandlingStarted": Stage.IN_HANDLING,
        "ResultPublished": Stage.CONCLUDED,
    }
    if name in stages:
        row["stage"] = stages[name]
        row["first_case_id"] = data.get("first_case_id")
    elif name == "Corrected":
        changes = data["changes"]
        if "reported_persons" in changes:
            row["persons"] = _persons(changes["reported_persons"])
        for key in ("summary", "categories"):
            if key in changes:
                row[key] = changes[key]
    else:
        return
    batch.put(row)


def _persons(persons: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"name": p["name"], "unit": p.get("unit") or ""} for p in persons]


def substance_hint(petition: Petition) -> dict[str, Any] | None:
    """The clerk's hint when the report names a person or an act but no fact; else None.

    From `domain.substance` over the summary and full text as currently recorded; a hint
    only, it never blocks registration or screening.
    """
    text = "\n".join(t for t in (petition.summary, petition.full_text) if t)
    names = [p["name"] for p in petition.reported_persons if p.get("name")]
    assessment = assess_substance(text, names)
    if not assessment.flagged or assessment.hint_zh is None or assessment.hint_en is None:
        return None
    return {
        "message_zh": assessment.hint_zh,
        "message_en": assessment.hint_en,
        "missing": [kind.value for kind in assessment.missing],
    }


# --- what a reporter may see 举报人可见的进度 ----------------------------------------------

_STAGE_TEXT = {
    Stage.RECEIVED: ("已收到,正在甄别", "Received and being screened"),
    Stage.ACCEPTED: ("已受理", "Accepted for handling"),
    Stage.DIVERTED: (
        "不属于纪检监察机关受理范围,已告知向有关部门反映",
        "Outside the commission's scope; please turn to the department named",
    ),
    Stage.NOT_ACCEPTED: ("不予受理", "Not accepted"),
    Stage.REPEAT: (
        "已受理,与此前反映的同一问题合并办理",
        "Accepted and handled together with an earlier report of the same matter",
    ),
    Stage.IN_HANDLING: ("正在办理", "Being handled"),
    Stage.CONCLUDED: ("已办结", "Concluded"),
}


def public_progress(petition: Petition) -> dict[str, Any]:
    """Only what a reporter may see: stage, where to go, why not, the public result."""
    stage = petition.stage
    zh, en = _STAGE_TEXT[stage]
    answer: dict[str, Any] = {
        "stage": stage,
        "message_zh": zh,
        "message_en": en,
        "received_on": petition.received_at.astimezone(CHINA).date().isoformat(),
        "diverted_to": None,
        "explanation": None,
        "reason": None,
        "result_zh": None,
        "result_en": None,
    }
    if stage == Stage.DIVERTED:
        answer.update(diverted_to=petition.diverted_to, explanation=petition.explanation)
    elif stage == Stage.NOT_ACCEPTED:
        answer["reason"] = petition.not_accepted_reason
    elif stage == Stage.CONCLUDED:
        answer.update(result_zh=petition.public_result_zh, result_en=petition.public_result_en)
    return answer


_HANDLED_STAGES = (Stage.ACCEPTED, Stage.IN_HANDLING, Stage.CONCLUDED)


def _public_outcome(code: str) -> tuple[str, str]:
    """The result a reporter is told: the outcome's label, never the findings."""
    try:
        outcome = Outcome(code)
    except ValueError:
        return "已办结", "Concluded"
    return f"已办结:{outcome.label_zh}", f"Concluded: {outcome.label_en}"


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
