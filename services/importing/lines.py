"""One line of a history file 历史数据导入: parsed and checked, or refused with its line number.

A line is a JSON object with exactly the fields `docs/import.md` lists; codes are those of
`domain.vocabulary`. Everything a line can get wrong is found here, before anything is
written, so a refused line leaves nothing behind and the others still go in. The content
rules are the live registration's own (`ReportDescription.create`, `References`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import DomainError, InvalidInput
from domain.guards import require_text
from domain.petition import MAX_SUMMARY, MAX_TEXT, ReportDescription, ReportedPerson
from domain.petition import ReporterIdentity as Identity
from domain.vocabulary import Channel, Disposal, ReportType, parse
from domain.vocabulary import Outcome as ConclusionOutcome
from domain.vocabulary import Substantiation as Truth
from services.intake.references import References

__all__ = [
    "ACCEPTED",
    "DIVERTED",
    "NOT_ACCEPTED",
    "REPEAT",
    "Conclusion",
    "HistoricalReport",
    "LineRefused",
    "Screening",
    "parse_line",
]

ACCEPTED, DIVERTED, NOT_ACCEPTED, REPEAT = "accepted", "diverted", "not_accepted", "repeat"
# What each screening outcome needs besides `outcome` (and may carry, optional second).
_SCREENING_FIELDS = {
    ACCEPTED: ("type", None),
    DIVERTED: ("department", "explanation"),
    NOT_ACCEPTED: ("reason", None),
    REPEAT: ("first", "reason"),
}
REQUIRED = (
    "source_id",
    "organ",
    "channel",
    "received_at",
    "visitors",
    "real_name",
    "reported_persons",
    "categories",
    "key_fields",
    "summary",
    "screening",
)
OPTIONAL = ("reporter", "conclusion")
_CONCLUSION_FIELDS = ("disposal", "outcome", "substantiation", "concluded_at")
MAX_SOURCE_ID = 100


@dataclass(frozen=True)
class Screening:
    """How the office screened the report 甄别: one of the four outcomes and its detail."""

    outcome: str
    detail: str  # the report type, the department, the reason, or the first's source_id
    note: str = ""  # the diversion's explanation or the repeat's reason, when given


@dataclass(frozen=True)
class Conclusion:
    """How the handling ended 办结."""

    disposal: str
    outcome: str
    substantiation: str
    concluded_at: datetime


@dataclass(frozen=True)
class HistoricalReport:
    """One checked line: the report, its screening and its conclusion, if any."""

    line: int
    source_id: str
    organ: str
    description: ReportDescription
    reporter: Identity | None
    screening: Screening
    conclusion: Conclusion | None

    @property
    def received_at(self) -> datetime:
        return self.description.received_at


class LineRefused(Exception):
    """A line that does not go in: its number, and the refusal with its stable code."""

    def __init__(self, line: int, error: DomainError) -> None:
        super().__init__(f"line {line}: {error.code}: {error.message_en}")
        self.line = line
        self.error = error

    @property
    def code(self) -> str:
        return self.error.code

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, **self.error.as_dict()}

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses process boundaries (parallel import) as plain values.
        error = self.error
        return (_refused, (self.line, error.code, error.message_zh, error.message_en,
                           error.details))


def _refused(line: int, code: str, zh: str, en: str, details: dict[str, Any]) -> LineRefused:
    return LineRefused(line, InvalidInput(code, zh, en, **details))


def _bad(code: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(code, zh, en, **details)


def parse_line(text: str, line: int, references: References, now: datetime) -> HistoricalReport:
    """The checked report on this line, or `LineRefused` naming the line and the reason."""
    try:
        return _parse(text, line, references, now)
    except DomainError as error:
        raise LineRefused(line, error) from None


def _parse(text: str, line: int, references: References, now: datetime) -> HistoricalReport:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _bad(
            "import_line_not_json", "该行不是有效的JSON", "The line is not valid JSON",
            position=getattr(exc, "pos", None),
        ) from None
    if not isinstance(data, dict):
        raise _bad("import_line_not_object", "该行必须是JSON对象", "The line must be a JSON object")
    missing = [name for name in REQUIRED if name not in data]
    if missing:
        raise _bad(
            "import_field_missing", "缺少必填字段", "A required field is missing", fields=missing
        )
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise _bad("import_field_unknown", "含有未知字段", "The line has unknown fields",
                   fields=unknown[:10])
    source_id = require_text(
        data["source_id"], "source_id", MAX_SOURCE_ID, code="import_source_id_invalid",
        message_zh="source_id必须是不超过100字的文本",
        message_en="source_id must be text of at most 100 characters",
    )
    organ = _text(data["organ"], "organ")
    references.require_organ(organ)
    channel = parse(Channel, data["channel"]).value
    received_at = _moment(data["received_at"], "received_at", now)
    real_name = data["real_name"]
    if not isinstance(real_name, bool):
        raise _bad("import_real_name_invalid", "real_name必须是true或false",
                   "real_name must be true or false")
    reporter = _reporter(data.get("reporter"), real_name)
    persons = _list(data["reported_persons"], "reported_persons")
    if any(not isinstance(p, Mapping) for p in persons):
        raise _bad("import_field_type", "被反映人必须是对象", "A reported person must be an object",
                   field="reported_persons")
    key_fields = [_text(c, "key_fields") for c in _list(data["key_fields"], "key_fields")]
    references.require_key_fields(key_fields)
    summary = data["summary"]
    if not isinstance(summary, str):
        raise _type("summary")
    description = ReportDescription.create(
        channel=channel,
        received_at=received_at,
        registered_at=received_at,
        summary=summary,
        real_name=real_name,
        visitors=data["visitors"],
        reported_persons=[ReportedPerson.from_dict(p) for p in persons],
        categories=[_text(c, "categories") for c in _list(data["categories"], "categories")],
        key_fields=key_fields,
    )
    screening = _screening(data["screening"])
    conclusion = _conclusion(data.get("conclusion"), screening, received_at, now)
    return HistoricalReport(line, source_id, organ, description, reporter, screening, conclusion)


def _screening(value: Any) -> Screening:
    if not isinstance(value, dict):
        raise _type("screening")
    outcome = value.get("outcome")
    if outcome not in _SCREENING_FIELDS:
        raise _bad(
            "import_screening_outcome_unknown", "甄别结果无效", "Unknown screening outcome",
            allowed=list(_SCREENING_FIELDS),
        )
    needed, optional = _SCREENING_FIELDS[outcome]
    allowed = {"outcome", needed, optional} - {None}
    extra = sorted(set(value) - allowed)
    if extra or needed not in value:
        raise _bad(
            "import_screening_fields", "甄别结果的字段不符", "The screening has the wrong fields",
            outcome=outcome, needs=needed, unexpected=extra,
        )
    detail = value[needed]
    if outcome == ACCEPTED:
        detail = parse(ReportType, detail).value
    else:
        limit = MAX_SOURCE_ID if outcome == REPEAT else MAX_TEXT
        detail = require_text(detail, f"screening.{needed}", limit)
    note = value.get(optional) if optional else None
    if note is not None:
        note = require_text(note, f"screening.{optional}", MAX_SUMMARY)
    return Screening(outcome, detail, note or "")


def _conclusion(
    value: Any, screening: Screening, received_at: datetime, now: datetime
) -> Conclusion | None:
    if value is None:
        return None
    if screening.outcome != ACCEPTED:
        raise _bad(
            "import_conclusion_not_accepted", "只有受理的件才有办结结论",
            "Only an accepted report has a conclusion",
        )
    if not isinstance(value, dict):
        raise _type("conclusion")
    if set(value) != set(_CONCLUSION_FIELDS):
        raise _bad(
            "import_conclusion_fields", "办结结论的字段不符", "The conclusion has the wrong fields",
            needs=list(_CONCLUSION_FIELDS),
        )
    concluded_at = _moment(value["concluded_at"], "conclusion.concluded_at", now)
    if concluded_at < received_at:
        raise _bad(
            "import_concluded_before_received", "办结时间早于收件时间",
            "The conclusion is dated before the report was received",
        )
    return Conclusion(
        disposal=parse(Disposal, value["disposal"]).value,
        outcome=parse(ConclusionOutcome, value["outcome"]).value,
        substantiation=parse(Truth, value["substantiation"]).value,
        concluded_at=concluded_at,
    )


def _reporter(value: Any, real_name: bool) -> Identity | None:
    if value is None:
        return None
    if not real_name:
        raise _bad(
            "import_identity_of_anonymous", "匿名件不能带举报人身份",
            "An anonymous report cannot carry an identity",
        )
    if not isinstance(value, dict) or not {"name", "id_number", "phone"} <= set(value):
        raise _bad(
            "import_identity_fields", "举报人身份须含name、id_number、phone",
            "The identity needs name, id_number and phone",
        )
    fields = {k: value.get(k, "") for k in ("name", "id_number", "phone", "address")}
    if any(not isinstance(v, str) for v in fields.values()):
        raise _type("reporter")
    return Identity.create(**fields)


def _moment(value: Any, field: str, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise _type(field)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(
            "import_time_invalid", "时间格式无效(ISO 8601)", "Not an ISO 8601 time", field=field
        ) from None
    if moment.tzinfo is None:
        raise _bad(
            "datetime_without_timezone", "时间必须带时区", "A time must carry its time zone",
            field=field,
        )
    if moment > now:
        raise _bad(
            "import_time_in_future", "历史数据的时间不能晚于现在",
            "A historical time cannot be in the future", field=field,
        )
    return moment


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _type(field)
    return value.strip()


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise _type(field)
    return value


def _type(field: str) -> InvalidInput:
    return _bad("import_field_type", "字段类型不符", "A field has the wrong type", field=field)
