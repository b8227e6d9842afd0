"""The case fact 案件事实: every analysis dimension of one case, projected from events.

A case's fact is kept in one part per source topic: intake's part (what came in and how
it was screened), routing's part (who holds it and how it ended) and supervision's part
(deadlines and warnings). Each part changes only through its own topic, whose events of
one case arrive in order, so the parts never depend on how the topics interleave.

Each event type maps to a pure handler `(part, envelope, context) -> part` in a
`{event type: handler}` table keyed by the published contract's names. The live consumer
and the rebuild both go through `Projector.apply`, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.contracts import Envelope, HandlingEvents, PetitionEvents, topic_for
from domain.guards import CHINA_TZ
from domain.petition import Stage
from domain.vocabulary import CadreLevel, Channel, ProblemCategory, Scope, TransferKind

Part = dict[str, Any]

# The columns of each part, in table order. A part's history rows hold the same columns.
INTAKE_COLUMNS = (
    "organ_code",
    "organ_path",
    "channel",
    "received_at",
    "received_on",
    "registered_at",
    "visitors",
    "real_name",
    "categories",
    "category",
    "key_fields",
    "cadre_levels",
    "cadre_level",
    "conduct_period",
    "screening",
    "scope",
    "report_type",
    "is_repeat",
    "first_case_id",
    "diverted_to",
    "stage",
)
ROUTING_COLUMNS = (
    "holder_organ",
    "holder_office",
    "holder_external",
    "handling_status",
    "disposal",
    "outcome",
    "substantiation",
    "concluded_at",
    "satisfaction",
    "assigned_from_above",
    "report_back_required",
    "pending_kind",
    "pending_to_organ",
    "pending_to_office",
    "pending_external",
    "reporter_organ",
    "reporter_office",
)
SUPERVISION_COLUMNS = (
    "deadlines_open",
    "deadlines_met",
    "deadlines_missed",
    "warning",
    "overdue",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "intake": INTAKE_COLUMNS,
    "routing": ROUTING_COLUMNS,
    "supervision": SUPERVISION_COLUMNS,
}

# Kinds that bring a case down from an upper organ 上级转交办.
_FROM_ABOVE = frozenset(
    {TransferKind.FORWARD_DOWN, TransferKind.ASSIGN_DOWN, TransferKind.SUPERVISE_DOWN}
)
_CADRE_ORDER = {level.value: index for index, level in enumerate(CadreLevel)}
# Business times a payload may carry, most specific first; else when it was stored.
_TIME_KEYS = (
    "at",
    "decided_at",
    "registered_at",
    "concluded_at",
    "corrected_at",
    "started_at",
)
WARNING_ORDER = {"yellow": 1, "red": 2}


@dataclass(frozen=True)
class Context:
    """What handlers may know beyond the event: where an organ sits in the tree."""

    ancestry: Callable[[str], list[str]]


Handler = Callable[[Part | None, Envelope, Context], Part | None]


def parse_time(value: Any) -> dt.datetime:
    """An aware datetime from an ISO string; naive times are Beijing time."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_TZ)


def china_day(value: Any) -> dt.date:
    """The commissions' calendar day of a moment 统计日."""
    return parse_time(value).astimezone(CHINA_TZ).date()


def event_time(envelope: Envelope) -> dt.datetime:
    """When the event happened in the business's own time (historical for imports)."""
    payload = envelope.payload
    for key in _TIME_KEYS:
        if payload.get(key):
            return parse_time(payload[key])
    return parse_time(envelope.occurred_at)


def most_senior(levels: list[str]) -> str | None:
    """The most senior cadre level named, which decides jurisdiction."""
    known = [level for level in levels if level in _CADRE_ORDER]
    return min(known, key=_CADRE_ORDER.__getitem__) if known else None


def _levels_of(persons: Any) -> list[str]:
    levels = [p.get("cadre_level") for p in persons or () if isinstance(p, Mapping)]
    return sorted({lv for lv in levels if lv}, key=lambda lv: _CADRE_ORDER.get(lv, 99))


_CATEGORY_ORDER = {category.value: category.priority for category in ProblemCategory}


def _primary(categories: list[str]) -> str:
    """The category recorded first 主要问题 (as `ProblemCategory.primary`), by its code."""
    known = [c for c in categories if c in _CATEGORY_ORDER]
    return min(known, key=_CATEGORY_ORDER.__getitem__, default=ProblemCategory.OTHER.value)


# --- intake ----------------------------------------------------------------------------


def _registered(part: Part | None, envelope: Envelope, context: Context) -> Part:
    payload = envelope.payload
    categories = list(payload.get("categories") or ())
    levels = _levels_of(payload.get("reported_persons"))
    screened = part or {}
    return {
        "organ_code": envelope.organ_code,
        "organ_path": context.ancestry(envelope.organ_code),
        "channel": payload["channel"],
        "received_at": parse_time(payload["received_at"]),
        "received_on": china_day(payload["received_at"]),
        "registered_at": parse_time(payload.get("registered_at") or payload["received_at"]),
        "visitors": int(payload.get("visitors") or 1),
        "real_name": bool(payload.get("real_name")),
        "categories": categories,
        "category": _primary(categories),
        "key_fields": list(payload.get("key_fields") or ()),
        "cadre_levels": levels,
        "cadre_level": most_senior(levels),
        "conduct_period": payload.get("conduct_period") or "unknown",
        "screening": screened.get("screening"),
        "scope": screened.get("scope"),
        "report_type": screened.get("report_type"),
        "is_repeat": bool(screened.get("is_repeat")),
        "first_case_id": screened.get("first_case_id"),
        "diverted_to": screened.get("diverted_to"),
        "stage": screened.get("stage") or Stage.RECEIVED,
    }


def _screened(stage: str, scope: str, **fields: str) -> Handler:
    """A screening outcome 甄别结果: the stage, the scope and what the event says."""

    def screened(part: Part | None, envelope: Envelope, context: Context) -> Part:
        extra = {column: envelope.payload.get(key) for column, key in fields.items()}
        return {
            **(part or {}),
            "screening": stage,
            "scope": scope,
            "is_repeat": stage == Stage.REPEAT,
            "stage": stage,
            **extra,
        }

    return screened


def _intake_stage(stage: str) -> Handler:
    def moved(part: Part | None, envelope: Envelope, context: Context) -> Part:
        return {**(part or {}), "stage": stage}

    return moved


def _corrected(part: Part | None, envelope: Envelope, context: Context) -> Part | None:
    changes = envelope.payload.get("changes") or {}
    if part is None or not changes:
        return part
    new = dict(part)
    if "categories" in changes:
        new["categories"] = list(changes["categories"] or ())
        new["category"] = _primary(new["categories"])
    if "key_fields" in changes:
        new["key_fields"] = list(changes["key_fields"] or ())
    if "reported_persons" in changes:
        new["cadre_levels"] = _levels_of(changes["reported_persons"])
        new["cadre_level"] = most_senior(new["cadre_levels"])
    if "received_at" in changes:
        new["received_at"] = parse_time(changes["received_at"])
        new["received_on"] = china_day(changes["received_at"])
    for name in ("visitors", "report_type", "conduct_period"):
        if name in changes:
            new[name] = changes[name]
    return new


INTAKE_HANDLERS: dict[str, Handler] = {
    PetitionEvents.REGISTERED: _registered,
    PetitionEvents.ACCEPTED: _screened(
        Stage.ACCEPTED, Scope.IN_SCOPE.value, report_type="report_type"
    ),
    PetitionEvents.DIVERTED: _screened(
        Stage.DIVERTED, Scope.OUT_OF_SCOPE.value, diverted_to="department"
    ),
    # Not accepted for want of substance 不予受理: within the business scope, not handled.
    PetitionEvents.NOT_ACCEPTED: _screened(Stage.NOT_ACCEPTED, Scope.IN_SCOPE.value),
    PetitionEvents.LINKED_AS_REPEAT: _screened(
        Stage.REPEAT, Scope.IN_SCOPE.value, first_case_id="first_case_id"
    ),
    PetitionEvents.HANDLING_STARTED: _intake_stage(Stage.IN_HANDLING),
    PetitionEvents.RESULT_PUBLISHED: _intake_stage(Stage.CONCLUDED),
    PetitionEvents.CORRECTED: _corrected,
}


# --- routing ---------------------------------------------------------------------------


def _opened(part: Part | None, envelope: Envelope, context: Context) -> Part:
    return {
        **(part or {}),
        "holder_organ": envelope.organ_code,
        "holder_office": "petition",
        "holder_external": None,
        "handling_status": "open",
        "assigned_from_above": False,
        "report_back_required": False,
    }


def _proposed(part: Part | None, envelope: Envelope, context: Context) -> Part:
    payload = envelope.payload
    return {
        **(part or {}),
        "pending_kind": payload.get("kind"),
        "pending_to_organ": payload.get("to_organ"),
        "pending_to_office": payload.get("to_office"),
        "pending_external": payload.get("external_body"),
    }


def _pending_cleared(part: Part | None, envelope: Envelope, context: Context) -> Part:
    return {
        **(part or {}),
        "pending_kind": None,
        "pending_to_organ": None,
        "pending_to_office": None,
        "pending_external": None,
    }


def _received(part: Part | None, envelope: Envelope, context: Context) -> Part:
    old = part or {}
    payload = envelope.payload
    kind = old.get("pending_kind")
    new = _pending_cleared(old, envelope, context)
    # Newer events name the new holder; older ones leave it to the proposal.
    new["holder_organ"] = payload.get("holder_organ") or old.get("pending_to_organ")
    new["holder_office"] = payload.get("holder_office") or old.get("pending_to_office")
    if kind == TransferKind.HAND_OVER_OUTWARD:
        new["holder_external"] = old.get("pending_external")
        new["handling_status"] = "handed_over"
    if kind in _FROM_ABOVE:
        new["assigned_from_above"] = True
    return new


def _disposal(part: Part | None, envelope: Envelope, context: Context) -> Part:
    return {**(part or {}), "disposal": envelope.payload.get("mode")}


def _concluded(part: Part | None, envelope: Envelope, context: Context) -> Part:
    payload = envelope.payload
    return {
        **(part or {}),
        "handling_status": "concluded",
        "outcome": payload.get("outcome"),
        "substantiation": payload.get("substantiation"),
        "concluded_at": event_time(envelope),
        "report_back_required": bool(payload.get("report_back_required")),
    }


def _reported_back(part: Part | None, envelope: Envelope, context: Context) -> Part:
    old = part or {}
    payload = envelope.payload
    return {
        **old,
        "reporter_organ": old.get("holder_organ"),
        "reporter_office": old.get("holder_office"),
        "holder_organ": payload.get("to_organ"),
        "holder_office": payload.get("to_office"),
        "handling_status": "under_review",
    }


def _result_accepted(part: Part | None, envelope: Envelope, context: Context) -> Part:
    return {**(part or {}), "handling_status": "concluded", "report_back_required": False}


def _sent_back(part: Part | None, envelope: Envelope, context: Context) -> Part:
    """Sent back to be redone 退回重办: the conclusion no longer stands."""
    old = part or {}
    payload = envelope.payload
    return {
        **old,
        "holder_organ": payload.get("holder_organ") or old.get("reporter_organ"),
        "holder_office": payload.get("holder_office") or old.get("reporter_office"),
        "handling_status": "open",
        "outcome": None,
        "substantiation": None,
        "concluded_at": None,
    }


def _feedback(part: Part | None, envelope: Envelope, context: Context) -> Part | None:
    satisfaction = envelope.payload.get("satisfaction")
    if satisfaction is None:
        return part
    return {**(part or {}), "satisfaction": satisfaction}


def _archived(part: Part | None, envelope: Envelope, context: Context) -> Part:
    return {**(part or {}), "handling_status": "archived"}


ROUTING_HANDLERS: dict[str, Handler] = {
    HandlingEvents.OPENED: _opened,
    HandlingEvents.TRANSFER_PROPOSED: _proposed,
    HandlingEvents.TRANSFER_WITHDRAWN: _pending_cleared,
    HandlingEvents.TRANSFER_REFUSED: _pending_cleared,
    HandlingEvents.TRANSFER_RECEIVED: _received,
    HandlingEvents.DISPOSAL_DECIDED: _disposal,
    HandlingEvents.CONCLUDED: _concluded,
    HandlingEvents.REPORTED_BACK: _reported_back,
    HandlingEvents.RESULT_ACCEPTED: _result_accepted,
    HandlingEvents.SENT_BACK: _sent_back,
    HandlingEvents.FEEDBACK_GIVEN: _feedback,
    HandlingEvents.ARCHIVED: _archived,
}


# --- supervision -----------------------------------------------------------------------
# The handlers a deadline and warning vocabulary needs. `SUPERVISION_HANDLERS` maps the
# `SupervisionEvents` constants to them once supervision publishes its catalogue.


def deadline_opened(part: Part | None, envelope: Envelope, context: Context) -> Part:
    old = supervision_part(part)
    return {**old, "deadlines_open": old["deadlines_open"] + 1}


def deadline_closed(part: Part | None, envelope: Envelope, context: Context) -> Part:
    """A deadline met 按期 or missed 超期, as its closing event says (`late` / `met`)."""
    old = supervision_part(part)
    payload = envelope.payload
    late = bool(payload.get("late")) or payload.get("met") is False
    return {
        **old,
        "deadlines_open": max(old["deadlines_open"] - 1, 0),
        "deadlines_met": old["deadlines_met"] + (0 if late else 1),
        "deadlines_missed": old["deadlines_missed"] + (1 if late else 0),
        "overdue": False if old["deadlines_open"] <= 1 else old["overdue"],
    }


def warning_raised(part: Part | None, envelope: Envelope, context: Context) -> Part:
    """A yellow or red warning 预警; red means overdue. The case keeps its worst colour."""
    old = supervision_part(part)
    level = str(envelope.payload.get("level") or "")
    worst = max(
        (w for w in (old.get("warning"), level) if w in WARNING_ORDER),
        key=WARNING_ORDER.__getitem__,
        default=None,
    )
    return {**old, "warning": worst, "overdue": old["overdue"] or level == "red"}


def supervision_part(part: Part | None) -> Part:
    """A supervision part with its counters filled in (zero, not null)."""
    old = part or {}
    return {
        "deadlines_open": old.get("deadlines_open") or 0,
        "deadlines_met": old.get("deadlines_met") or 0,
        "deadlines_missed": old.get("deadlines_missed") or 0,
        "warning": old.get("warning"),
        "overdue": bool(old.get("overdue")),
    }


SUPERVISION_HANDLERS: dict[str, Handler] = {}

# Which part each topic's events change, and through which table.
HANDLERS_BY_SOURCE: dict[str, dict[str, Handler]] = {
    "intake": INTAKE_HANDLERS,
    "routing": ROUTING_HANDLERS,
    "supervision": SUPERVISION_HANDLERS,
}
SOURCE_OF_TOPIC = {topic_for(source): source for source in HANDLERS_BY_SOURCE}


@dataclass
class Change:
    """One part of one case, as it stands after an event, and from when."""

    case_id: str
    source: str
    part: Part
    valid_from: dt.datetime


class Projector:
    """Applies events to case parts through the handler tables."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def handles(self, envelope: Envelope) -> bool:
        """Whether a handler takes this event at all."""
        return envelope.type in HANDLERS_BY_SOURCE.get(envelope.source, {})

    def apply(
        self, part: Part | None, envelope: Envelope, last_valid_from: dt.datetime | None
    ) -> Change | None:
        """The part after the event, or None when the event changes no fact."""
        handlers = HANDLERS_BY_SOURCE.get(envelope.source, {})
        handler = handlers.get(envelope.type)
        if handler is None:
            return None
        new = handler(part, envelope, self.context)
        if new is None or new == part:
            return None
        columns = COLUMNS[envelope.source]
        complete = {column: new.get(column) for column in columns}
        if envelope.source == "supervision":
            complete = supervision_part(complete)
        at = event_time(envelope)
        # History stays ordered even when a business time is earlier than the last one.
        if last_valid_from is not None and at < last_valid_from:
            at = last_valid_from
        return Change(envelope.case_id, envelope.source, complete, at)


def channel_origin(channel: str) -> str:
    """Own intake 自收, handed over by a body 有关单位移交, or from above 上级转交办."""
    if channel in (Channel.BODY_HANDOVER, Channel.UPPER_HANDOVER):
        return channel
    return "own"
