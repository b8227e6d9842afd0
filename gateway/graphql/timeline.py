"""A case's timeline 办理时间线: every intake, routing and supervision event in order, from
the services' timelines (or, for intake and routing, derived from their views of the case)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Row = dict[str, Any]

_TRANSFER_STEPS = (
    ("proposed", "proposed_at", "proposed_by"),
    ("approved", "approved_at", "approved_by"),
    ("dispatched", "dispatched_at", "dispatched_by"),
)
_CLOSING = {
    "received": "received_by",
    "refused": "refused_by",
    "withdrawn": "withdrawn_by",
}


def _who(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("name") or value.get("username") or "")
    return str(value)


def _office(value: Any, default: str | None = None) -> str | None:
    return str(value["office"]) if isinstance(value, dict) and value.get("office") else default


def _organ(value: Any, default: str | None) -> str | None:
    return (
        str(value["organ_code"]) if isinstance(value, dict) and value.get("organ_code") else default
    )


def _entry(
    what: str, source: str, at: Any, who: Any, organ: str | None, office: str | None, **detail: Any
) -> Row:
    return {
        "what": what,
        "source": source,
        "at": str(at),
        "who": _who(who),
        "organ_code": _organ(who, organ),
        "office": _office(who, office),
        "detail": {k: v for k, v in detail.items() if v is not None} or None,
    }


def intake_events(p: Row) -> list[Row]:
    organ = p.get("organ_code")
    events = [
        _entry(
            "registered",
            "intake",
            p["registered_at"],
            p.get("registered_by"),
            organ,
            "petition",
            channel=p.get("channel"),
        )
    ]
    proposal = p.get("not_accept_proposal")
    if proposal:
        events.append(
            _entry(
                "not_accept_proposed",
                "intake",
                proposal["proposed_at"],
                proposal.get("proposed_by"),
                organ,
                "petition",
            )
        )
    if p.get("screened_at") and p.get("stage") not in (None, "registered"):
        events.append(
            _entry(
                f"screened_{p['stage']}",
                "intake",
                p["screened_at"],
                p.get("screened_by"),
                organ,
                "petition",
                report_type=p.get("report_type"),
                diverted_to=p.get("diverted_to"),
            )
        )
    notified = p.get("acceptance_notified")
    if notified:
        events.append(
            _entry(
                "acceptance_notified",
                "intake",
                notified["notified_at"],
                None,
                organ,
                "petition",
                method=notified.get("method"),
            )
        )
    return events


def routing_events(h: Row) -> list[Row]:
    events: list[Row] = []
    for t in h.get("transfers", []):
        for what, at, by in _TRANSFER_STEPS:
            if t.get(at):
                events.append(
                    _entry(
                        f"transfer_{what}",
                        "routing",
                        t[at],
                        t.get(by),
                        t.get("from_organ"),
                        t.get("from_office"),
                        kind=t.get("kind"),
                        to_organ=t.get("to_organ"),
                        transfer_id=t.get("id"),
                    )
                )
        closed_by = _CLOSING.get(t.get("state", ""))
        if closed_by and t.get("closed_at"):
            at_target = t.get("state") != "withdrawn"
            events.append(
                _entry(
                    f"transfer_{t['state']}",
                    "routing",
                    t["closed_at"],
                    t.get(closed_by),
                    t.get("to_organ") if at_target else t.get("from_organ"),
                    t.get("to_office") if at_target else t.get("from_office"),
                    kind=t.get("kind"),
                    transfer_id=t.get("id"),
                    reason=t.get("refusal_reason") or t.get("withdrawal_reason"),
                )
            )
    for link in h.get("custody", []):
        if not link.get("transfer_id"):
            events.append(
                _entry(
                    f"custody_{link['kind']}",
                    "routing",
                    link["at"],
                    link.get("by"),
                    link.get("to_organ"),
                    link.get("to_office"),
                    from_organ=link.get("from_organ"),
                )
            )
    for what, item in (("disposal_decided", h.get("disposal")),):
        if item:
            events.append(
                _entry(
                    what,
                    "routing",
                    item["at"],
                    item.get("by"),
                    item.get("organ_code"),
                    None,
                    mode=item.get("mode"),
                )
            )
    seen = set()
    for item in [*h.get("conclusions", []), h.get("conclusion")]:
        if item and item["at"] not in seen:
            seen.add(item["at"])
            events.append(
                _entry(
                    "concluded",
                    "routing",
                    item["at"],
                    item.get("by"),
                    item.get("organ_code"),
                    None,
                    outcome=item.get("outcome"),
                )
            )
    for item in h.get("reviews", []):
        what = "review_accepted" if item.get("accepted") else "review_sent_back"
        events.append(
            _entry(
                what, "routing", item["at"], item.get("by"), None, None, reason=item.get("reason")
            )
        )
    for item in h.get("feedback", []):
        events.append(
            _entry(
                "feedback_recorded",
                "routing",
                item["at"],
                item.get("by"),
                None,
                None,
                method=item.get("method"),
                satisfaction=item.get("satisfaction"),
            )
        )
    return events


def timeline(petition: Row | None, handling: Row | None,
             supervision: list[Row] | None = None) -> list[Row]:
    """Every event in order of time (stable for equal times: intake first)."""
    events: list[Row] = merged([], [], supervision) if supervision else []
    for row, given, derive in (
        (petition, "timeline", intake_events),
        (handling, "timeline", routing_events),
    ):
        if row is None:
            continue
        events += row[given] if isinstance(row.get(given), list) else derive(row)
    return sorted(events, key=lambda e: _moment(e["at"]))


def _moment(text: str) -> datetime:
    """Services write ISO moments in different zones: compare them as instants."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def merged(intake: list[Row], routing: list[Row], supervision: list[Row] | None = None,
           ) -> list[Row]:
    """The services' own timelines (`{sequence, what, who, organ, office, at}`, and a
    `detail` where the service gives one) as one, in order of time."""
    events = [
        {
            "what": e["what"],
            "who": e.get("who"),
            "organ_code": e.get("organ"),
            "office": e.get("office"),
            "at": str(e["at"]),
            "source": source,
            "detail": e.get("detail") or None,
        }
        for source, rows in (("intake", intake), ("routing", routing),
                             ("supervision", supervision or []))
        for e in rows
    ]
    return sorted(events, key=lambda e: _moment(e["at"]))
