"""What each published event does to a case's part: pure `(part, envelope, context) ->
part` handlers in `{event type: handler}` tables keyed by the contract's names."""

from __future__ import annotations

from domain.contracts import Envelope, HandlingEvents, PetitionEvents, SupervisionEvents
from domain.petition import Stage
from domain.vocabulary import Scope, TransferKind
from services.stats.parts import (
    WARNING_ORDER,
    Context,
    Handler,
    Part,
    china_day,
    event_time,
    levels_of,
    most_senior,
    parse_time,
    primary_category,
)

# Kinds that bring a case down from an upper organ 上级转交办.
_FROM_ABOVE = frozenset(
    {TransferKind.FORWARD_DOWN, TransferKind.ASSIGN_DOWN, TransferKind.SUPERVISE_DOWN}
)

# --- intake ----------------------------------------------------------------------------


def _registered(part: Part | None, envelope: Envelope, context: Context) -> Part:
    payload = envelope.payload
    categories = list(payload.get("categories") or ())
    levels = levels_of(payload.get("reported_persons"))
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
        "category": primary_category(categories),
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
        new["category"] = primary_category(new["categories"])
    if "key_fields" in changes:
        new["key_fields"] = list(changes["key_fields"] or ())
    if "reported_persons" in changes:
        new["cadre_levels"] = levels_of(changes["reported_persons"])
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
# Deadlines 办理期限 and warnings 预警 of a case, from supervision's `CaseDeadline` events.


def deadline_opened(part: Part | None, envelope: Envelope, context: Context) -> Part:
    old = supervision_part(part)
    return {**old, "deadlines_open": old["deadlines_open"] + 1}


def deadline_closed(part: Part | None, envelope: Envelope, context: Context) -> Part:
    """A deadline met 按期 or missed 超期, as its closing event says (`late` / `met`)."""
    old = supervision_part(part)
    payload = envelope.payload
    # Supervision's `Met` says how many working days late; `late`/`met` are the doc's forms.
    late = (
        bool(payload.get("late"))
        or payload.get("met") is False
        or int(payload.get("days_late") or 0) > 0
    )
    return {
        **old,
        "deadlines_open": max(old["deadlines_open"] - 1, 0),
        "deadlines_met": old["deadlines_met"] + (0 if late else 1),
        "deadlines_missed": old["deadlines_missed"] + (1 if late else 0),
        "overdue": False if old["deadlines_open"] <= 1 else old["overdue"],
    }


def deadline_cancelled(part: Part | None, envelope: Envelope, context: Context) -> Part:
    """A deadline no longer owed 撤销 (e.g. the report was diverted): neither met nor missed."""
    old = supervision_part(part)
    return {
        **old,
        "deadlines_open": max(old["deadlines_open"] - 1, 0),
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


# Keyed by the deadline's events; their envelopes name the deadline, and stats finds the
# case through the deadline's opening event (`services.stats.deadlines`).
SUPERVISION_HANDLERS: dict[str, Handler] = {
    SupervisionEvents.DEADLINE_OPENED: deadline_opened,
    SupervisionEvents.DEADLINE_MET: deadline_closed,
    SupervisionEvents.DEADLINE_CANCELLED: deadline_cancelled,
    SupervisionEvents.DEADLINE_WARNED: warning_raised,
}

# Which part each topic's events change, and through which table.
HANDLERS_BY_SOURCE: dict[str, dict[str, Handler]] = {
    "intake": INTAKE_HANDLERS,
    "routing": ROUTING_HANDLERS,
    "supervision": SUPERVISION_HANDLERS,
}
