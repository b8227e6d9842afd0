"""Routing snapshots a case's handling every `snapshot_interval` events; a case loaded
from its snapshot reads the same as one replayed from its first event."""

from __future__ import annotations

from uuid import uuid4

from domain.handling import Handling
from services.routing.application import RoutingApplication
from services.routing.views import case_view
from tests.actors import MONITOR

from .orgs import COUNTY, TOWNSHIP_A, clerk, org_tree
from .test_routing_application import Clock


def test_a_long_case_loads_from_its_snapshot_as_it_was_replayed() -> None:
    snapshotting = RoutingApplication(org_tree(), clock=Clock(), snapshot_interval=4)
    case_id = uuid4()
    persons = [{"name": "张某", "unit": "区交通局", "cadre_level": "county_managed"}]
    snapshotting.open_case(case_id, TOWNSHIP_A, "登记员", "accusation", persons)
    transfer = snapshotting.propose_transfer(
        case_id, clerk(TOWNSHIP_A), "report_up", "县管干部", to_organ=COUNTY
    )
    snapshotting.withdraw_transfer(case_id, transfer, clerk(TOWNSHIP_A), "再核实")
    for _ in range(7):
        transfer = snapshotting.propose_transfer(
            case_id, clerk(TOWNSHIP_A), "report_up", "县管干部", to_organ=COUNTY
        )
        snapshotting.withdraw_transfer(case_id, transfer, clerk(TOWNSHIP_A), "再核实")
    assert snapshotting.snapshots is not None
    snapshots = list(snapshotting.snapshots.get(case_id))
    assert [s.originator_version for s in snapshots] == [4, 8, 12, 16]
    from_snapshot = snapshotting.case(case_id, MONITOR)
    assert from_snapshot["version"] == 17
    # The same events replayed from the first, with no snapshot to start from.
    replayed = None
    for event in snapshotting.events_of(case_id):
        replayed = event.mutate(replayed)
    assert isinstance(replayed, Handling)
    assert replayed.version == 17
    # Built afresh (not from the view cache, which holds the snapshot-loaded case's view).
    assert case_view(replayed) == {
        k: v for k, v in from_snapshot.items() if k != "available_actions"
    }
    assert len(from_snapshot["transfers"]) == 8
    assert from_snapshot["custody"][0]["to_organ"] == TOWNSHIP_A


def test_no_interval_takes_no_snapshot() -> None:
    routing = RoutingApplication(org_tree(), clock=Clock(), snapshot_interval=0)
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    for _ in range(5):
        transfer = routing.propose_transfer(
            case_id, clerk(COUNTY), "report_up", "市管干部", to_organ="6201"
        )
        routing.withdraw_transfer(case_id, transfer, clerk(COUNTY), "再核实")
    assert routing.snapshots is None or list(routing.snapshots.get(case_id)) == []
    assert routing.case(case_id, MONITOR)["version"] == 11


def test_a_remembered_view_answers_one_version_only_and_each_actor_gets_its_own_actions() -> None:
    routing = RoutingApplication(org_tree(), clock=Clock())
    case_id = routing.open_case(uuid4(), COUNTY, "登记员")
    first = routing.case(case_id, clerk(COUNTY))
    assert routing.case(case_id, clerk(COUNTY)) == first  # the remembered view, same answer
    transfer = routing.propose_transfer(
        case_id, clerk(COUNTY), "report_up", "市管干部", to_organ="6201"
    )
    after = routing.case(case_id, clerk(COUNTY))
    assert after["version"] == first["version"] + 1
    assert [t["id"] for t in after["transfers"]] == [transfer]
    assert first["transfers"] == []  # an earlier answer is not changed by a later one
    # The actions are the actor's own, never another's remembered with the view.
    monitor = routing.case(case_id, MONITOR)
    assert {k: v for k, v in monitor.items() if k != "available_actions"} == {
        k: v for k, v in after.items() if k != "available_actions"
    }
    assert monitor["available_actions"] != after["available_actions"]
