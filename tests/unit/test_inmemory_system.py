"""Intake and routing wired in one process (no PostgreSQL, no Kafka): a case's story in ms."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from domain.contracts import HandlingEvents, PetitionEvents, first_broken_link
from infra.inmemory import InMemorySystem
from services.intake.application import IntakeApplication
from services.intake.attachments import AttachmentStore
from services.intake.sealing import Sealer
from services.routing.application import RoutingApplication
from tests.actors import MONITOR, staff
from tests.unit.routing.orgs import COUNTY, org_tree

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def wired(tmp_path: Path) -> tuple[InMemorySystem, IntakeApplication, RoutingApplication]:
    intake = IntakeApplication(
        sealer=Sealer(os.urandom(32)),
        org_tree=org_tree(),
        attachments=AttachmentStore(tmp_path / "files", key=bytes(32), max_bytes=1000),
        clock=lambda: T0,
        min_answer_seconds=0,
    )
    routing = RoutingApplication(org_tree())
    system = InMemorySystem()
    system.publish(intake)
    system.publish(routing)
    system.subscribe("intake", routing.handle)
    system.subscribe("routing", intake.handle_routing_event)
    return system, intake, routing


def test_an_accepted_report_opens_its_handling_and_the_reporter_sees_it(tmp_path: Path) -> None:
    system, intake, routing = wired(tmp_path)
    registered = intake.register(
        organ_code=COUNTY,
        actor=staff("clerk", COUNTY, "petition", "petition_clerk"),
        channel="web",
        summary="反映某局长违规收受礼金",
        received_at=T0,
        reported_persons=[{"name": "王某", "cadre_level": "county_managed"}],
    )
    intake.accept(
        registered.case_id, "accusation", actor=staff("clerk", COUNTY, "petition", "petition_clerk")
    )

    assert system.run() > 0
    assert routing.case(registered.case_id, MONITOR)["holder"]["organ_code"] == COUNTY
    assert intake.progress(registered.receipt_code)["stage"] == "in_handling"
    intake_types = [e.type for e in system.published("intake")]
    assert intake_types[:2] == [PetitionEvents.REGISTERED, PetitionEvents.ACCEPTED]
    assert [e.type for e in system.published("routing")][0] == HandlingEvents.OPENED
    for source in ("intake", "routing"):
        assert first_broken_link(system.published(source)) is None

    # Nothing new: running again delivers nothing and changes nothing.
    version = routing.case(registered.case_id, MONITOR)["version"]
    assert system.run() == 0
    assert routing.case(registered.case_id, MONITOR)["version"] == version
