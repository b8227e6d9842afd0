"""After a full run, no reporter identity is in clear anywhere it could leak.

Registers real-name reports through the HTTP API (including refusals, a correction with a
new identity, a read of the identity and progress queries), publishes every stored event
to Kafka through the relay, then reads the raw tables of the intake schema, every Kafka
message with its headers, every captured log record and every span: none holds a
reporter's name, ID card number, phone number or address.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer, TopicPartition
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from infra.auth import signing_key
from infra.relay import Relay
from infra.telemetry import setup_telemetry
from tests.actors import staff
from tests.service_tokens import bearer

from .conftest import REPORTER, SECOND_REPORTER, make_intake, received

pytestmark = pytest.mark.integration

SECRETS = [
    REPORTER["name"],
    REPORTER["id_number"],
    REPORTER["phone"],
    REPORTER["address"],
    SECOND_REPORTER["name"],
    SECOND_REPORTER["id_number"],
    SECOND_REPORTER["phone"],
]


def forms(secret: str) -> list[bytes]:
    """The ways a secret could be written: UTF-8, and escaped inside JSON."""
    escaped = json.dumps(secret)[1:-1]
    return list({secret.encode(), escaped.encode(), secret.lower().encode()})


def leaks(blobs: Iterable[bytes | str]) -> list[str]:
    found = []
    for blob in blobs:
        data = blob.encode("utf-8", "replace") if isinstance(blob, str) else blob
        for secret in SECRETS:
            if any(form in data for form in forms(secret)):
                found.append(secret[:2] + "…")
    return found


def table_contents(database_url: str, schema: str) -> tuple[list[bytes | str], list[str]]:
    """Every value of every table of the schema, bytes kept as bytes."""
    blobs: list[bytes | str] = []
    with psycopg.connect(database_url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"'):
                for value in row:
                    blobs.append(
                        bytes(value) if isinstance(value, memoryview | bytes) else str(value)
                    )
    return blobs, tables


def topic_messages(bootstrap: str, topic: str, expected: int) -> list[Any]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning()
        records: list[Any] = []
        deadline = time.monotonic() + 20
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=300).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def test_no_reporter_identity_in_clear_after_a_full_run(
    database_url: str,
    kafka_bootstrap: str,
    unique_schema: str,
    unique_topic: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter = InMemorySpanExporter()
    setup_telemetry("baton-test", exporter=exporter)
    caplog.set_level(logging.DEBUG)
    app, intake, settings = make_intake(database_url, unique_schema, tmp_path)
    key = signing_key(settings)
    clerk = bearer(staff("clerk.li", "6201", "petition", "petition_clerk"), key=key)
    try:
        with TestClient(app) as client:
            _full_run(client, clerk, bearer(None, key=key))
        relay = Relay(intake, kafka_bootstrap, topic=unique_topic, partitions=1)
        relay.start()
        published = 0
        while batch := relay.publish_pending():
            published += batch
        relay.close()
    finally:
        intake.close()

    blobs, tables = table_contents(database_url, unique_schema)
    events_table = [t for t in tables if t.endswith("_events")]
    assert events_table, tables
    assert published == 9
    # Positive control: the sealed identity is stored (the reveal above opened it).
    assert any(isinstance(b, bytes) and b"sealed_reporter" in b and b"v1." in b for b in blobs)
    assert leaks(blobs) == [], "identity in clear in the intake schema"

    messages = topic_messages(kafka_bootstrap, unique_topic, published)
    assert len(messages) == published
    kafka_blobs: list[bytes | str] = [m.value for m in messages]
    kafka_blobs += [value for m in messages for _, value in (m.headers or [])]
    assert not any(b"sealed_" in m.value for m in messages)
    assert leaks(kafka_blobs) == [], "identity in clear on Kafka"

    log_blobs = [caplog.text] + [r.getMessage() for r in caplog.records]
    log_blobs += [repr(r.args) for r in caplog.records] + [repr(r.__dict__) for r in caplog.records]
    assert caplog.records, "logs were captured"
    assert leaks(log_blobs) == [], "identity in the logs"

    spans = exporter.get_finished_spans()
    assert any(s.attributes and s.attributes.get("baton.service") == "intake" for s in spans)
    span_blobs = [
        json.dumps(
            {
                "name": s.name,
                "attributes": dict(s.attributes or {}),
                "events": [(e.name, dict(e.attributes or {})) for e in s.events],
                "status": str(s.status.description),
            },
            ensure_ascii=False,
            default=str,
        )
        for s in spans
    ]
    assert leaks(span_blobs) == [], "identity in spans"


def _full_run(client: TestClient, actor: dict[str, str], reporter: dict[str, str]) -> None:

    def post(path: str, body: dict[str, Any], status: int = 200) -> Any:
        response = client.post(path, json=body, headers=actor)
        assert response.status_code == status, response.text
        assert leaks([response.text]) == [] or path.endswith("/reveal")
        return response.json()

    base = {"organ_code": "6201", "summary": "反映某局长违规收受礼金", "received_at": received()}
    first = post("/petitions", {**base, "channel": "letter", "reporter": REPORTER}, 201)
    second = post("/petitions", {**base, "channel": "web", "reporter": SECOND_REPORTER}, 201)
    # Refusals that carry identity must not echo it.
    post(
        "/petitions",
        {
            **base,
            "channel": "letter",
            "reporter": {**REPORTER, "id_number": REPORTER["id_number"][:-1] + "0"},
        },
        422,
    )
    post(
        "/petitions",
        {**base, "channel": "letter", "reporter": {**REPORTER, "phone": REPORTER["phone"] * 3}},
        422,
    )
    case = f"/petitions/{first['case_id']}"
    post(f"{case}/screening/real-name-check", {"method": "by_phone"})
    post(f"{case}/screening/accept", {"report_type": "accusation"})
    post(f"{case}/acceptance-notification", {"method": "sms"})
    post(f"{case}/corrections", {"reason": "身份信息登记有误", "reporter": SECOND_REPORTER})
    post(f"{case}/corrections", {"reason": "再次更正", "reporter": REPORTER})
    opened = post(f"{case}/reporter/reveal", {"purpose": "核实"})
    assert opened["id_number"] == REPORTER["id_number"]
    post(
        f"/petitions/{second['case_id']}/screening/divert",
        {"department": "区信访局", "explanation": "不属于受理范围"},
    )
    for code in (first["receipt_code"], second["receipt_code"], "A" * 24):
        client.post("/public/progress", json={"receipt_code": code}, headers=reporter)
    assert client.get(case, headers=actor).status_code == 200
