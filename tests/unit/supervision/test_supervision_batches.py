"""Supervision's consumer applies a poll's envelopes as one batch: the same aggregates as
record by record, a later envelope seeing what an earlier one of the batch opened, and a
batch delivered again changing nothing."""

from __future__ import annotations

from datetime import date, datetime
from uuid import uuid4

from domain.contracts import Envelope, HandlingEvents, topic_for
from domain.guards import CHINA_TZ
from infra.jsonsafe import to_json_safe
from infra.reference_data import load_org_tree
from services.supervision.application import SupervisionApplication
from tests.unit.routing.orgs import COUNTY, org_tree

from .simulation import build

T0 = datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ)
TOWN = "620102001"
TRACK = "routing.events#0"


def states(app: SupervisionApplication) -> dict[str, object]:
    """Each aggregate's state, without the library's wall-clock timestamps."""
    app.catch_up()
    return {
        str(i): to_json_safe({k: v for k, v in vars(a).items()
                              if k not in ("_pending_events", "_created_on", "_modified_on")})
        for i, a in app.index.objects.items()
    }


def batches(envelopes: list[Envelope], size: int) -> list[list[Envelope]]:
    """Runs of one source, in order, cut every `size` envelopes (as a poll of one partition)."""
    runs: list[list[Envelope]] = []
    for envelope in envelopes:
        if runs and runs[-1][0].source == envelope.source and len(runs[-1]) < size:
            runs[-1].append(envelope)
        else:
            runs.append([envelope])
    return runs


def test_batches_store_what_record_by_record_stores() -> None:
    scenario = build(150, date(2026, 9, 1), date(2026, 10, 31), seed=11)
    tree = load_org_tree()
    one = SupervisionApplication(tree, clock=lambda: T0)
    for envelope in scenario.envelopes:
        one.handle(envelope, f"{topic_for(envelope.source)}#0")
    many = SupervisionApplication(tree, clock=lambda: T0)
    for batch in batches(scenario.envelopes, 9):
        track = f"{topic_for(batch[0].source)}#0"
        many.handle_batch(batch, track)
        many.handle_batch(batch, track)  # redelivered: nothing more
    assert states(many) == states(one)
    assert len(many.index.objects) > 150
    # Fewer transactions: one per batch that changed something, not one per event.
    stored_one = one.recorder.select_notifications(start=1, limit=10**6)
    stored_many = many.recorder.select_notifications(start=1, limit=10**6)
    assert len(stored_many) == len(stored_one)


def envelope(type_: str, case_id: str, n: int, organ: str, **payload) -> Envelope:
    return Envelope(event_id=str(n), type=type_, case_id=case_id, sequence=n,
                    organ_code=organ, actor="clerk", occurred_at=T0.isoformat(),
                    source="routing", payload=payload, notification_id=n)


def test_a_later_envelope_of_the_batch_sees_the_deadline_and_order_an_earlier_one_opened():
    app = SupervisionApplication(org_tree(), clock=lambda: T0)
    case = str(uuid4())
    steps = [
        (HandlingEvents.OPENED, COUNTY, {}),
        (HandlingEvents.TRANSFER_PROPOSED, COUNTY, {"transfer_id": "t1", "kind": "supervise_down",
                                                    "from_organ": COUNTY, "to_organ": TOWN,
                                                    "to_office": "supervision"}),
        (HandlingEvents.TRANSFER_DISPATCHED, COUNTY, {"transfer_id": "t1"}),
        (HandlingEvents.TRANSFER_RECEIVED, TOWN, {"transfer_id": "t1"}),
        (HandlingEvents.CONCLUDED, TOWN, {}),
        (HandlingEvents.REPORTED_BACK, TOWN, {"to_organ": COUNTY, "to_office": "petition"}),
        (HandlingEvents.RESULT_ACCEPTED, COUNTY, {}),
    ]
    app.handle_batch([envelope(t, case, n, organ, **p)
                      for n, (t, organ, p) in enumerate(steps, start=1)], TRACK)
    assert app.tracked_position(TRACK) == len(steps)
    app.catch_up()
    clocks = {(d.kind, d.ref): d for d in app.index.deadlines()}
    assert clocks[("handling", "t1")].status == "met"
    order = next(app.index.orders())
    assert not order.is_live


def test_a_batch_that_changes_nothing_opens_no_transaction() -> None:
    app = SupervisionApplication(org_tree(), clock=lambda: T0)
    app.handle_batch([envelope("Handling.SomethingNew", str(uuid4()), 1, COUNTY)], TRACK)
    app.handle_batch([envelope(HandlingEvents.TRANSFER_REFUSED, str(uuid4()), 2, COUNTY,
                               transfer_id="t9")], TRACK)
    assert app.tracked_position(TRACK) is None
    assert app.recorder.select_notifications(start=1, limit=10) == []
