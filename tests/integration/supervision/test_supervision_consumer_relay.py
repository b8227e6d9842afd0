"""Supervision on real PostgreSQL and the broker: intake's relay publishes, supervision's
consumer opens and meets deadlines exactly once (redeliveries change nothing), and
supervision's own relay publishes its events, chained, on its topic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from domain.contracts import SupervisionEvents, first_broken_link
from domain.hierarchy import OrgTree
from domain.petition import ReporterIdentity
from infra.consumer import Consumer
from infra.relay import Relay
from services.intake.application import IntakeApplication
from services.supervision.application import SupervisionApplication
from services.supervision.main import create_app, load_config
from services.supervision.scheduler import tick
from tests.actors import MONITOR, staff
from tests.service_tokens import VERIFIER, bearer

from ..routing.conftest import consume_all, new_name
from ..spine.helpers import drain, read_topic, redeliver_all, wait_until

pytestmark = pytest.mark.integration

COUNTY = "620102"
REPORTER = ReporterIdentity.create("张晓梅", "620102198001011239", "13919876543", "兰州")


@pytest.fixture
def supervision(
    database_url: str, unique_schema: str, org_tree: OrgTree
) -> Iterator[SupervisionApplication]:
    app = SupervisionApplication(org_tree, config=load_config(), database_url=database_url,
                                 schema=unique_schema)
    try:
        yield app
    finally:
        app.close()


CLERK = staff("登记员", COUNTY, "petition", "petition_clerk")


def test_deadlines_from_intake_exactly_once_and_published_on_supervision_events(
    intake: IntakeApplication,
    supervision: SupervisionApplication,
    kafka_bootstrap: str,
) -> None:
    intake_topic = new_name("t_in") + ".events"
    own_topic = new_name("t_sup") + ".events"
    intake_relay = Relay(intake, kafka_bootstrap, topic=intake_topic, check_interval=0)
    own_relay = Relay(supervision, kafka_bootstrap, topic=own_topic, check_interval=0)
    intake_relay.start()
    own_relay.start()
    consumer = Consumer(new_name("supervision"), intake_topic, kafka_bootstrap,
                        supervision.handle)
    client = TestClient(create_app(supervision, verifier=VERIFIER), headers=bearer(MONITOR))
    try:
        received = datetime.now(UTC) - timedelta(days=40)
        case_id = intake.register(organ_code=COUNTY, actor=CLERK, channel="letter",
                                  summary="反映某局长违规收受礼金", received_at=received,
                                  reporter=REPORTER).case_id
        anonymous = intake.register(organ_code=COUNTY, actor=CLERK, channel="web",
                                    summary="反映某村干部优亲厚友", received_at=received).case_id
        intake.accept(case_id, "accusation", actor=CLERK)
        drain(intake_relay)

        def opened() -> bool:
            consumer.poll_once()
            return bool(client.get(f"/cases/{case_id}/deadlines").json())

        wait_until(opened, timeout=20)
        consume_all(consumer)
        deadlines = client.get(f"/cases/{case_id}/deadlines").json()
        assert [d["kind"] for d in deadlines] == ["acceptance_notice"]
        assert deadlines[0]["status"] == "open" and deadlines[0]["level"] == "red"
        assert client.get(f"/cases/{anonymous}/deadlines").json() == []

        report = tick(supervision)
        assert [level for _, level in report.warnings] == ["red"]
        assert tick(supervision).warnings == []

        intake.notify_acceptance(case_id, "phone", None, actor=CLERK)
        drain(intake_relay)
        wait_until(lambda: consumer.poll_once() >= 0 and client.get(
            f"/cases/{case_id}/deadlines").json()[0]["status"] == "met", timeout=20)
        version = client.get(f"/cases/{case_id}/deadlines").json()[0]["version"]

        redeliver_all(kafka_bootstrap, intake_topic)
        consume_all(consumer)
        again = client.get(f"/cases/{case_id}/deadlines").json()
        assert len(again) == 1 and again[0]["version"] == version
        assert again[0]["days_late"] > 0
        overdue = client.get("/overdue", params={"organ": "6201"}).json()
        assert overdue == []

        drain(own_relay)
        published = [e for _, _, e, _ in read_topic(kafka_bootstrap, own_topic)]
        types = [e.type for e in published if e.case_id == again[0]["deadline_id"]]
        assert types == [SupervisionEvents.DEADLINE_OPENED, SupervisionEvents.DEADLINE_WARNED,
                         SupervisionEvents.DEADLINE_MET]
        assert first_broken_link(sorted(published, key=lambda e: (e.case_id, e.sequence))) \
            is None
        opened_event = next(e for e in published if e.type == SupervisionEvents.DEADLINE_OPENED)
        assert opened_event.payload["case_id"] == str(case_id)
        assert opened_event.payload["calendar_version"] == supervision.calendar.version
    finally:
        consumer.close()
        intake_relay.close()
        own_relay.close()
