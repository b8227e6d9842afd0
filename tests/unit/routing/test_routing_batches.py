"""Routing consuming a poll's intake events as one batch (`handle_batch`), in memory."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

from domain.contracts import PetitionEvents
from services.routing.application import RoutingApplication
from tests.actors import MONITOR

from .orgs import COUNTY, TOWNSHIP_A, org_tree
from .test_routing_application import TRACK, Clock, envelope


def test_a_batch_opens_cases_and_moves_tracking_once() -> None:
    routing = RoutingApplication(org_tree(), clock=Clock())
    first, second = uuid4(), uuid4()
    routing.handle_batch(
        [
            envelope(PetitionEvents.REGISTERED, first, 1, organ_code=COUNTY),
            envelope(PetitionEvents.ACCEPTED, first, 2, organ_code=COUNTY),
            envelope(PetitionEvents.ACCEPTED, second, 3, organ_code=TOWNSHIP_A),
            envelope(PetitionEvents.REGISTERED, uuid4(), 4, organ_code=COUNTY),
        ],
        TRACK,
    )
    assert routing.case(first, MONITOR)["version"] == 1
    assert routing.case(second, MONITOR)["holder"]["organ_code"] == TOWNSHIP_A
    assert routing.tracked_position(TRACK) == 4


def test_a_batch_with_nothing_for_routing_stores_nothing() -> None:
    routing = RoutingApplication(org_tree(), clock=Clock())
    routing.handle_batch(
        [envelope(PetitionEvents.REGISTERED, uuid4(), n, organ_code=COUNTY) for n in (1, 2, 3)],
        TRACK,
    )
    assert routing.tracked_position(TRACK) is None
    assert routing.recorder.max_notification_id() in (None, 0)


def test_a_case_changed_twice_in_one_batch_sees_its_first_change() -> None:
    routing = RoutingApplication(org_tree(), clock=Clock())
    first, repeat = uuid4(), uuid4()
    accepted = envelope(PetitionEvents.ACCEPTED, first, 1, organ_code=COUNTY)
    linked = envelope(
        PetitionEvents.LINKED_AS_REPEAT, repeat, 2, organ_code=TOWNSHIP_A, first_case_id=str(first)
    )
    # The repeat touches the case opened earlier in the batch; the same case accepted
    # twice opens it once.
    routing.handle_batch([accepted, linked, replace(accepted, notification_id=3)], TRACK)
    case = routing.case(first, MONITOR)
    assert case["version"] == 2
    assert [r["case_id"] for r in case["repeats"]] == [str(repeat)]
    assert len(routing.events_of(first)) == 2
    assert routing.tracked_position(TRACK) == 3
    # Redelivered whole: nothing changes.
    routing.handle_batch([accepted, linked], TRACK)
    assert len(routing.events_of(first)) == 2
