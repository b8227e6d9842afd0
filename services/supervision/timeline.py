"""A case's supervision timeline 督查时间线: the stored events of its deadlines, orders,
key-field loop and evaluation items, oldest first, as `{sequence, what, who, organ,
office, at, detail}` like intake's and routing's timelines.

An aggregate's case is the `case_id` of its opening event (`SupervisionEvents`); an
evaluation covers many cases, so only its events about this case's score and items count.
Supervision's own notes of upstream facts (`SupervisedCase`) repeat intake and routing,
which have their own timelines: they are left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.supervision.deadline import CaseDeadline
from domain.supervision.evaluation import MonthlyEvaluation
from domain.supervision.keyfield import KeyFieldLoop
from domain.supervision.order import SupervisionOrder
from services.supervision.application import SupervisionApplication

__all__ = ["case_timeline"]

Row = dict[str, Any]
# What of an event's payload the timeline shows (never free text of the reporter).
_DETAIL = ("kind", "ref", "level", "due", "previous_due", "provisional", "days", "days_late",
           "met_on", "on", "working_days", "reason", "note", "automatic", "score", "grade",
           "item_id", "month", "key_field", "closure_due", "closed_on", "holder_organ",
           "approved_by")
# Order steps taken by the holding side; the issuing side takes the others.
_HOLDER_STEPS = frozenset({"Acknowledged", "ProgressReported"})


def _name(event: Any) -> str:
    return str(type(event).__qualname__).split(".")[-1]


def _at(event: Any) -> str:
    at = getattr(event, "at", None) or event.timestamp
    return at.isoformat() if isinstance(at, datetime) else str(at)


def _entry(aggregate: str, event: Any, office: str | None, **extra: Any) -> Row:
    detail = {k: getattr(event, k) for k in _DETAIL if getattr(event, k, None) is not None}
    detail.update({k: v for k, v in extra.items() if v is not None})
    return {
        "sequence": event.originator_version,
        "what": f"{aggregate}.{_name(event)}",
        "who": getattr(event, "actor", None),
        "organ": getattr(event, "organ_code", None),
        "office": office,
        "at": _at(event),
        "detail": detail or None,
    }


def _deadline_rows(app: SupervisionApplication, d: CaseDeadline) -> list[Row]:
    office = d.subject.get("office") if isinstance(d.subject, dict) else None
    return [_entry("CaseDeadline", e, office, kind=d.kind)
            for e in app.repository.event_store.get(d.id)]


def _order_rows(app: SupervisionApplication, o: SupervisionOrder) -> list[Row]:
    rows = []
    for e in app.repository.event_store.get(o.id):
        office = o.holder_office if _name(e) in _HOLDER_STEPS else o.issuer_office
        rows.append(_entry("SupervisionOrder", e, office, order_level=o.level,
                           order_id=str(o.id)))
    return rows


def _loop_rows(app: SupervisionApplication, loop: KeyFieldLoop) -> list[Row]:
    return [_entry("KeyFieldLoop", e, None, key_field=loop.key_field)
            for e in app.repository.event_store.get(loop.id)]


def _evaluation_rows(app: SupervisionApplication, ev: MonthlyEvaluation,
                     case_id: str) -> list[Row]:
    items = {i for i, item in ev.items.items() if item.get("case_id") == case_id}
    rows = []
    for e in app.repository.event_store.get(ev.id):
        if getattr(e, "case_id", None) == case_id or getattr(e, "item_id", None) in items:
            rows.append(_entry("MonthlyEvaluation", e, None, month=ev.month,
                               evaluation_id=str(ev.id)))
    return rows


def case_timeline(app: SupervisionApplication, case_id: str) -> list[Row]:
    """Every supervision event about the case, in order of time."""
    app.catch_up()
    rows: list[Row] = []
    # An order first: its approval opens its clock at the same moment.
    for o in app.index.of_case(case_id, SupervisionOrder):
        rows += _order_rows(app, o)
    for d in app.index.of_case(case_id, CaseDeadline):
        rows += _deadline_rows(app, d)
    for loop in app.index.of_case(case_id, KeyFieldLoop):
        rows += _loop_rows(app, loop)
    for ev in app.index.evaluations():
        if case_id in ev.scores:
            rows += _evaluation_rows(app, ev, case_id)
    # Stable: the events of one aggregate at the same moment keep their order.
    return sorted(rows, key=lambda r: datetime.fromisoformat(r["at"]))
