"""Integration events: the versioned envelope that crosses Kafka, and its hash chain.

Every event a service stores is published on `<service>.events` as one `Envelope`, keyed
by its case id. Within a topic, the envelopes of one case form a chain: each carries the
hash of the previous envelope of the same case (`prev_hash`) and its own `hash`, so a
consumer or an auditor can tell a missing, reordered or altered event.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from domain.errors import InvalidInput

SCHEMA_VERSION = 1
GENESIS_HASH = "0" * 64
_EVENT_ID_NAMESPACE = uuid.UUID("6f1d1b1e-4d0e-4c57-9a43-62c0baf0a11d")

SERVICES = ("intake", "routing", "supervision", "stats")


def topic_for(service: str) -> str:
    """The topic a service publishes its events on."""
    return f"{service}.events"


def event_id_for(source: str, case_id: str, sequence: int) -> str:
    """A deterministic event id, so that a republished event keeps its identity."""
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{source}/{case_id}/{sequence}"))


def canonical_json(value: Any) -> bytes:
    """Stable bytes for hashing: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Envelope:
    """One integration event as it crosses the broker."""

    event_id: str
    type: str
    case_id: str
    sequence: int
    organ_code: str
    actor: str
    occurred_at: str
    source: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    prev_hash: str = GENESIS_HASH
    hash: str = ""
    # The upstream store's notification id: what consumers track. Not hashed, because
    # it says where the event sits in one store, not what happened to the case.
    notification_id: int = 0

    def _fields(self) -> dict[str, Any]:
        # A shallow copy: `asdict` deep-copies the payload, which the JSON encoder only
        # reads (same bytes, a fraction of the CPU; every relay and consumer hashes each
        # record).
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["payload"] = dict(self.payload)
        return data

    def hashed_fields(self) -> dict[str, Any]:
        data = self._fields()
        data.pop("hash")
        data.pop("notification_id")
        return data

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.hashed_fields())).hexdigest()

    def sealed(self, prev_hash: str) -> Envelope:
        """This envelope chained after `prev_hash`, with its own hash filled in."""
        chained = replace(self, prev_hash=prev_hash, hash="")
        return replace(chained, hash=chained.compute_hash())

    def to_json(self) -> bytes:
        return canonical_json(self._fields())

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        """Parse, upcast older schema versions, and refuse unknown ones loudly."""
        try:
            data = json.loads(raw)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                "envelope_malformed", "集成事件格式错误", "The integration event is not valid JSON"
            ) from exc
        if not isinstance(data, dict):
            raise InvalidInput(
                "envelope_malformed", "集成事件格式错误", "The integration event is not an object"
            )
        version = data.get("schema_version")
        while version in UPCASTERS:
            data = UPCASTERS[version](data)
            version = data["schema_version"]
        if version != SCHEMA_VERSION:
            raise InvalidInput(
                "envelope_unknown_version",
                f"未知的集成事件版本：{version}",
                f"Unknown integration event schema version: {version}",
                schema_version=version,
            )
        try:
            return cls(**data)
        except TypeError as exc:
            raise InvalidInput(
                "envelope_malformed", "集成事件字段不符", "The integration event has wrong fields"
            ) from exc


_FIELD_NAMES = tuple(f.name for f in fields(Envelope))

# version -> function returning the data at the next version. Empty while only v1 exists;
# the loop in `from_json` is where an old event is lifted when v2 arrives.
UPCASTERS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def first_broken_link(envelopes: Iterable[Envelope]) -> int | None:
    """Index of the first envelope whose chain does not hold (per case), or None."""
    heads: dict[str, tuple[int, str]] = {}
    for index, envelope in enumerate(envelopes):
        last_sequence, last_hash = heads.get(envelope.case_id, (0, GENESIS_HASH))
        if (
            envelope.prev_hash != last_hash
            or envelope.hash != envelope.compute_hash()
            or envelope.sequence != last_sequence + 1
        ):
            return index
        heads[envelope.case_id] = (envelope.sequence, envelope.hash)
    return None


# --- The published event types ------------------------------------------------------
#
# Every event type a service publishes, with the payload fields a consumer may rely on
# and the schema version of its envelope. Services name event types only through these
# constants (never as string literals) and consumers dispatch through `{type: handler}`
# tables keyed by them. `tests/unit/test_contracts.py` checks the aggregates against this
# catalogue, so a renamed field or a new event type cannot slip past it.
#
# `organ_code` and `actor` travel on the envelope and in every payload; the library's own
# bookkeeping (`originator_topic`, `originator_id_type`) and sealed identity never count.


@dataclass(frozen=True)
class EventContract:
    """One published event type: its name on the topic, its payload and its version."""

    type: str
    topic: str
    fields: frozenset[str]
    schema_version: int = SCHEMA_VERSION


class PetitionEvents:
    """Event types of the `Petition` aggregate, published by intake on `intake.events`."""

    REGISTERED = "Petition.Registered"
    ATTACHMENT_ADDED = "Petition.AttachmentAdded"
    ACCEPTED = "Petition.Accepted"
    DIVERTED = "Petition.Diverted"
    NOT_ACCEPT_PROPOSED = "Petition.NotAcceptProposed"
    NOT_ACCEPTED = "Petition.NotAccepted"
    NOT_ACCEPT_REJECTED = "Petition.NotAcceptRejected"
    LINKED_AS_REPEAT = "Petition.LinkedAsRepeat"
    REAL_NAME_VERIFIED = "Petition.RealNameVerified"
    REPORTER_REVEALED = "Petition.ReporterRevealed"
    ACCEPTANCE_NOTIFIED = "Petition.AcceptanceNotified"
    HANDLING_STARTED = "Petition.HandlingStarted"
    HANDLING_RESUMED = "Petition.HandlingResumed"
    RESULT_PUBLISHED = "Petition.ResultPublished"
    CORRECTED = "Petition.Corrected"


class HandlingEvents:
    """Event types of the `Handling` aggregate, published by routing on `routing.events`."""

    OPENED = "Handling.Opened"
    TRANSFER_PROPOSED = "Handling.TransferProposed"
    TRANSFER_APPROVED = "Handling.TransferApproved"
    TRANSFER_DISPATCHED = "Handling.TransferDispatched"
    TRANSFER_WITHDRAWN = "Handling.TransferWithdrawn"
    TRANSFER_RECEIVED = "Handling.TransferReceived"
    TRANSFER_REFUSED = "Handling.TransferRefused"
    DISPOSAL_DECIDED = "Handling.DisposalDecided"
    CONCLUDED = "Handling.Concluded"
    REPORTED_BACK = "Handling.ReportedBack"
    RESULT_ACCEPTED = "Handling.ResultAccepted"
    SENT_BACK = "Handling.SentBack"
    FEEDBACK_GIVEN = "Handling.FeedbackGiven"
    FIVE_IN_PLACE_CONFIRMED = "Handling.FiveInPlaceConfirmed"
    ARCHIVED = "Handling.Archived"
    REPEAT_LINKED = "Handling.RepeatLinked"


class SupervisionEvents:
    """Event types of supervision's aggregates, published on `supervision.events`.

    The envelope's `case_id` is the aggregate's own (derived) id; the case a deadline,
    order or loop belongs to is the `case_id` of its opening event.
    """

    DEADLINE_OPENED = "CaseDeadline.Opened"
    DEADLINE_MET = "CaseDeadline.Met"
    DEADLINE_CANCELLED = "CaseDeadline.Cancelled"
    DEADLINE_WARNED = "CaseDeadline.Warned"
    DEADLINE_RECOMPUTED = "CaseDeadline.Recomputed"
    DEADLINE_REBASED = "CaseDeadline.Rebased"
    DEADLINE_EXTENDED = "CaseDeadline.Extended"
    DEADLINE_SUSPENDED = "CaseDeadline.Suspended"
    DEADLINE_RESUMED = "CaseDeadline.Resumed"
    ORDER_DRAFTED = "SupervisionOrder.Drafted"
    ORDER_APPROVED = "SupervisionOrder.Approved"
    ORDER_RECOMPUTED = "SupervisionOrder.Recomputed"
    ORDER_ACKNOWLEDGED = "SupervisionOrder.Acknowledged"
    ORDER_PROGRESS_REPORTED = "SupervisionOrder.ProgressReported"
    ORDER_REMINDED = "SupervisionOrder.Reminded"
    ORDER_CLOSED = "SupervisionOrder.Closed"
    ORDER_ESCALATED = "SupervisionOrder.Escalated"
    EVALUATION_DRAWN = "MonthlyEvaluation.Drawn"
    EVALUATION_SCORED = "MonthlyEvaluation.Scored"
    RECTIFICATION_SUBMITTED = "MonthlyEvaluation.RectificationSubmitted"
    RECTIFICATION_ACCEPTED = "MonthlyEvaluation.RectificationAccepted"
    RECTIFICATION_REJECTED = "MonthlyEvaluation.RectificationRejected"
    ITEM_ESCALATED = "MonthlyEvaluation.ItemEscalated"
    LOOP_OPENED = "KeyFieldLoop.Opened"
    LOOP_FED_BACK = "KeyFieldLoop.FedBack"
    LOOP_HOLDER_MOVED = "KeyFieldLoop.HolderMoved"
    LOOP_CLOSED = "KeyFieldLoop.Closed"
    LOOP_CANCELLED = "KeyFieldLoop.Cancelled"
    CASE_OPENED = "SupervisedCase.Opened"
    CASE_REGISTRATION_NOTED = "SupervisedCase.RegistrationNoted"
    CASE_TRANSFER_NOTED = "SupervisedCase.TransferNoted"
    CASE_HOLDER_CHANGED = "SupervisedCase.HolderChanged"
    CASE_CONCLUSION_NOTED = "SupervisedCase.ConclusionNoted"
    CALENDAR_STARTED = "PublishedYears.Started"
    CALENDAR_YEAR_PUBLISHED = "PublishedYears.YearPublished"


def _contracts(topic: str, declared: Mapping[str, Iterable[str]]) -> dict[str, EventContract]:
    common = {"organ_code", "actor"}
    return {
        name: EventContract(name, topic, frozenset(common | set(fields)))
        for name, fields in declared.items()
    }


_P = PetitionEvents
_H = HandlingEvents
_S = SupervisionEvents
_CALENDAR = ("due", "provisional", "calendar_version")

PUBLISHED: dict[str, EventContract] = {
    **_contracts(
        topic_for("intake"),
        {
            _P.REGISTERED: [
                "registration_number",
                "registered_at",
                "received_at",
                "channel",
                "visitors",
                "handed_over_from",
                "handover_reference",
                "real_name",
                "receipt_code_hash",
                "reported_persons",
                "categories",
                "conduct_period",
                "conduct_date",
                "key_fields",
                "summary",
                "full_text",
                "keywords",
                "attachments",
                # Only on reports brought in by the history import (docs/import.md).
                "imported",
                "source_id",
            ],
            _P.ATTACHMENT_ADDED: ("attachment", "added_at"),
            _P.ACCEPTED: ("report_type", "reported_persons", "decided_at"),
            _P.DIVERTED: ("department", "explanation", "decided_at"),
            _P.NOT_ACCEPT_PROPOSED: ("reason", "proposed_at"),
            # `proposed_by` is absent from events stored before the leader's step.
            _P.NOT_ACCEPTED: ("reason", "proposed_by", "approved_by", "decided_at"),
            _P.NOT_ACCEPT_REJECTED: ("reason", "rejected_at"),
            _P.LINKED_AS_REPEAT: ("first_case_id", "reason", "decided_at"),
            _P.REAL_NAME_VERIFIED: ("method", "verified_at"),
            _P.REPORTER_REVEALED: ("purpose", "revealed_at"),
            _P.ACCEPTANCE_NOTIFIED: ("method", "outcome", "notified_at"),
            _P.HANDLING_STARTED: ("started_at",),
            _P.HANDLING_RESUMED: ("reason", "resumed_at"),
            _P.RESULT_PUBLISHED: ("public_result_zh", "public_result_en", "concluded_at"),
            _P.CORRECTED: ("reason", "changed_fields", "changes", "corrected_at"),
        },
    ),
    **_contracts(
        topic_for("routing"),
        {
            _H.OPENED: ("report_type", "reported_persons", "at"),
            _H.TRANSFER_PROPOSED: [
                "transfer_id",
                "kind",
                "from_organ",
                "from_office",
                "to_organ",
                "to_office",
                "external_body",
                "reason",
                # Always null now: supervision computes a supervised transfer's deadline.
                # Older events carry a date the client typed, which consumers ignore.
                "deadline",
                "suggestion",
                "at",
            ],
            _H.TRANSFER_APPROVED: ("transfer_id", "at"),
            _H.TRANSFER_DISPATCHED: ("transfer_id", "notified_offices", "at"),
            _H.TRANSFER_WITHDRAWN: ("transfer_id", "reason", "at"),
            # The new holder (none after a hand-over outward).
            _H.TRANSFER_RECEIVED: (
                "transfer_id",
                "received_by",
                "holder_organ",
                "holder_office",
                "at",
            ),
            _H.TRANSFER_REFUSED: ("transfer_id", "reason", "at"),
            _H.DISPOSAL_DECIDED: ("mode", "reason", "at"),
            # report_back_required: assigned down 交办 / supervised down 督办, so the result
            # is final only once reported back and accepted.
            _H.CONCLUDED: ("outcome", "substantiation", "findings", "report_back_required", "at"),
            _H.REPORTED_BACK: ("summary", "to_organ", "to_office", "at"),
            # report_back_required: the reviewer's own organ still reports it back further up.
            _H.RESULT_ACCEPTED: ("reason", "report_back_required", "at"),
            # Who holds the case after the send-back: the office that reported it back.
            _H.SENT_BACK: ("reason", "holder_organ", "holder_office", "at"),
            _H.FEEDBACK_GIVEN: ("method", "content", "satisfaction", "at"),
            _H.FIVE_IN_PLACE_CONFIRMED: ("items", "at"),
            _H.ARCHIVED: ("at",),
            _H.REPEAT_LINKED: ("repeat_case_id", "holder_organ", "holder_office", "at"),
        },
    ),
    **_contracts(
        topic_for("supervision"),
        {
            _S.DEADLINE_OPENED: ("case_id", "kind", "ref", "responsible_organ", "start",
                                 "working_days", "rules_version", "subject", "at", *_CALENDAR),
            _S.DEADLINE_MET: ("met_on", "days_late", "at"),
            _S.DEADLINE_CANCELLED: ("reason", "at"),
            _S.DEADLINE_WARNED: ("level", "on", "due", "at"),
            _S.DEADLINE_RECOMPUTED: ("previous_due", "at", *_CALENDAR),
            _S.DEADLINE_REBASED: ("start", "reason", "at", *_CALENDAR),
            _S.DEADLINE_EXTENDED: ("days", "reason", "approved_by", "at", *_CALENDAR),
            _S.DEADLINE_SUSPENDED: ("on", "reason", "at"),
            _S.DEADLINE_RESUMED: ("on", "working_days", "at", *_CALENDAR),
            _S.ORDER_DRAFTED: ("case_id", "issuer_organ", "issuer_office", "holder_organ",
                               "holder_office", "level", "requirements", "working_days",
                               "transfer_id", "at"),
            _S.ORDER_APPROVED: ("approved_by", "start", "rules_version", "at", *_CALENDAR),
            _S.ORDER_RECOMPUTED: ("previous_due", "at", *_CALENDAR),
            _S.ORDER_ACKNOWLEDGED: ("at",),
            _S.ORDER_PROGRESS_REPORTED: ("note", "at"),
            _S.ORDER_REMINDED: ("note", "automatic", "at"),
            _S.ORDER_CLOSED: ("reason", "at"),
            _S.ORDER_ESCALATED: ("reason", "at"),
            _S.EVALUATION_DRAWN: ("evaluator_organ", "month", "organs", "seed", "size",
                                  "population", "sample", "sheet_version", "at"),
            _S.EVALUATION_SCORED: ("case_id", "lost", "score", "grade", "items",
                                   "rules_version", "at"),
            _S.RECTIFICATION_SUBMITTED: ("item_id", "evidence", "at"),
            _S.RECTIFICATION_ACCEPTED: ("item_id", "at"),
            _S.RECTIFICATION_REJECTED: ("item_id", "reason", "at"),
            _S.ITEM_ESCALATED: ("item_id", "on", "at"),
            _S.LOOP_OPENED: ("case_id", "key_field", "holder_organ", "opened_on",
                             "closure_due", "at"),
            _S.LOOP_FED_BACK: ("month", "note", "at"),
            _S.LOOP_HOLDER_MOVED: ("holder_organ", "at"),
            _S.LOOP_CLOSED: ("closed_on", "at"),
            _S.LOOP_CANCELLED: ("reason", "at"),
            _S.CASE_OPENED: ("case_id", "registered_organ", "at", "received_on", "real_name",
                             "key_fields"),
            _S.CASE_REGISTRATION_NOTED: ("received_on", "real_name", "key_fields", "at"),
            _S.CASE_TRANSFER_NOTED: ("transfer_id", "kind", "from_organ", "to_organ",
                                     "to_office", "at"),
            _S.CASE_HOLDER_CHANGED: ("holder_organ", "holder_office", "via", "at"),
            _S.CASE_CONCLUSION_NOTED: ("concluded_by", "concluded_on", "first", "at"),
            _S.CALENDAR_STARTED: ("at",),
            _S.CALENDAR_YEAR_PUBLISHED: ("year", "holidays", "workdays", "source", "at"),
        },
    ),
}


def contract_of(event_type: str) -> EventContract | None:
    """The declared contract of a published event type, or None for an unknown one."""
    return PUBLISHED.get(event_type)
