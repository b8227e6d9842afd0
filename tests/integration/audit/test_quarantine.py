"""Forged, replayed and reordered records on a topic are quarantined with their reason and
change no read model and no tracking position; real events keep flowing after them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kafka import KafkaProducer

from domain.contracts import GENESIS_HASH, Envelope, event_id_for
from infra.audit.envelopes import signature_headers
from infra.audit.wiring import guard_for
from infra.consumer import Consumer
from infra.eventstore import ServiceApplication
from infra.relay import Relay
from infra.settings import Settings
from services.stats.application import StatsApplication

from ..spine.helpers import drain, read_topic, register

pytestmark = pytest.mark.integration


@dataclass
class Line:
    """intake's store, its relay, and stats consuming intake's topic through a guard."""

    settings: Settings
    intake: ServiceApplication
    relay: Relay
    stats: StatsApplication
    consumer: Consumer
    topic: str

    def consume(self, rounds: int = 8) -> None:
        for _ in range(rounds):
            self.consumer.poll_once()

    def tracking(self) -> dict[str, int]:
        with self.stats.pool.connection() as conn:
            return dict(conn.execute("SELECT name, position FROM tracking").fetchall())

    def produce(self, value: bytes, key: str, headers: dict[str, str] | None = None) -> None:
        producer = KafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        producer.send(
            self.topic,
            key=key.encode(),
            value=value,
            headers=[(k, v.encode()) for k, v in (headers or {}).items()],
        )
        producer.flush()
        producer.close()

    def reasons(self) -> list[str]:
        assert self.consumer.guard is not None
        return [row["reason"] for row in self.consumer.guard.quarantined()]


@pytest.fixture(params=["one by one", "batched"])
def line(
    database_url: str, kafka_bootstrap: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Line]:
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        baton_namespace=f"q{uuid.uuid4().hex[:6]}_",
        baton_audit_key_dir=tmp_path,
    )
    intake = ServiceApplication("intake", database_url, schema=settings.schema_of("intake"))
    topic = settings.topic_of("intake")
    relay = Relay(
        intake, kafka_bootstrap, topic=topic, signer=settings.audit_keys().signer("intake")
    )
    relay.start()
    stats = StatsApplication(database_url, settings.schema_of("stats"))
    name = f"{settings.baton_namespace}stats"
    consumer = Consumer(
        name,
        topic,
        kafka_bootstrap,
        stats.handle,
        guard=guard_for(settings, "stats", name, "intake"),
        handle_batch=stats.handle_batch if request.param == "batched" else None,
    )
    register(intake, 2)
    drain(relay)
    built = Line(settings, intake, relay, stats, consumer, topic)
    built.consume()
    assert stats.case_count() == 2
    try:
        yield built
    finally:
        consumer.close()
        relay.close()
        stats.close()
        intake.close()


def forged_registration(notification_id: int) -> Envelope:
    case_id = str(uuid.uuid4())
    return Envelope(
        event_id=event_id_for("intake", case_id, 1),
        type="Petition.Registered",
        case_id=case_id,
        sequence=1,
        organ_code="620102",
        actor="clerk-zhang",
        occurred_at=dt.datetime.now(dt.UTC).isoformat(),
        source="intake",
        payload={
            "organ_code": "620102",
            "actor": "clerk-zhang",
            "channel": "web",
            "received_at": dt.datetime.now(dt.UTC).isoformat(),
            "registration_number": "620102-2026-999999",
        },
        notification_id=notification_id,
    ).sealed(GENESIS_HASH)


def test_a_forged_unsigned_registration_is_quarantined_and_not_counted(line: Line, capsys):
    from deploy.cli import main as baton

    namespace = line.settings.baton_namespace
    assert baton(["quarantine", "--namespace", namespace]) == 0
    before = line.tracking()
    forged = forged_registration(notification_id=3)
    line.produce(forged.to_json(), forged.case_id)
    line.consume()
    assert line.reasons() == ["unsigned"]
    assert line.stats.case_count() == 2
    assert line.tracking() == before
    capsys.readouterr()
    assert baton(["quarantine", "--namespace", namespace]) == 1
    out = capsys.readouterr().out
    assert f"1  unsigned       {namespace}stats ← {line.topic}" in out
    assert out.rstrip().endswith("1 quarantined")


def test_a_forged_huge_notification_id_moves_no_tracking_and_skips_no_real_event(line: Line):
    before = line.tracking()
    forged = forged_registration(notification_id=10**12)
    value = forged.to_json()
    wrong_key = Ed25519PrivateKey.generate()
    line.produce(value, forged.case_id, signature_headers(wrong_key, line.topic, value))
    line.consume()
    assert line.reasons() == ["bad_signature"]
    assert line.tracking() == before
    register(line.intake, 1, start=3)  # the next real event still arrives and counts
    drain(line.relay)
    line.consume()
    assert line.stats.case_count() == 3
    assert max(line.tracking().values()) == 3


def test_a_replayed_real_record_is_quarantined_and_changes_nothing(line: Line):
    records = read_topic(line.settings.kafka_bootstrap_servers or "", line.topic)
    assert records
    partition, _, envelope, headers = records[0]
    before = (line.tracking(), line.stats.case_count())
    line.produce(envelope.to_json(), envelope.case_id, headers)
    line.consume()
    assert line.reasons() == ["replayed"]
    assert (line.tracking(), line.stats.case_count()) == before


def test_a_redelivery_from_an_earlier_offset_is_skipped_not_quarantined(line: Line):
    """A consumer that died before committing its offsets reads its records again."""
    before = (line.tracking(), line.stats.case_count())
    kafka = line.consumer.kafka
    for tp in kafka.assignment():
        kafka.seek_to_beginning(tp)
    line.consume()
    assert line.reasons() == []
    assert line.consumer.guard is not None and line.consumer.guard.redelivered >= 2
    assert (line.tracking(), line.stats.case_count()) == before


def test_a_reordered_case_is_quarantined_from_the_gap_on(line: Line):
    # Signed with intake's own key: even the right signer cannot skip a link.
    key = line.settings.audit_keys().signer("intake")
    first = forged_registration(notification_id=50)
    second = dataclasses.replace(
        first,
        event_id=event_id_for("intake", first.case_id, 2),
        type="Petition.Accepted",
        sequence=2,
        payload={"organ_code": "620102", "actor": "clerk-zhang", "report_type": "accusation"},
        notification_id=51,
    ).sealed(first.hash)
    third = dataclasses.replace(second, sequence=3, notification_id=52).sealed(second.hash)
    for envelope in (first, third, second):
        value = envelope.to_json()
        line.produce(value, envelope.case_id, signature_headers(key, line.topic, value))
    line.consume()
    assert line.reasons() == ["out_of_order"]
    assert line.stats.case_count() == 3  # the first and second links applied
    with line.stats.pool.connection() as conn:
        status = conn.execute(
            "SELECT stage, report_type FROM case_fact WHERE case_id = %s", (first.case_id,)
        ).fetchone()
    assert status == ("accepted", "accusation")


def test_a_record_moved_from_another_topic_is_quarantined(line: Line):
    key = line.settings.audit_keys().signer("intake")
    forged = forged_registration(notification_id=60)
    value = forged.to_json()
    line.produce(value, forged.case_id, signature_headers(key, "other.events", value))
    line.consume()
    assert line.reasons() == ["bad_signature"]
    assert line.stats.case_count() == 2


def test_in_a_topic_made_anew_a_link_applied_before_is_skipped_at_any_offset(line: Line):
    """The broker lost the topic and the relay republished the store into a new one: its
    offsets say nothing of the old topic's, so a link applied before is a redelivery
    wherever it lies, while a replay in the topic the consumer has read all along is not."""
    records = read_topic(line.settings.kafka_bootstrap_servers or "", line.topic)
    partition, _, envelope, headers = records[0]
    assert line.consumer.guard is not None
    line.consumer.guard.topic_anew({partition})
    before = (line.tracking(), line.stats.case_count())
    line.produce(envelope.to_json(), envelope.case_id, headers)
    line.consume()
    assert line.reasons() == []
    assert (line.tracking(), line.stats.case_count()) == before
