"""Intake applies the policy where it loads a petition: reveal only by the petition office
of the current holder, with every reveal and refusal in the access log (never identity)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.contracts import Envelope, HandlingEvents
from domain.errors import Conflict, Forbidden, NotFound
from domain.hierarchy import OrgTree
from domain.petition import ReporterIdentity
from infra.access_log import MemoryAccessLog
from services.guard import Guard
from services.intake.application import IntakeApplication
from services.intake.attachments import AttachmentStore
from services.intake.sealing import Sealer
from tests.actors import staff

ORGS = OrgTree.from_records(
    [
        {"code": "62", "name": "甘肃省纪委监委", "level": "province", "parent": None},
        {"code": "6201", "name": "兰州市纪委监委", "level": "city", "parent": "62"},
        {"code": "620102", "name": "城关区纪委监委", "level": "county", "parent": "6201"},
        {"code": "620103", "name": "七里河区纪委监委", "level": "county", "parent": "6201"},
    ]
)
REPORTER = ReporterIdentity.create("张晓梅", "620102198001011239", "13919876543", "兰州")
CITY_CLERK = staff("clerk.city", "6201", "petition", "petition_clerk")
COUNTY_CLERK = staff("clerk.county", "620102", "petition", "petition_clerk")


@pytest.fixture
def log() -> MemoryAccessLog:
    return MemoryAccessLog()


@pytest.fixture
def intake(tmp_path: Path, log: MemoryAccessLog) -> IntakeApplication:
    return IntakeApplication(
        sealer=Sealer(os.urandom(32)),
        org_tree=ORGS,
        attachments=AttachmentStore(tmp_path, key=os.urandom(32)),
        clock=lambda: datetime(2024, 12, 31, 15, 0, tzinfo=UTC),
        min_answer_seconds=0,
        guard=Guard(log),
    )


def register(intake: IntakeApplication, reporter: ReporterIdentity | None = None) -> str:
    return str(
        intake.register(
            organ_code="6201",
            actor=CITY_CLERK,
            channel="letter",
            summary="反映某局长违规收受礼金",
            received_at=datetime(2024, 12, 20, tzinfo=UTC),
            reporter=reporter,
        ).case_id
    )


def test_reveal_is_for_the_petition_office_of_the_holder_and_every_one_is_logged(
    intake: IntakeApplication, log: MemoryAccessLog
) -> None:
    case = register(intake, REPORTER)
    anonymous = register(intake)
    assert intake.reveal_reporter(uuid_of(case), "电话核实", actor=CITY_CLERK) == REPORTER
    assert [(e.action, e.outcome, e.username, e.case_id) for e in log.entries] == [
        ("reveal", "allowed", "clerk.city", case)
    ]
    with pytest.raises(Conflict):  # anonymous: nothing to reveal, and nothing logged as read
        intake.reveal_reporter(uuid_of(anonymous), "核实", actor=CITY_CLERK)
    assert [e.outcome for e in log.entries] == ["allowed"]

    handler = staff("handler.city", "6201", "supervision", "handler")
    with pytest.raises(Forbidden) as refused:
        intake.reveal_reporter(uuid_of(case), "核实", actor=handler)
    assert refused.value.details["reason"] == "no_rule_grants_reveal_reporter_identity"
    with pytest.raises(NotFound):  # a sibling county: as if the case did not exist
        intake.reveal_reporter(uuid_of(case), "核实", actor=staff("x", "620103", "petition"))
    assert log.entries[-1].reason.startswith("out_of_scope:")

    # Routing hands the case to the county: the county's petition office reveals now, the
    # city (which held it) still reads it but may no longer reveal.
    intake.handle_routing_event(received_by("620102", case), "routing.events#0")
    assert intake.reveal_reporter(uuid_of(case), "约谈前核实", actor=COUNTY_CLERK) == REPORTER
    assert intake.petition(uuid_of(case), CITY_CLERK)["case_id"] == case
    with pytest.raises(Forbidden):
        intake.reveal_reporter(uuid_of(case), "核实", actor=CITY_CLERK)
    entries = "".join(str(vars(e)) for e in log.entries)
    assert all(part not in entries for part in (REPORTER.name, REPORTER.id_number, REPORTER.phone))
    assert sum(e.outcome == "refused" for e in log.entries) == 3


def uuid_of(case: str) -> UUID:
    return UUID(case)


def received_by(organ: str, case_id: str) -> Envelope:
    return Envelope(
        event_id=str(uuid4()),
        type=HandlingEvents.TRANSFER_RECEIVED,
        case_id=case_id,
        sequence=2,
        organ_code=organ,
        actor="handler.wu",
        occurred_at="",
        source="routing",
        payload={"holder_organ": organ, "holder_office": "petition"},
        notification_id=1,
    )
