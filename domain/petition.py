"""The petition aggregate 信访件: one report, from registration through screening.

Intake owns `Petition`; its id is the case id every other service keys on. The aggregate
records what came in (编号登记) and how the petition office screened it (甄别): accepted
for handling, diverted out of scope, not accepted for lack of substance, or linked to an
earlier case as a repeat. It also records the real-name check, the acceptance
notification to a real-name reporter, and what the reporter may be told about progress.

Confidentiality 保密: the reporter's identity never enters this module in clear. The
application validates it here (`ReporterIdentity`), seals it with AES-GCM and passes
only the ciphertext, which lives in event attributes named `sealed_*` that the relay
drops before anything reaches Kafka. Error messages and details never carry identity.

Corrections never edit history: `Corrected` carries the reason and the changed fields.
Every event carries `organ_code` (where it happened) and `actor` (the staff member).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, InvalidInput
from domain.vocabulary import (
    CadreLevel,
    Channel,
    ConductPeriod,
    NotificationMethod,
    ProblemCategory,
    RealNameCheck,
    ReportType,
    parse,
)

__all__ = [
    "MAX_SUMMARY",
    "MAX_FULL_TEXT",
    "MAX_PERSONS",
    "MAX_KEYWORDS",
    "MAX_VISITORS",
    "Attachment",
    "AttachmentKind",
    "Petition",
    "ReportedPerson",
    "ReporterIdentity",
    "Stage",
    "check_id_card_number",
    "registration_number",
]

MAX_SUMMARY = 500
MAX_FULL_TEXT = 100_000
MAX_PERSONS = 50
MAX_KEYWORDS = 20
MAX_KEYWORD = 30
MAX_NAME = 50
MAX_TEXT = 200
MAX_VISITORS = 10_000
MAX_ATTACHMENTS = 100

# GB 11643-1999 citizen identity number: 17 digits and a check character.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"^[1-9]\d{16}[\dX]$")
_PHONE_PATTERN = re.compile(r"^\+?\d[\d\- ]{5,22}\d$")
_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
_MEDIA_TYPE_PATTERN = re.compile(r"^[a-z]+/[a-z0-9.+\-]+$")


def registration_number(organ_code: str, year: int, n: int) -> str:
    """The running registration number 编号 of the n-th petition of an organ in a year."""
    return f"{organ_code}-{year}-{n:06d}"


def check_id_card_number(number: str) -> str:
    """The ID card number 身份证号 normalised, or InvalidInput if it fails GB 11643.

    Checks the form, the date of birth and the check character. The number itself is
    never put in the error.
    """
    normalised = number.strip().upper()
    if not _ID_PATTERN.match(normalised):
        raise _invalid(
            "reporter_id_number_malformed",
            "身份证号码应为18位:17位数字加1位校验码(数字或X)",
            "The ID card number must be 17 digits and a check character (digit or X)",
            field="reporter.id_number",
        )
    try:
        date(int(normalised[6:10]), int(normalised[10:12]), int(normalised[12:14]))
    except ValueError:
        raise _invalid(
            "reporter_id_number_bad_birth_date",
            "身份证号码中的出生日期无效",
            "The date of birth inside the ID card number is not a valid date",
            field="reporter.id_number",
        ) from None
    total = sum(int(d) * w for d, w in zip(normalised[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != normalised[17]:
        raise _invalid(
            "reporter_id_number_bad_check_digit",
            "身份证号码校验码不正确(GB 11643)",
            "The ID card number's check character is wrong (GB 11643)",
            field="reporter.id_number",
        )
    return normalised


@dataclass(frozen=True)
class ReporterIdentity:
    """A real-name reporter's identity 实名举报人身份, held in clear only until sealed."""

    name: str
    id_number: str
    phone: str
    address: str = ""

    @classmethod
    def create(cls, name: str, id_number: str, phone: str, address: str = "") -> ReporterIdentity:
        """A validated, normalised identity; refusals never echo the values."""
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise _invalid(
                "reporter_name_invalid",
                f"实名举报人姓名不能为空且不超过{MAX_NAME}个字",
                f"A real-name reporter's name must be 1 to {MAX_NAME} characters",
                field="reporter.name",
            )
        phone = phone.strip()
        if not _PHONE_PATTERN.match(phone):
            raise _invalid(
                "reporter_phone_invalid",
                "联系电话格式不正确",
                "The phone number is not valid",
                field="reporter.phone",
            )
        address = address.strip()
        if len(address) > MAX_TEXT:
            raise _invalid(
                "reporter_address_too_long",
                f"地址不能超过{MAX_TEXT}个字",
                f"The address must be at most {MAX_TEXT} characters",
                field="reporter.address",
            )
        return cls(name, check_id_card_number(id_number), phone, address)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReporterIdentity:
        return cls(
            str(data["name"]),
            str(data["id_number"]),
            str(data["phone"]),
            str(data.get("address", "")),
        )

    def __repr__(self) -> str:  # never print identity by accident
        return "ReporterIdentity(<sealed>)"

    __str__ = __repr__


@dataclass(frozen=True)
class ReportedPerson:
    """A reported person 被反映人: name, unit, position and cadre management level."""

    name: str
    unit: str = ""
    position: str = ""
    cadre_level: str | None = None

    @classmethod
    def create(
        cls, name: str, unit: str = "", position: str = "", cadre_level: str | None = None
    ) -> ReportedPerson:
        name, unit, position = name.strip(), unit.strip(), position.strip()
        if not name or len(name) > MAX_NAME:
            raise _invalid(
                "reported_person_name_invalid",
                f"被反映人姓名不能为空且不超过{MAX_NAME}个字",
                f"A reported person's name must be 1 to {MAX_NAME} characters",
                field="reported_persons.name",
            )
        if len(unit) > MAX_TEXT or len(position) > MAX_TEXT:
            raise _invalid(
                "reported_person_text_too_long",
                f"被反映人单位和职务不能超过{MAX_TEXT}个字",
                f"A reported person's unit and position must be at most {MAX_TEXT} characters",
                field="reported_persons",
            )
        level = None if cadre_level is None else parse(CadreLevel, cadre_level).value
        return cls(name, unit, position, level)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportedPerson:
        return cls.create(
            str(data.get("name", "")),
            str(data.get("unit") or ""),
            str(data.get("position") or ""),
            data.get("cadre_level"),
        )


class AttachmentKind:
    """Kinds of attachment 附件类型 (plain codes)."""

    LETTER_SCAN = "letter_scan"
    PHOTO = "photo"
    RECORDING = "recording"
    DOCUMENT = "document"
    ALL = (LETTER_SCAN, PHOTO, RECORDING, DOCUMENT)


@dataclass(frozen=True)
class Attachment:
    """Metadata of a stored attachment 附件; the content is addressed by its sha256."""

    sha256: str
    size: int
    media_type: str
    kind: str

    @classmethod
    def create(cls, sha256: str, size: int, media_type: str, kind: str) -> Attachment:
        if (
            not _SHA256_PATTERN.match(sha256)
            or size < 1
            or not _MEDIA_TYPE_PATTERN.match(media_type)
        ):
            raise _invalid(
                "attachment_metadata_invalid",
                "附件元数据无效",
                "The attachment metadata is invalid",
                field="attachments",
            )
        if kind not in AttachmentKind.ALL:
            raise _invalid(
                "attachment_kind_unknown",
                "附件类型无效",
                "Unknown attachment kind",
                field="attachments.kind",
                allowed=list(AttachmentKind.ALL),
            )
        return cls(sha256, size, media_type, kind)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Stage:
    """Where a petition is, as the reporter may see it 办理进度."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    DIVERTED = "diverted"
    NOT_ACCEPTED = "not_accepted"
    REPEAT = "repeat"
    IN_HANDLING = "in_handling"
    CONCLUDED = "concluded"

    SCREENED = (ACCEPTED, DIVERTED, NOT_ACCEPTED, REPEAT)


# Fields a correction may change, other than the sealed reporter identity.
CORRECTABLE = (
    "summary",
    "full_text",
    "reported_persons",
    "categories",
    "key_fields",
    "keywords",
    "conduct_period",
    "conduct_date",
    "received_at",
    "visitors",
    "report_type",
)


class Petition(Aggregate):
    """A petition or report 信访举报件, keyed by the case id."""

    # --- registration 登记 -----------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        organ_code: str,
        actor: str,
        channel: str,
        registration_number: str,
        received_at: datetime,
        registered_at: datetime,
        summary: str,
        full_text: str = "",
        sealed_reporter: str | None = None,
        visitors: int = 1,
        handed_over_from: str | None = None,
        handover_reference: str | None = None,
        reported_persons: Iterable[ReportedPerson] = (),
        categories: Iterable[str] = (),
        key_fields: Iterable[str] = (),
        keywords: Iterable[str] = (),
        conduct_period: str = ConductPeriod.UNKNOWN.value,
        conduct_date: date | None = None,
        attachments: Iterable[Attachment] = (),
        receipt_code_hash: str | None = None,
        case_id: UUID | None = None,
    ) -> Petition:
        """Register a report that came in; refuse an incoherent one.

        `case_id` is given when the caller needed it first (to bind sealed data to it).
        """
        channel = parse(Channel, channel).value
        _require_text(actor, "actor", MAX_NAME)
        _require_text(organ_code, "organ_code", MAX_NAME)
        if _aware(received_at) > _aware(registered_at):
            raise _invalid(
                "received_after_registered",
                "收到时间不能晚于登记时间",
                "The received time cannot be later than the registration time",
                field="received_at",
            )
        if not 1 <= visitors <= MAX_VISITORS:
            raise _invalid(
                "visitors_out_of_range",
                f"来访人次应在1到{MAX_VISITORS}之间",
                f"The number of visitors must be between 1 and {MAX_VISITORS}",
                field="visitors",
            )
        if visitors > 1 and channel != Channel.VISIT:
            raise _invalid(
                "visitors_only_for_visits",
                "只有来访可以登记多人次",
                "Only a visit can have more than one person",
                field="visitors",
            )
        handover = channel in (Channel.BODY_HANDOVER, Channel.UPPER_HANDOVER)
        if not handover and (handed_over_from or handover_reference):
            raise _invalid(
                "handover_fields_without_handover",
                "只有移交或转交办件可以填写移交单位和文号",
                "Only a handed-over report can name the body that handed it over",
                field="handed_over_from",
            )
        if handed_over_from is not None:
            _require_text(handed_over_from, "handed_over_from", MAX_TEXT)
        if handover_reference is not None:
            _require_text(handover_reference, "handover_reference", MAX_TEXT)
        attachments = list(attachments)
        if len(attachments) > MAX_ATTACHMENTS:
            raise _invalid(
                "attachments_too_many",
                f"附件不能超过{MAX_ATTACHMENTS}个",
                f"At most {MAX_ATTACHMENTS} attachments",
                field="attachments",
            )
        fields = _describe(
            summary=summary,
            full_text=full_text,
            reported_persons=reported_persons,
            categories=categories,
            key_fields=key_fields,
            keywords=keywords,
            conduct_period=conduct_period,
            conduct_date=conduct_date,
        )
        return cls(
            organ_code=organ_code,
            actor=actor,
            channel=channel,
            registration_number=registration_number,
            received_at=received_at,
            registered_at=registered_at,
            real_name=sealed_reporter is not None,
            sealed_reporter=sealed_reporter,
            visitors=visitors,
            handed_over_from=handed_over_from,
            handover_reference=handover_reference,
            attachments=[a.to_dict() for a in attachments],
            receipt_code_hash=receipt_code_hash,
            id=case_id or uuid4(),
            **fields,
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
        self.registered_by = actor
        self.stage = Stage.RECEIVED
        self.report_type: str | None = None
        self.screened_by: str | None = None
        self.screened_at: datetime | None = None
        self.diverted_to: str | None = None
        self.explanation: str | None = None
        self.not_accepted_reason: str | None = None
        self.approved_by: str | None = None
        self.first_case_id: str | None = None
        self.real_name_check: str | None = None
        self.notified: dict[str, Any] | None = None
        self.public_result_zh: str | None = None
        self.public_result_en: str | None = None
        self.corrections = 0
        self.reveals = 0

    @property
    def primary_category(self) -> str | None:
        """The category recorded first, if any."""
        return self.categories[0] if self.categories else None

    @property
    def attachment_hashes(self) -> list[str]:
        return [a["sha256"] for a in self.attachments]

    # --- attachments 附件 ------------------------------------------------------------

    def add_attachment(self, attachment: Attachment, *, actor: str, at: datetime) -> bool:
        """Attach a stored file; attaching the same content twice changes nothing."""
        if attachment.sha256 in self.attachment_hashes:
            return False
        if len(self.attachments) >= MAX_ATTACHMENTS:
            raise Conflict(
                "attachments_too_many",
                f"附件不能超过{MAX_ATTACHMENTS}个",
                f"At most {MAX_ATTACHMENTS} attachments",
            )
        self._attach(self.organ_code, actor, at, attachment.to_dict())
        return True

    @event("AttachmentAdded")
    def _attach(
        self, organ_code: str, actor: str, added_at: datetime, attachment: dict[str, Any]
    ) -> None:
        self.attachments = [*self.attachments, attachment]

    # --- screening 甄别 --------------------------------------------------------------

    def accept(self, report_type: str, *, actor: str, at: datetime) -> None:
        """In scope and with substance: accept it for handling 受理."""
        self._require_unscreened()
        report_type = parse(ReportType, report_type).value
        self._accept(self.organ_code, actor, at, report_type, self._reported_persons_now())

    @event("Accepted")
    def _accept(
        self,
        organ_code: str,
        actor: str,
        decided_at: datetime,
        report_type: str,
        # Who is reported, as recorded when accepted (corrections included), so routing
        # can suggest jurisdiction. Never the reporter. Absent from events stored earlier.
        reported_persons: list[dict[str, Any]] | None = None,
    ) -> None:
        self.stage = Stage.ACCEPTED
        self.report_type = report_type
        self._screened(actor, decided_at)

    def divert(self, department: str, explanation: str, *, actor: str, at: datetime) -> None:
        """Out of scope: tell the reporter where to go and why 分流."""
        self._require_unscreened()
        _require_text(department, "department", MAX_TEXT)
        _require_text(explanation, "explanation", MAX_SUMMARY)
        self._divert(self.organ_code, actor, at, department.strip(), explanation.strip())

    @event("Diverted")
    def _divert(
        self, organ_code: str, actor: str, decided_at: datetime, department: str, explanation: str
    ) -> None:
        self.stage = Stage.DIVERTED
        self.diverted_to = department
        self.explanation = explanation
        self._screened(actor, decided_at)

    def refuse(self, reason: str, approved_by: str, *, actor: str, at: datetime) -> None:
        """No substance: not accepted 不予受理, with the leader's approval."""
        self._require_unscreened()
        _require_text(reason, "reason", MAX_SUMMARY)
        _require_text(approved_by, "approved_by", MAX_NAME)
        self._refuse(self.organ_code, actor, at, reason.strip(), approved_by.strip())

    @event("NotAccepted")
    def _refuse(
        self, organ_code: str, actor: str, decided_at: datetime, reason: str, approved_by: str
    ) -> None:
        self.stage = Stage.NOT_ACCEPTED
        self.not_accepted_reason = reason
        self.approved_by = approved_by
        self._screened(actor, decided_at)

    def link_as_repeat(self, first: Petition, reason: str, *, actor: str, at: datetime) -> str:
        """A repeat report 重复举报: link it to the first case, which keeps the handling.

        If `first` is itself a repeat, the link goes to its own first case. Returns the
        first case id linked to.
        """
        self._require_unscreened()
        _require_text(reason, "reason", MAX_SUMMARY)
        first_case_id = first.first_case_id or str(first.id)
        if first_case_id == str(self.id):
            raise Conflict(
                "repeat_of_itself",
                "不能将信访件关联为自身的重复件",
                "A petition cannot be a repeat of itself",
            )
        if first.stage in (Stage.RECEIVED, Stage.DIVERTED, Stage.NOT_ACCEPTED):
            raise Conflict(
                "repeat_first_not_accepted",
                "首件尚未受理,不能关联为重复件",
                "The first case has not been accepted, so nothing can be a repeat of it",
                first_case_id=first_case_id,
            )
        self._link(self.organ_code, actor, at, first_case_id, reason.strip())
        return first_case_id

    @event("LinkedAsRepeat")
    def _link(
        self, organ_code: str, actor: str, decided_at: datetime, first_case_id: str, reason: str
    ) -> None:
        self.stage = Stage.REPEAT
        self.first_case_id = first_case_id
        self._screened(actor, decided_at)

    def _reported_persons_now(self) -> list[dict[str, Any]]:
        """The reported persons as currently recorded, in the shape routing reads."""
        return [
            {
                "name": p.get("name", ""),
                "unit": p.get("unit") or "",
                "position": p.get("position") or "",
                "cadre_level": p.get("cadre_level"),
            }
            for p in self.reported_persons
        ]

    def _screened(self, actor: str, at: datetime) -> None:
        self.screened_by = actor
        self.screened_at = at

    def _require_unscreened(self) -> None:
        if self.stage != Stage.RECEIVED:
            raise Conflict(
                "petition_already_screened",
                "该件已经甄别",
                "This petition has already been screened",
                stage=self.stage,
            )

    # --- real name 实名核实 ----------------------------------------------------------

    def verify_real_name(self, method: str, *, actor: str, at: datetime) -> None:
        """Record that the petition office confirmed the report is really real-name."""
        method = parse(RealNameCheck, method).value
        self._require_real_name()
        if self.real_name_check is not None:
            raise Conflict(
                "real_name_already_verified",
                "实名已经核实",
                "The real name has already been verified",
            )
        self._verify(self.organ_code, actor, at, method)

    @event("RealNameVerified")
    def _verify(self, organ_code: str, actor: str, verified_at: datetime, method: str) -> None:
        self.real_name_check = method

    def _require_real_name(self) -> None:
        if not self.real_name:
            raise Conflict(
                "petition_anonymous",
                "匿名件没有举报人身份",
                "An anonymous petition has no reporter identity",
            )

    def record_reveal(self, purpose: str, *, actor: str, at: datetime) -> str:
        """Record a read of the sealed identity 查阅举报人身份; returns the ciphertext."""
        self._require_real_name()
        _require_text(purpose, "purpose", MAX_TEXT)
        self._reveal(self.organ_code, actor, at, purpose.strip())
        assert self.sealed_reporter is not None
        return self.sealed_reporter

    @event("ReporterRevealed")
    def _reveal(self, organ_code: str, actor: str, revealed_at: datetime, purpose: str) -> None:
        self.reveals += 1

    # --- acceptance notification 受理告知 --------------------------------------------

    def notify_acceptance(
        self, method: str, notified_at: datetime, *, actor: str, at: datetime
    ) -> None:
        """Record that a real-name reporter was told the screening outcome, and how."""
        method = parse(NotificationMethod, method).value
        self._require_real_name()
        if self.stage == Stage.RECEIVED:
            raise Conflict(
                "petition_not_screened",
                "该件尚未甄别,无可告知",
                "This petition has not been screened yet, so there is nothing to tell",
            )
        if self.notified is not None:
            raise Conflict(
                "acceptance_already_notified",
                "受理情况已经告知",
                "The reporter has already been told",
            )
        if _aware(notified_at) < _aware(self.received_at) or _aware(notified_at) > _aware(at):
            raise _invalid(
                "notified_at_out_of_range",
                "告知时间应在收到时间之后、当前时间之前",
                "The notification time must be after receipt and not in the future",
                field="notified_at",
            )
        self._notify(self.organ_code, actor, method, notified_at, self.stage)

    @event("AcceptanceNotified")
    def _notify(
        self, organ_code: str, actor: str, method: str, notified_at: datetime, outcome: str
    ) -> None:
        self.notified = {"method": method, "notified_at": notified_at, "outcome": outcome}

    # --- progress the reporter may see 办理进度 ---------------------------------------

    def note_handling_started(self, *, actor: str, at: datetime) -> bool:
        """The handling office has started; idempotent."""
        if self.stage in (Stage.IN_HANDLING, Stage.CONCLUDED):
            return False
        if self.stage != Stage.ACCEPTED:
            raise Conflict(
                "petition_not_accepted",
                "该件未受理,不进入办理",
                "This petition was not accepted, so it is not handled",
                stage=self.stage,
            )
        self._handling(self.organ_code, actor, at)
        return True

    @event("HandlingStarted")
    def _handling(self, organ_code: str, actor: str, started_at: datetime) -> None:
        self.stage = Stage.IN_HANDLING

    def publish_result(
        self, public_result_zh: str, public_result_en: str, *, actor: str, at: datetime
    ) -> None:
        """Concluded: record the result the reporter may be told 办结.

        A case sent back to be redone 退回重办 and concluded again publishes again.
        """
        if self.stage not in (Stage.ACCEPTED, Stage.IN_HANDLING, Stage.CONCLUDED):
            raise Conflict(
                "petition_not_in_handling",
                "该件不在办理中,不能办结",
                "This petition is not being handled, so it cannot be concluded",
                stage=self.stage,
            )
        _require_text(public_result_zh, "public_result_zh", MAX_SUMMARY)
        _require_text(public_result_en, "public_result_en", MAX_SUMMARY)
        self._conclude(
            self.organ_code, actor, at, public_result_zh.strip(), public_result_en.strip()
        )

    @event("ResultPublished")
    def _conclude(
        self,
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
        """Correct registration or screening data without editing history.

        `changes` maps field names from `CORRECTABLE` to new values (persons as
        `ReportedPerson`, dates as `date`/`datetime`). A new identity for a real-name
        reporter comes sealed. Returns the names of the fields that really changed.
        """
        _require_text(reason, "reason", MAX_SUMMARY)
        unknown = sorted(set(changes) - set(CORRECTABLE))
        if unknown:
            raise _invalid(
                "correction_field_unknown",
                "更正包含不可更正的字段",
                "The correction names fields that cannot be corrected",
                fields=unknown,
                allowed=list(CORRECTABLE),
            )
        stored = self._description()
        described = _describe(
            **{
                **stored,
                "reported_persons": [ReportedPerson.from_dict(p) for p in self.reported_persons],
                "conduct_date": _date_or_none(self.conduct_date),
                **{k: v for k, v in changes.items() if k in stored},
            }
        )
        new = {k: v for k, v in described.items() if k in changes}
        if "received_at" in changes:
            new["received_at"] = self._check_received_at(changes["received_at"])
        if "visitors" in changes:
            new["visitors"] = self._check_visitors(changes["visitors"])
        if "report_type" in changes:
            new["report_type"] = self._check_report_type(changes["report_type"])
        current = {
            **stored,
            "received_at": self.received_at,
            "visitors": self.visitors,
            "report_type": self.report_type,
        }
        changed = {k: v for k, v in new.items() if v != current[k]}
        changed_fields = sorted(changed)
        if sealed_reporter is not None:
            self._require_real_name()
            if sealed_reporter != self.sealed_reporter:
                changed_fields.append("reporter")
            else:
                sealed_reporter = None
        if not changed_fields:
            raise _invalid(
                "correction_changes_nothing",
                "更正没有改变任何内容",
                "The correction changes nothing",
            )
        self._correct(
            self.organ_code, actor, at, reason.strip(), changed_fields, changed, sealed_reporter
        )
        return changed_fields

    def _description(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "full_text": self.full_text,
            "reported_persons": self.reported_persons,
            "categories": self.categories,
            "key_fields": self.key_fields,
            "keywords": self.keywords,
            "conduct_period": self.conduct_period,
            "conduct_date": self.conduct_date,
        }

    def _check_received_at(self, received_at: Any) -> datetime:
        if not isinstance(received_at, datetime) or _aware(received_at) > _aware(
            self.registered_at
        ):
            raise _invalid(
                "received_after_registered",
                "收到时间不能晚于登记时间",
                "The received time cannot be later than the registration time",
                field="received_at",
            )
        return received_at

    def _check_visitors(self, visitors: Any) -> int:
        if (
            not isinstance(visitors, int)
            or not 1 <= visitors <= MAX_VISITORS
            or (visitors > 1 and self.channel != Channel.VISIT)
        ):
            raise _invalid(
                "visitors_out_of_range",
                f"来访人次应在1到{MAX_VISITORS}之间,且只有来访可以多人次",
                f"Visitors must be 1 to {MAX_VISITORS}, and more than one only for a visit",
                field="visitors",
            )
        return visitors

    def _check_report_type(self, report_type: Any) -> str:
        if self.report_type is None:
            raise Conflict(
                "report_type_before_acceptance",
                "未受理的件没有举报类型可更正",
                "Only an accepted petition has a report type to correct",
            )
        return parse(ReportType, report_type).value

    @event("Corrected")
    def _correct(
        self,
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


# --- helpers -------------------------------------------------------------------------


def _describe(
    *,
    summary: str,
    full_text: str,
    reported_persons: Iterable[ReportedPerson],
    categories: Iterable[str],
    key_fields: Iterable[str],
    keywords: Iterable[str],
    conduct_period: str,
    conduct_date: date | None,
) -> dict[str, Any]:
    """Validate and normalise what a report says, as plain event values."""
    summary = summary.strip()
    if not summary or len(summary) > MAX_SUMMARY:
        raise _invalid(
            "summary_invalid",
            f"问题摘要不能为空且不超过{MAX_SUMMARY}个字",
            f"The problem summary must be 1 to {MAX_SUMMARY} characters",
            field="summary",
        )
    if len(full_text) > MAX_FULL_TEXT:
        raise _invalid(
            "full_text_too_long",
            f"全文不能超过{MAX_FULL_TEXT}个字",
            f"The full text must be at most {MAX_FULL_TEXT} characters",
            field="full_text",
        )
    persons = [p.to_dict() for p in reported_persons]
    if len(persons) > MAX_PERSONS:
        raise _invalid(
            "reported_persons_too_many",
            f"被反映人不能超过{MAX_PERSONS}人",
            f"At most {MAX_PERSONS} reported persons",
            field="reported_persons",
        )
    parsed = [parse(ProblemCategory, c) for c in categories]
    if len(set(parsed)) != len(parsed):
        raise _invalid(
            "categories_duplicate",
            "问题类别重复",
            "A problem category is given twice",
            field="categories",
        )
    # Recorded in the order of priority 按优先顺序记录: the primary comes first.
    ordered = [c.value for c in sorted(parsed, key=lambda c: c.priority)]
    fields = _unique_codes(key_fields, "key_fields")
    words = [w.strip() for w in keywords if w.strip()]
    if len(words) > MAX_KEYWORDS or any(len(w) > MAX_KEYWORD for w in words):
        raise _invalid(
            "keywords_invalid",
            f"关键词不超过{MAX_KEYWORDS}个,每个不超过{MAX_KEYWORD}个字",
            f"At most {MAX_KEYWORDS} keywords of at most {MAX_KEYWORD} characters each",
            field="keywords",
        )
    return {
        "summary": summary,
        "full_text": full_text,
        "reported_persons": persons,
        "categories": ordered,
        "key_fields": fields,
        "keywords": list(dict.fromkeys(words)),
        "conduct_period": parse(ConductPeriod, conduct_period).value,
        "conduct_date": None if conduct_date is None else conduct_date.isoformat(),
    }


def _unique_codes(values: Iterable[str], field: str) -> list[str]:
    codes = [v.strip() for v in values]
    if any(not c for c in codes) or len(set(codes)) != len(codes):
        raise _invalid(
            f"{field}_invalid",
            "代码为空或重复",
            "A code is empty or given twice",
            field=field,
        )
    return codes


def _require_text(value: str, field: str, limit: int) -> None:
    if not value.strip() or len(value) > limit:
        raise _invalid(
            f"{field}_invalid",
            f"“{field}”不能为空且不超过{limit}个字",
            f"{field!r} must be 1 to {limit} characters",
            field=field,
        )


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are refused upstream; compare aware ones as they are."""
    if moment.tzinfo is None:
        raise _invalid(
            "datetime_without_timezone",
            "时间必须带时区",
            "A time must carry its time zone",
        )
    return moment


def _invalid(code: str, message_zh: str, message_en: str, **details: Any) -> InvalidInput:
    return InvalidInput(code, message_zh, message_en, **details)


def _date_or_none(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
