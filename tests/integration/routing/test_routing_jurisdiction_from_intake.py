"""Jurisdiction for a case opened from intake: the reported persons travel on Accepted.

Intake registers a report at a township naming a cadre (the cadre level is added by a
correction before screening), accepts it, and the relay publishes `Petition.Accepted` on
`intake.events` with the reported persons as corrected, but never the reporter. Routing
opens the case from that envelope and suggests who should handle it, and why.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from domain.petition import ReporterIdentity
from infra.consumer import Consumer
from infra.relay import Relay
from services.intake.application import IntakeApplication
from services.routing.application import RoutingApplication
from tests.actors import staff

from ..spine.helpers import drain, read_topic, wait_until
from .conftest import consume_all, new_name

pytestmark = pytest.mark.integration

COUNTY, TOWNSHIP = "620102", "620102001"
REPORTER = ReporterIdentity.create("张晓梅", "620102198001011239", "13919876543", "兰州")


def test_a_county_managed_cadre_reported_at_a_township_is_suggested_for_the_county(
    intake: IntakeApplication,
    routing: RoutingApplication,
    client: TestClient,
    kafka_bootstrap: str,
) -> None:
    topic = new_name("t_in") + ".events"
    relay = Relay(intake, kafka_bootstrap, topic=topic, check_interval=0)
    relay.start()
    consumer = Consumer(new_name("routing"), topic, kafka_bootstrap, routing.handle)
    try:
        case_id = intake.register(
            organ_code=TOWNSHIP,
            actor=staff("登记员", TOWNSHIP, "petition", "petition_clerk"),
            channel="letter",
            summary="反映区交通局某科长2023年春节收受礼金2万元",
            received_at=datetime.now(UTC) - timedelta(days=1),
            reporter=REPORTER,
            reported_persons=[{"name": "张某某", "unit": "城关区交通运输局", "position": "科长"}],
        ).case_id
        intake.correct(
            case_id,
            "补录干部管理权限",
            {
                "reported_persons": [
                    {
                        "name": "张某某",
                        "unit": "城关区交通运输局",
                        "position": "副局长",
                        "cadre_level": "county_managed",
                    }
                ]
            },
            actor=staff("登记员", TOWNSHIP, "petition", "petition_clerk"),
        )
        intake.accept(
            case_id, "accusation", actor=staff("王信访", TOWNSHIP, "petition", "petition_clerk")
        )
        drain(relay)
        wait_until(
            lambda: (
                consumer.poll_once() >= 0 and client.get(f"/cases/{case_id}").status_code == 200
            ),
            timeout=20,
        )
        consume_all(consumer)

        answer = client.get(f"/cases/{case_id}/jurisdiction")
        assert answer.status_code == 200, answer.text
        suggestion = answer.json()
        assert suggestion["organ_code"] == COUNTY
        assert suggestion["office"] == "supervision"
        assert suggestion["action"] == "report_up" and suggestion["next_hop"] == COUNTY
        assert suggestion["deciding_person"] == "张某某" and not suggestion["needs_review"]
        assert "县管干部" in suggestion["reason_zh"] and "报送" in suggestion["reason_zh"]
        assert "county-managed cadre" in suggestion["reason_en"]
        assert "report up" in suggestion["reason_en"]

        # What crossed the broker: the persons as corrected, never the reporter.
        accepted = [
            envelope
            for _, _, envelope, _ in read_topic(kafka_bootstrap, topic)
            if envelope.type == "Petition.Accepted" and envelope.case_id == str(case_id)
        ]
        assert len(accepted) == 1
        assert accepted[0].payload["reported_persons"] == [
            {
                "name": "张某某",
                "unit": "城关区交通运输局",
                "position": "副局长",
                "cadre_level": "county_managed",
            }
        ]
        published = str(accepted[0].payload)
        for secret in ("张晓梅", "620102198001011239", "13919876543"):
            assert secret not in published
    finally:
        consumer.close()
        relay.close()
