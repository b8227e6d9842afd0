"""After a story through the services with the gateway's tokens, no service token and no
reporter identity is in the logs, the spans, Kafka, the access log or any table.

The story: a real-name report with an attachment is registered, read, its reporter
revealed and its attachment downloaded, refused to a sibling county, accepted, opened in
routing from intake's topic, reported up and signed off; both stores are relayed to Kafka.
Passwords and session ids never reach a service (the gateway keeps them); the gateway's own
scan is in tests/integration/gateway.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from infra.consumer import Consumer
from infra.relay import Relay
from infra.telemetry import setup_telemetry
from tests.actors import staff
from tests.service_tokens import token

from ..intake.test_intake_confidentiality import table_contents, topic_messages
from ..spine.helpers import drain, wait_until
from .conftest import COUNTY, REPORTER, running_platform

pytestmark = pytest.mark.integration


def test_no_token_and_no_identity_anywhere_after_a_story(
    database_url: str,
    kafka_bootstrap: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter = InMemorySpanExporter()
    setup_telemetry("baton-authz", exporter=exporter)
    caplog.set_level(logging.DEBUG)
    issued: list[str] = []

    def as_(username: str, organ: str = COUNTY, role: str = "petition_clerk") -> dict[str, str]:
        issued.append(token(staff(username, organ, "petition", role)))
        return {"Authorization": f"Bearer {issued[-1]}"}

    suffix = tmp_path.name[-8:]
    topics = {name: f"t_{name}_{suffix}.events" for name in ("intake", "routing")}
    with running_platform(database_url, tmp_path / "files") as p:
        case = f"/petitions/{p.petition}"
        assert p.intake.get(case, headers=as_("clerk.a")).status_code == 200
        revealed = p.intake.post(
            f"{case}/reporter/reveal", json={"purpose": "核实"}, headers=as_("clerk.a")
        )
        assert revealed.json()["id_number"] == REPORTER["id_number"]
        download = p.intake.get(f"{case}/attachments/{p.attachment}", headers=as_("clerk.a"))
        assert download.status_code == 200
        sibling = p.intake.get(case, headers=as_("clerk.b", organ="620103"))
        assert sibling.status_code == 404
        accepted = p.intake.post(
            f"{case}/screening/accept", json={"report_type": "accusation"}, headers=as_("clerk.a")
        )
        assert accepted.status_code == 200, accepted.text
        relays = {
            name: Relay(app, kafka_bootstrap, topic=topics[name], check_interval=0)
            for name, app in (("intake", p.intake_app), ("routing", p.routing_app))
        }
        relays["intake"].start()
        drain(relays["intake"])
        consumer = Consumer(
            f"authz-{suffix}", topics["intake"], kafka_bootstrap, p.routing_app.handle
        )
        try:
            wait_until(
                lambda: (
                    consumer.poll_once() >= 0
                    and p.routing.get(f"/cases/{p.petition}", headers=as_("clerk.a")).status_code
                    == 200
                ),
                timeout=20,
            )
        finally:
            consumer.close()
        base = f"/cases/{p.petition}/transfers"
        proposed = p.routing.post(
            base, json={"kind": "report_up", "reason": "市管干部", "to_organ": "6201"},
            headers=as_("clerk.a"),
        )  # fmt: skip
        assert proposed.status_code == 201, proposed.text
        tid = proposed.json()["pending_transfer"]["id"]
        signed = p.routing.post(
            f"{base}/{tid}/approve", json={}, headers=as_("lead", role="leader")
        )
        assert signed.status_code == 200, signed.text
        relays["routing"].start()
        drain(relays["routing"])
        drain(relays["intake"])
        for relay in relays.values():
            relay.close()
        messages = [
            m
            for name, expected in (("intake", 4), ("routing", 3))
            for m in topic_messages(kafka_bootstrap, topics[name], expected)
        ]
        assert len(messages) >= 7
        blobs: list[Any] = [m.value for m in messages]
        blobs += [json.dumps(m.headers, default=str) for m in messages]
        for schema in p.schemas.values():
            blobs += table_contents(database_url, schema)[0]
        access_rows = table_contents(database_url, p.schemas["access"])[0]
        assert any("reveal" in str(b) for b in access_rows)  # positive control
    blobs += [record.getMessage() for record in caplog.records]
    blobs += [str(record.__dict__) for record in caplog.records]
    blobs += [
        json.dumps({"name": s.name, "attributes": dict(s.attributes or {})}, default=str)
        for s in exporter.get_finished_spans()
    ]
    assert exporter.get_finished_spans()  # positive control: spans were captured
    secrets = [t.split(".")[-1] for t in issued] + [t for t in issued]
    secrets += [REPORTER["name"], REPORTER["id_number"], REPORTER["phone"]]
    found = [
        secret[:6] + "…"
        for secret in secrets
        for blob in blobs
        if secret.encode() in (blob if isinstance(blob, bytes) else str(blob).encode())
    ]
    assert found == [], "a token or the reporter's identity leaked"
