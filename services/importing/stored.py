"""The bulk fast path 批量导入: an imported case's stored events, built directly.

`building.build` runs the aggregates' commands and eventsourcing's mapper turns their
events into stored events; that costs a few milliseconds a case. Here the same stored
events (topic, originator id, version, state bytes) are written out directly, with the
same values in the same key order and the same JSON as the stores' transcoder gives (no
cipher, no compressor: the stores use none). The commands' checks that a parsed line can
still fail are run here too (a conclusion's outcome against its substantiation, a repeat's
first), with the aggregates' own refusals. `tests/unit/importing/test_import_stored.py`
proves, for every screening outcome, conclusions and repeats, that the bytes equal the
aggregate path's when both stamp the same `timestamp`.

An imported event's `timestamp` (the library's "when it was stored") is the batch's
moment; the business moments (`received_at`, `decided_at`, `at`, …) are the line's.
"""

from __future__ import annotations

import json
import json.encoder
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.guards import require_text
from domain.handling import Handling
from domain.handling import refusals as handling_refusals
from domain.handling.steps import _SANCTION_OUTCOMES, _UNTRUE_OUTCOMES
from domain.petition import Petition, Stage
from domain.petition import refusals as petition_refusals
from domain.petition.refusals import MAX_SUMMARY, MAX_TEXT
from domain.vocabulary import Office, Outcome, Substantiation
from services.importing.building import IMPORTED_NOTE, Importers
from services.importing.lines import ACCEPTED, DIVERTED, NOT_ACCEPTED, HistoricalReport
from services.intake.progress import public_outcome

__all__ = ["Case", "Encoder", "Row"]

Row = tuple[UUID, int, str, bytes]
"""A stored event: originator id, version, topic, state."""

_PETITION_TOPIC = get_topic(Petition)
_HANDLING_TOPIC = get_topic(Handling)
_HANDLING_VERSION = Handling.Event.class_version
_TOPICS = {
    name: get_topic(getattr(Petition, name))
    for name in ("Registered", "Accepted", "HandlingStarted", "Diverted", "NotAcceptProposed",
                 "NotAccepted", "LinkedAsRepeat", "ResultPublished")
} | {
    f"Handling.{name}": get_topic(getattr(Handling, name))
    for name in ("Opened", "DisposalDecided", "Concluded", "RepeatLinked")
}


def _no_default(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not stored by the import")


# The stores' JSON: eventsourcing's JSONTranscoder settings (compact separators, no ASCII
# escaping), minus its `default` hook (datetimes and ids arrive here already in their
# transcoded form). The C encoder is made once, not per event as `JSONEncoder.encode`
# does, and without the circularity check (plain values, built here): the same text.
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_encoder is not None:
    _chunks = _c_encoder(
        None, _no_default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )

    def _encode(value: dict[str, Any]) -> str:
        return "".join(_chunks(value, 0))

else:  # an interpreter without the C accelerator
    _python_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

    def _encode(value: dict[str, Any]) -> str:
        return _python_encoder.encode(value)


def _values(report: HistoricalReport) -> dict[str, Any]:
    """`ReportDescription.event_values()` for what a line can carry, without `asdict`."""
    description = report.description
    conduct_date = description.conduct_date
    return {
        "channel": description.channel,
        "summary": description.summary,
        "full_text": description.full_text,
        "visitors": description.visitors,
        "handed_over_from": description.handed_over_from,
        "handover_reference": description.handover_reference,
        "reported_persons": [
            {"name": p.name, "unit": p.unit, "position": p.position, "cadre_level": p.cadre_level}
            for p in description.reported_persons
        ],
        "categories": list(description.categories),
        "key_fields": list(description.key_fields),
        "keywords": list(description.keywords),
        "conduct_period": description.conduct_period,
        "conduct_date": None if conduct_date is None else conduct_date.isoformat(),
        "attachments": [a.to_dict() for a in description.attachments],
    }


def _moment(value: datetime) -> dict[str, str]:
    """A datetime as eventsourcing's `DatetimeAsISO` transcoding stores it."""
    return {"_type_": "datetime_iso", "_data_": value.isoformat()}


@dataclass(slots=True)
class Case:
    """What a later repeat needs of a stored case: its petition's stage and first, and
    its handling's version, holder and linked repeats (no handling: `version` 0)."""

    stage: str
    first_case_id: str | None = None
    version: int = 0
    holder_organ: str | None = None
    holder_office: str | None = None
    repeats: set[str] | None = None  # made when the first repeat is linked (most have none)

    @classmethod
    def of(cls, petition: Petition, handling: Handling | None) -> Case:
        """From aggregates loaded from the stores (a case of an earlier run, or live)."""
        if handling is None:
            return cls(petition.stage, petition.first_case_id)
        return cls(
            petition.stage, petition.first_case_id, handling.version, handling.holder_organ,
            handling.holder_office, {r["case_id"] for r in handling.repeats} or None,
        )


class Encoder:
    """Builds the stored events of imported cases, all stamped with `timestamp`."""

    def __init__(self, importers: Importers, timestamp: datetime) -> None:
        self.importers = importers
        self.timestamp = _moment(timestamp)

    def case(
        self, report: HistoricalReport, case_id: UUID, number: str, sealed: str | None
    ) -> tuple[list[Row], list[Row], Case]:
        """Intake's and routing's stored events of a report that is not a repeat, and what
        a later repeat needs of it. Raises the aggregates' refusal where they would."""
        actor = self.importers.name
        organ = report.organ
        at = _moment(report.received_at)
        values = _values(report)
        persons = values["reported_persons"]
        petition = [self._registered(report, case_id, number, sealed, values, at)]
        handling: list[Row] = []
        screening = report.screening
        if screening.outcome == ACCEPTED:
            case = Case(Stage.IN_HANDLING, None, 1, organ, Office.PETITION.value)
            petition.append(self._row(case_id, 2, "Accepted", {
                "timestamp": self.timestamp, "organ_code": organ, "actor": actor,
                "decided_at": at, "report_type": screening.detail, "reported_persons": persons,
            }))
            handling.append(self._row(case_id, 1, "Handling.Opened", {
                "timestamp": self.timestamp, "originator_topic": _HANDLING_TOPIC,
                "organ_code": organ, "actor": actor, "at": at,
                "report_type": screening.detail, "reported_persons": persons,
                "class_version": _HANDLING_VERSION,
            }))
            petition.append(self._row(case_id, 3, "HandlingStarted", {
                "timestamp": self.timestamp, "organ_code": organ, "actor": actor,
                "started_at": at,
            }))
            if report.conclusion is not None:
                handling.extend(self._concluded(report, case_id))
                petition.append(self._published(report, case_id))
                case.stage, case.version = Stage.CONCLUDED, 3
            return petition, handling, case
        if screening.outcome == DIVERTED:
            petition.append(self._row(case_id, 2, "Diverted", {
                "timestamp": self.timestamp, "organ_code": organ, "actor": actor,
                "decided_at": at,
                "department": require_text(screening.detail, "department", MAX_TEXT),
                "explanation": require_text(
                    screening.note or IMPORTED_NOTE, "explanation", MAX_SUMMARY
                ),
            }))
            return petition, handling, Case(Stage.DIVERTED)
        assert screening.outcome == NOT_ACCEPTED
        reason = require_text(screening.detail, "reason", MAX_SUMMARY)
        leader = self.importers.leader(organ).username
        petition.append(self._row(case_id, 2, "NotAcceptProposed", {
            "timestamp": self.timestamp, "organ_code": organ, "actor": actor,
            "proposed_at": at, "reason": reason,
        }))
        petition.append(self._row(case_id, 3, "NotAccepted", {
            "timestamp": self.timestamp, "organ_code": organ, "actor": leader,
            "decided_at": at, "reason": reason, "approved_by": leader, "proposed_by": actor,
        }))
        return petition, handling, Case(Stage.NOT_ACCEPTED)

    def repeat(
        self,
        report: HistoricalReport,
        case_id: UUID,
        number: str,
        sealed: str | None,
        first: Case,
        first_id: UUID,
    ) -> tuple[list[Row], str, Case]:
        """A repeat's petition events (registered, linked to its chain's first) as
        `Petition.link_as_repeat` checks and records them; the chain's first case id."""
        reason = require_text(report.screening.note or IMPORTED_NOTE, "reason", MAX_SUMMARY)
        first_case_id = first.first_case_id or str(first_id)
        if first_case_id == str(case_id):
            raise petition_refusals.repeat_of_itself()
        if first.stage in (Stage.RECEIVED, Stage.DIVERTED, Stage.NOT_ACCEPTED):
            raise petition_refusals.repeat_first_not_accepted(first_case_id)
        at = _moment(report.received_at)
        values = _values(report)
        rows = [
            self._registered(report, case_id, number, sealed, values, at),
            self._row(case_id, 2, "LinkedAsRepeat", {
                "timestamp": self.timestamp, "organ_code": report.organ,
                "actor": self.importers.name, "decided_at": at,
                "first_case_id": first_case_id, "reason": reason,
            }),
        ]
        return rows, first_case_id, Case(Stage.REPEAT, first_case_id)

    def repeat_linked(
        self, root: Case, root_id: UUID, report: HistoricalReport, repeat_id: UUID
    ) -> Row | None:
        """The first case's handling shows the repeat (`Handling.link_repeat`); None when
        it has no handling or shows it already. Advances `root`."""
        repeat = str(repeat_id)
        if root.version == 0 or (root.repeats is not None and repeat in root.repeats):
            return None
        if repeat == str(root_id):
            raise handling_refusals.repeat_self()
        root.version += 1
        if root.repeats is None:
            root.repeats = set()
        root.repeats.add(repeat)
        return self._row(root_id, root.version, "Handling.RepeatLinked", {
            "timestamp": self.timestamp, "repeat_case_id": repeat,
            "holder_organ": root.holder_organ, "holder_office": root.holder_office,
            "organ_code": report.organ, "actor": self.importers.name,
            "at": _moment(report.received_at), "class_version": _HANDLING_VERSION,
        })

    # --- the events ----------------------------------------------------------------------

    def _registered(
        self,
        report: HistoricalReport,
        case_id: UUID,
        number: str,
        sealed: str | None,
        values: dict[str, Any],
        at: dict[str, str],
    ) -> Row:
        # `Petition.register`'s event: the description's values, in `__init__`'s order.
        return self._row(case_id, 1, "Registered", {
            "timestamp": self.timestamp,
            "originator_topic": _PETITION_TOPIC,
            "organ_code": report.organ,
            "actor": self.importers.name,
            "channel": values["channel"],
            "registration_number": number,
            "received_at": at,
            "registered_at": at,
            "summary": values["summary"],
            "full_text": values["full_text"],
            "real_name": sealed is not None,
            "sealed_reporter": sealed,
            "visitors": values["visitors"],
            "handed_over_from": values["handed_over_from"],
            "handover_reference": values["handover_reference"],
            "reported_persons": values["reported_persons"],
            "categories": values["categories"],
            "key_fields": values["key_fields"],
            "keywords": values["keywords"],
            "conduct_period": values["conduct_period"],
            "conduct_date": values["conduct_date"],
            "attachments": values["attachments"],
            "receipt_code_hash": None,
            "imported": True,
            "source_id": report.source_id,
        })

    def _concluded(self, report: HistoricalReport, case_id: UUID) -> list[Row]:
        conclusion = report.conclusion
        assert conclusion is not None
        outcome, truth = Outcome(conclusion.outcome), Substantiation(conclusion.substantiation)
        if outcome in _UNTRUE_OUTCOMES and truth != Substantiation.UNTRUE:
            raise handling_refusals.outcome_means_untrue(outcome.value, truth.value)
        if outcome in _SANCTION_OUTCOMES and truth == Substantiation.UNTRUE:
            raise handling_refusals.sanction_needs_truth(outcome.value, truth.value)
        at = _moment(conclusion.concluded_at)
        common = {"organ_code": report.organ, "actor": self.importers.name, "at": at,
                  "class_version": _HANDLING_VERSION}
        return [
            self._row(case_id, 2, "Handling.DisposalDecided", {
                "timestamp": self.timestamp, "mode": conclusion.disposal,
                "reason": IMPORTED_NOTE, **common,
            }),
            self._row(case_id, 3, "Handling.Concluded", {
                "timestamp": self.timestamp, "outcome": outcome.value,
                "substantiation": truth.value, "findings": IMPORTED_NOTE,
                "report_back_required": False, **common,
            }),
        ]

    def _published(self, report: HistoricalReport, case_id: UUID) -> Row:
        conclusion = report.conclusion
        assert conclusion is not None
        zh, en = public_outcome(conclusion.outcome)
        return self._row(case_id, 4, "ResultPublished", {
            "timestamp": self.timestamp, "organ_code": report.organ,
            "actor": self.importers.name, "concluded_at": _moment(conclusion.concluded_at),
            "public_result_zh": require_text(zh, "public_result_zh", MAX_SUMMARY),
            "public_result_en": require_text(en, "public_result_en", MAX_SUMMARY),
        })

    @staticmethod
    def _row(case_id: UUID, version: int, name: str, state: dict[str, Any]) -> Row:
        return case_id, version, _TOPICS[name], _encode(state).encode("utf8")
