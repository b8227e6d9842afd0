"""Routing snapshots a case's handling every `snapshot_interval` events; a case loaded
from its snapshot reads the same as one replayed from its first event."""

from __future__ import annotations

from uuid import uuid4

from domain.handling import Handling
from services.routing.application import RoutingApplication
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
    assert snapshotting._view(replayed, MONITOR) == from_snapshot
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
