"""Intake, routing, stats and supervision on real PostgreSQL, one shared access log,
tokens signed like the gateway's (`tests.service_tokens`, verified by every app), and a
few objects of a county (城关区 620102) to act on."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.access import Relation, relation
from domain.petition import ReporterIdentity
from infra.access_log import AccessLog, AccessQuery
from infra.reference_data import load_org_tree
from services.intake.application import IntakeApplication
from services.intake.attachments import AttachmentStore
from services.intake.main import IntakeSettings
from services.intake.main import create_app as intake_app
from services.intake.sealing import Sealer
from services.routing.application import RoutingApplication
from services.routing.main import create_app as routing_app
from services.stats.application import StatsApplication
from services.stats.main import create_app as stats_app
from services.supervision.application import SupervisionApplication
from services.supervision.main import create_app as supervision_app
from services.supervision.main import load_config
from tests.actors import staff
from tests.service_tokens import VERIFIER

from . import supervision_objects
from .supervision_objects import SupervisionObjects

COUNTY = "620102"
# The user's organ for each relation of the county's case to it (from the user's side).
USER_ORGAN = {
    Relation.OWN: COUNTY,
    Relation.CHILD: "6201",  # the city: the case is below it
    Relation.PARENT: "620102001",  # a township under the county: the case is above it
    Relation.SIBLING: "620103",
    Relation.UNRELATED: "6203",
}
REPORTER = {"name": "张晓梅", "id_number": "620102198001011239", "phone": "13919876543"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Platform:
    """The three services, their applications, the access log and the county's objects."""

    intake: TestClient
    routing: TestClient
    stats: TestClient
    intake_app: IntakeApplication
    routing_app: RoutingApplication
    log: AccessLog
    schemas: dict[str, str]
    petition: str  # real-name, with an attachment
    registration_number: str
    attachment: str  # its sha256
    proposal: str  # a petition with a not-accept proposal by another clerk
    case: str  # routing: a transfer proposed by another person waits for sign-off
    transfer: str
    workable: str  # routing: a case with nothing pending
    supervision: TestClient
    supervision_app: SupervisionApplication
    supervised: SupervisionObjects  # an order, its clock and an evaluation on `case`

    def refusals_of(self, username: str) -> list[Any]:
        query = AccessQuery(
            subtree="", username=username, outcome="refused", include_anonymous=True
        )
        return self.log.query(query)

    def allowed_of(self, username: str) -> list[Any]:
        return self.log.query(AccessQuery(subtree="", username=username, outcome="allowed"))


def _schema(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def platform(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    for user, case_organ in USER_ORGAN.items():
        assert relation(case_organ, COUNTY) is user
    with running_platform(database_url, tmp_path_factory.mktemp("attachments")) as running:
        yield running


@contextmanager
def running_platform(database_url: str, files: Path) -> Iterator[Platform]:
    """The three services on fresh schemas, with the county's objects created."""
    tree = load_org_tree()
    key = os.urandom(32)
    schemas = {
        name: _schema(f"t_{name}")
        for name in ("access", "intake", "routing", "stats", "supervision")
    }
    log = AccessLog(database_url, schemas["access"])
    intake = IntakeApplication(
        sealer=Sealer(key),
        org_tree=tree,
        attachments=AttachmentStore(files, key=key),
        database_url=database_url,
        schema=schemas["intake"],
        min_answer_seconds=0,
    )
    routing = RoutingApplication(tree, database_url=database_url, schema=schemas["routing"])
    stats = StatsApplication(database_url, schema=schemas["stats"])
    supervision = SupervisionApplication(
        tree, config=load_config(), database_url=database_url, schema=schemas["supervision"]
    )
    clerk = staff("setup.clerk", COUNTY, "petition", "petition_clerk")
    received = datetime.now(UTC) - timedelta(days=1)
    try:
        registered = intake.register(
            organ_code=COUNTY,
            actor=clerk,
            channel="letter",
            summary="反映某局长违规收受礼金",
            received_at=received,
            reporter=ReporterIdentity.create(**REPORTER),
        )
        stored = intake.add_attachment(
            registered.case_id, io.BytesIO(PNG), "image/png", "photo", actor=clerk
        )
        proposal = intake.register(
            organ_code=COUNTY, actor=clerk, channel="web", summary="某某", received_at=received
        ).case_id
        intake.propose_not_accept(proposal, "仅列举姓名,无实质内容", actor=clerk)
        case = routing.open_case(uuid.uuid4(), COUNTY, "setup.clerk")
        transfer = routing.propose_transfer(
            case,
            staff("setup.proposer", COUNTY, "petition", "handler"),
            "to_stationed_unit",
            "属派驻组监督范围",
            to_organ="620102Z01",
        )
        workable = routing.open_case(uuid.uuid4(), COUNTY, "setup.clerk")
        supervised = supervision_objects.create(supervision, str(case), COUNTY, "6201")
        apps = (
            intake_app(intake, IntakeSettings(), verifier=VERIFIER, access_log=log),
            routing_app(routing, verifier=VERIFIER, access_log=log),
            stats_app(stats, verifier=VERIFIER, access_log=log),
            supervision_app(supervision, verifier=VERIFIER, access_log=log),
        )
        with (
            TestClient(apps[0]) as intake_client,
            TestClient(apps[1]) as routing_client,
            TestClient(apps[2]) as stats_client,
            TestClient(apps[3]) as supervision_client,
        ):
            yield Platform(
                intake_client,
                routing_client,
                stats_client,
                intake,
                routing,
                log,
                schemas,
                str(registered.case_id),
                registered.registration_number,
                stored.sha256,
                str(proposal),
                str(case),
                transfer,
                str(workable),
                supervision_client,
                supervision,
                supervised,
            )
    finally:
        intake.close()
        routing.close()
        stats.close()
        supervision.close()
        log.close()
