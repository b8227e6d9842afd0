"""Request and response models of the intake API 受理登记接口."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from domain.guards import ORGAN_CODE
from domain.petition import (
    MAX_FULL_TEXT,
    MAX_KEYWORD,
    MAX_KEYWORDS,
    MAX_NAME,
    MAX_PERSONS,
    MAX_SUMMARY,
    MAX_TEXT,
    MAX_VISITORS,
    ReporterIdentity,
)
from domain.vocabulary import (
    CadreLevel,
    Channel,
    ConductPeriod,
    NotificationMethod,
    ProblemCategory,
    RealNameCheck,
    ReportType,
)

_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _storable(value: str) -> str:
    """Text PostgreSQL and UTF-8 can hold: no NUL, no lone surrogates."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


def _secret_storable(value: SecretStr) -> SecretStr:
    _storable(value.get_secret_value())
    return value


def _in_range(value: datetime) -> datetime:
    """A moment between 1990 and 2200 (also keeps time-zone arithmetic in range)."""
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("time out of range") from None
    if not _EARLIEST <= utc < _LATEST:
        raise ValueError("time must be between 1990 and 2200")
    return value


def _date_in_range(value: date) -> date:
    if not date(1949, 10, 1) <= value < date(2200, 1, 1):
        raise ValueError("date must be between 1949-10-01 and 2200")
    return value


def _text(min_length: int, max_length: int) -> Any:
    return Field(min_length=min_length, max_length=max_length)


Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
Day = Annotated[date, AfterValidator(_date_in_range)]
Name = Annotated[str, _text(1, MAX_NAME), AfterValidator(_storable)]
Code = Annotated[str, _text(1, MAX_NAME), AfterValidator(_storable)]
Short = Annotated[str, _text(0, MAX_TEXT), AfterValidator(_storable)]
Department = Annotated[str, _text(1, MAX_TEXT), AfterValidator(_storable)]
Long = Annotated[str, _text(1, MAX_SUMMARY), AfterValidator(_storable)]
FullText = Annotated[str, _text(0, MAX_FULL_TEXT), AfterValidator(_storable)]
Keyword = Annotated[str, _text(0, MAX_KEYWORD), AfterValidator(_storable)]
SecretName = Annotated[SecretStr, _text(1, MAX_NAME), AfterValidator(_secret_storable)]
SecretIdNumber = Annotated[SecretStr, _text(1, 18), AfterValidator(_secret_storable)]
SecretPhone = Annotated[SecretStr, _text(1, 24), AfterValidator(_secret_storable)]
SecretAddress = Annotated[SecretStr, _text(0, MAX_TEXT), AfterValidator(_secret_storable)]


class ReporterIn(BaseModel):
    """A real-name reporter's identity; sealed on arrival, never logged or echoed."""

    name: SecretName
    id_number: SecretIdNumber
    phone: SecretPhone
    address: SecretAddress | None = None

    def identity(self) -> ReporterIdentity:
        return ReporterIdentity.create(
            self.name.get_secret_value(),
            self.id_number.get_secret_value(),
            self.phone.get_secret_value(),
            self.address.get_secret_value() if self.address else "",
        )


class ReporterOut(BaseModel):
    """A real-name reporter's identity, opened for the petition office (the read is logged)."""

    name: str
    id_number: str
    phone: str
    address: str


class ReportedPersonIn(BaseModel):
    """A reported person 被反映人."""

    name: Name
    unit: Short = ""
    position: Short = ""
    cadre_level: CadreLevel | None = None


class ReportedPersonOut(BaseModel):
    """A reported person as recorded."""

    name: str
    unit: str
    position: str
    cadre_level: str | None


class RegisterIn(BaseModel):
    """A report to register; only organ, channel, summary and received time are required."""

    organ_code: Code
    channel: Channel
    summary: Long
    received_at: Moment
    full_text: FullText = ""
    reporter: ReporterIn | None = None
    visitors: int = Field(1, ge=1, le=MAX_VISITORS)
    handed_over_from: Short | None = None
    handover_reference: Short | None = None
    reported_persons: list[ReportedPersonIn] = Field(default_factory=list, max_length=MAX_PERSONS)
    categories: list[ProblemCategory] = Field(default_factory=list, max_length=10)
    key_fields: list[Code] = Field(default_factory=list, max_length=20)
    keywords: list[Keyword] = Field(default_factory=list, max_length=MAX_KEYWORDS)
    conduct_period: ConductPeriod | None = None
    conduct_date: Day | None = None


class SubstanceHintOut(BaseModel):
    """A hint for the clerk 实质内容提示: the report names a person or an act but no fact.

    Only a hint from `domain.substance`: it never blocks registration, and declining a
    report for lack of substance still needs a person and a leader's approval.
    """

    message_zh: str
    message_en: str
    missing: list[str] = Field(description="Kinds of fact not found: time, place, amount, act")


class RegisteredOut(BaseModel):
    """A registered report: its case id, registration number and (once) its receipt code."""

    case_id: str
    registration_number: str
    receipt_code: str | None
    substance_hint: SubstanceHintOut | None = None


class AttachmentOut(BaseModel):
    """An attachment: content hash and metadata."""

    sha256: str
    size: int
    media_type: str
    kind: str


class AttachmentAddedOut(AttachmentOut):
    """An attachment after upload; `added` is false when the case already had it."""

    added: bool


class NotifiedOut(BaseModel):
    """How and when the reporter was told."""

    method: str
    notified_at: datetime
    outcome: str


class NotAcceptProposalOut(BaseModel):
    """A proposal not to accept, awaiting a leader's decision."""

    reason: str
    proposed_by: str
    proposed_at: datetime


class PetitionOut(BaseModel):
    """A case as staff see it; never the reporter's identity."""

    case_id: str
    organ_code: str
    registration_number: str
    channel: str
    received_at: datetime
    registered_at: datetime
    registered_by: str
    real_name: bool
    real_name_check: str | None
    visitors: int
    handed_over_from: str | None
    handover_reference: str | None
    summary: str
    full_text: str
    reported_persons: list[ReportedPersonOut]
    categories: list[str]
    key_fields: list[str]
    keywords: list[str]
    conduct_period: str
    conduct_date: str | None
    attachments: list[AttachmentOut]
    stage: str
    report_type: str | None
    screened_by: str | None
    screened_at: datetime | None
    diverted_to: str | None
    explanation: str | None
    not_accept_proposal: NotAcceptProposalOut | None = None
    not_accepted_reason: str | None
    proposed_by: str | None = None
    approved_by: str | None
    first_case_id: str | None
    acceptance_notified: NotifiedOut | None
    corrections: int
    version: int
    substance_hint: SubstanceHintOut | None = None


class StageOut(BaseModel):
    """Where a case stands after a screening step."""

    case_id: str
    stage: str
    first_case_id: str | None = None


class AcceptIn(BaseModel):
    """Accept for handling 受理, with the report type."""

    report_type: ReportType


class DivertIn(BaseModel):
    """Divert out of scope 分流: the department the reporter was pointed to, and why."""

    department: Department
    explanation: Long


OrganCode = Annotated[str, Field(pattern=ORGAN_CODE.pattern, max_length=12)]
Version = Annotated[int | None, Field(ge=1, le=2**31)]


class NotAcceptProposalIn(BaseModel):
    """A petition clerk proposes not to accept 不予受理 for lack of substance."""

    model_config = ConfigDict(extra="forbid")

    reason: Long
    expected_version: Version = None


class NotAcceptApprovalIn(BaseModel):
    """A leader of the organ approves the proposal not to accept."""

    model_config = ConfigDict(extra="forbid")

    expected_version: Version = None


class NotAcceptRejectionIn(BaseModel):
    """A leader of the organ rejects the proposal, with the reason; screening goes on."""

    model_config = ConfigDict(extra="forbid")

    reason: Long
    expected_version: Version = None


class LinkRepeatIn(BaseModel):
    """Link as a repeat 重复举报 of an earlier case."""

    first_case_id: UUID
    reason: Long


class RealNameCheckIn(BaseModel):
    """How the real name was confirmed 实名核实."""

    method: RealNameCheck


class NotificationIn(BaseModel):
    """How the reporter was told of acceptance 受理告知; time defaults to now."""

    method: NotificationMethod
    notified_at: Moment | None = None


class ResultIn(BaseModel):
    """The result a reporter may be told, in both languages."""

    result_zh: Long
    result_en: Long


class HandlingOut(BaseModel):
    """Whether this call started handling (false if it had already started)."""

    case_id: str
    stage: str
    started: bool


class RevealIn(BaseModel):
    """Why the identity is being read; recorded with the read."""

    purpose: Long


class CorrectionIn(BaseModel):
    """A correction 更正: the reason and the new values (absent fields stay as they are)."""

    reason: Long
    summary: Long | None = None
    full_text: FullText | None = None
    reported_persons: list[ReportedPersonIn] | None = Field(None, max_length=MAX_PERSONS)
    categories: list[ProblemCategory] | None = Field(None, max_length=10)
    key_fields: list[Code] | None = Field(None, max_length=20)
    keywords: list[Keyword] | None = Field(None, max_length=MAX_KEYWORDS)
    conduct_period: ConductPeriod | None = None
    conduct_date: Day | None = None
    received_at: Moment | None = None
    visitors: int | None = Field(None, ge=1, le=MAX_VISITORS)
    report_type: ReportType | None = None
    reporter: ReporterIn | None = None
    expected_version: Version = Field(
        None, description="The case version the correction was made against (stale: 409)"
    )

    def changes(self) -> dict[str, Any]:
        """The fields given, as plain values."""
        given = self.model_dump(
            exclude_unset=True, exclude={"reason", "reporter", "expected_version"}, mode="python"
        )
        given = {k: v for k, v in given.items() if v is not None}
        if self.received_at is not None:
            given["received_at"] = self.received_at
        return given


class CorrectedOut(BaseModel):
    """The fields a correction changed."""

    case_id: str
    changed_fields: list[str]


class HolderOut(BaseModel):
    """Who holds a case now 当前持有机关: organ code and name, and office."""

    organ_code: str
    organ_name: str
    office: str


class CandidateOut(BaseModel):
    """An earlier case that may be the first report of the same matter."""

    case_id: str
    registration_number: str
    organ_code: str
    summary: str
    stage: str
    score: float
    reason_zh: str
    reason_en: str
    holder: HolderOut

    @classmethod
    def of(cls, c: Any) -> CandidateOut:
        """From the domain's repeat candidate, with who holds it now."""
        return cls(
            case_id=c.case_id,
            registration_number=c.registration_number,
            organ_code=c.organ_code,
            summary=c.summary,
            stage=c.stage,
            score=c.score,
            reason_zh=c.reason_zh,
            reason_en=c.reason_en,
            holder=HolderOut(
                organ_code=c.holder_organ, organ_name=c.holder_organ_name, office=c.holder_office
            ),
        )


class ProgressIn(BaseModel):
    """A reporter's receipt code 查询码 (in the body, so it never lands in access logs)."""

    receipt_code: str = Field(min_length=1, max_length=64)


class ProgressOut(BaseModel):
    """What a reporter may see about their report, in Chinese and English."""

    stage: str
    message_zh: str
    message_en: str
    received_on: str
    diverted_to: str | None
    explanation: str | None
    reason: str | None
    result_zh: str | None
    result_en: str | None
