"""The upstream handler: malformed or unknown events are tracked and skipped, never stall."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from domain.contracts import Envelope, HandlingEvents, PetitionEvents
from domain.guards import CHINA_TZ
from services.supervision.application import SupervisionApplication
from tests.unit.routing.orgs import COUNTY, org_tree

T0 = datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ)
TRACK = "routing.events#0"


def envelope(type_: str, case_id: str, n: int, **payload) -> Envelope:
    return Envelope(event_id=str(n), type=type_, case_id=case_id, sequence=n,
                    organ_code=COUNTY, actor="clerk", occurred_at=T0.isoformat(),
                    source="routing", payload=payload, notification_id=n)


def test_malformed_events_are_tracked_and_unknown_ones_skipped_without_a_transaction() -> None:
    app = SupervisionApplication(org_tree(), clock=lambda: T0)
    app.handle(envelope(HandlingEvents.OPENED, "not-a-uuid", 1), TRACK)
    app.handle(envelope(HandlingEvents.TRANSFER_PROPOSED, str(uuid4()), 2), TRACK)
    app.handle(envelope(PetitionEvents.REGISTERED, str(uuid4()), 3,
                        received_at="yesterday", real_name=True), TRACK)
    app.handle(envelope("Handling.SomethingNew", str(uuid4()), 4), TRACK)
    # An event supervision has no handler for moves nothing; the next handled one does.
    assert app.tracked_position(TRACK) == 3
    app.handle(envelope(HandlingEvents.OPENED, "not-a-uuid", 5), TRACK)
    assert app.tracked_position(TRACK) == 5
    assert app.recorder.select_notifications(start=1, limit=10) == []


def test_a_sent_back_case_runs_a_new_handling_clock_at_the_organ_that_redoes_it() -> None:
    app = SupervisionApplication(org_tree(), clock=lambda: T0)
    case = str(uuid4())
    town = "620102001"
    steps = [
        (HandlingEvents.OPENED, COUNTY, {}),
        (HandlingEvents.TRANSFER_PROPOSED, COUNTY, {"transfer_id": "t1", "kind": "assign_down",
                                                    "from_organ": COUNTY, "to_organ": town,
                                                    "to_office": "supervision"}),
        (HandlingEvents.TRANSFER_DISPATCHED, COUNTY, {"transfer_id": "t1"}),
        (HandlingEvents.TRANSFER_RECEIVED, town, {"transfer_id": "t1"}),
        (HandlingEvents.CONCLUDED, town, {}),
        (HandlingEvents.REPORTED_BACK, town, {"to_organ": COUNTY, "to_office": "petition"}),
        (HandlingEvents.SENT_BACK, COUNTY, {"reason": "事实不清"}),
    ]
    for n, (type_, organ, payload) in enumerate(steps, start=1):
        e = envelope(type_, case, n, **payload)
        app.handle(Envelope(**{**e.__dict__, "organ_code": organ}), TRACK)
    app.catch_up()
    clocks = {(d.kind, d.ref): d for d in app.index.deadlines()}
    assert clocks[("handling", "t1")].status == "met"
    redo = clocks[("handling", "redo:7")]
    assert redo.responsible_organ == town and redo.is_open
    record = next(app.index.cases())
    assert (record.holder_organ, record.holder_office) == (town, "supervision")
