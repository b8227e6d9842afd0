"""A record a consumer cannot apply is dead-lettered with its reason and raw record, and
the consumer goes on; after a fix an administrator's retry applies it once; transient
faults of the database or the broker are retried with backoff and never dead-lettered."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaConnectionError

from domain import contracts
from domain.contracts import Envelope
from infra.audit.envelopes import signature_headers
from infra.audit.wiring import guard_for
from infra.consumer import Consumer
from infra.deadletter import DeadLetters, schema_of
from infra.eventstore import ServiceApplication
from infra.relay import Relay
from infra.settings import Settings
from services.stats.application import StatsApplication

from ..audit.test_quarantine import forged_registration
from .helpers import drain, register, wait_until

pytestmark = pytest.mark.integration


@dataclass
class Line:
    """intake's store and relay; stats consuming intake's topic through a guard, with
    dead letters; `handle` lets a test put faults in front of stats' handler."""

    settings: Settings
    intake: ServiceApplication
    relay: Relay
    stats: StatsApplication
    consumer: Consumer
    letters: DeadLetters
    topic: str
    faults: list[BaseException]
    poisoned: set[str]

    def consume(self, rounds: int = 8) -> None:
        for _ in range(rounds):
            self.consumer.poll_once()

    def handle(self, envelope: Envelope, tracking: str) -> None:
        if self.faults:
            raise self.faults.pop(0)
        if envelope.case_id in self.poisoned:
            raise KeyError(f"no rule for case {envelope.case_id}")
        self.stats.handle(envelope, tracking)

    def publish_signed(self, envelope_data: dict[str, Any]) -> None:
        value = contracts.canonical_json(envelope_data)
        key = self.settings.audit_keys().signer("intake")
        producer = KafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        headers = signature_headers(key, self.topic, value)
        producer.send(
            self.topic,
            key=str(envelope_data["case_id"]).encode(),
            value=value,
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
        producer.flush()
        producer.close()


@pytest.fixture
def line(database_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Line]:
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        baton_namespace=f"d{uuid.uuid4().hex[:6]}_",
        baton_audit_key_dir=tmp_path,
    )
    intake = ServiceApplication("intake", database_url, schema=settings.schema_of("intake"))
    topic = settings.topic_of("intake")
    relay = Relay(
        intake, kafka_bootstrap, topic=topic, signer=settings.audit_keys().signer("intake")
    )
    relay.start()
    stats = StatsApplication(database_url, settings.schema_of("stats"))
    letters = DeadLetters(database_url, schema_of(settings.baton_namespace))
    name = f"{settings.baton_namespace}stats"
    built = Line(settings, intake, relay, stats, None, letters, topic, [], set())  # type: ignore[arg-type]
    built.consumer = Consumer(
        name,
        topic,
        kafka_bootstrap,
        built.handle,
        service="stats",
        guard=guard_for(settings, "stats", name, "intake"),
        dead_letters=letters,
    )
    register(intake, 2)
    drain(relay)
    built.consume()
    assert stats.case_count() == 2
    try:
        yield built
    finally:
        built.consumer.close()
        letters.close()
        relay.close()
        stats.close()
        intake.close()


def test_an_unknown_version_is_dead_lettered_shown_and_applied_once_after_the_fix(
    line: Line, monkeypatch: pytest.MonkeyPatch
) -> None:
    newer = dataclasses.asdict(forged_registration(notification_id=70))
    newer["schema_version"] = 2  # a newer intake than this consumer knows
    line.publish_signed(newer)
    line.consume()
    [letter] = line.letters.list()
    assert (letter.reason_code, letter.status, letter.consumer) == (
        "envelope_unknown_version",
        "dead",
        f"{line.settings.baton_namespace}stats",
    )
    assert letter.record.topic == line.topic and letter.record.key == newer["case_id"].encode()
    assert letter.record.value == contracts.canonical_json(newer)
    assert dict(letter.record.headers)["baton-signature"]
    assert line.consumer.guard is not None and line.consumer.guard.quarantined() == []
    assert line.letters.counts()["dead"] == 1
    assert line.stats.case_count() == 2
    register(line.intake, 1, start=3)  # the consumer goes on
    drain(line.relay)
    line.consume()
    assert line.stats.case_count() == 3

    monkeypatch.setitem(contracts.UPCASTERS, 2, lambda data: {**data, "schema_version": 1})
    retried = line.letters.request_retry(letter.id)
    assert retried is not None and retried.status == "retry"
    assert line.consumer.retry_dead_letters(every=0) == 1
    after = line.letters.get(letter.id)
    assert after is not None and (after.status, after.attempts) == ("retried", 1)
    assert line.stats.case_count() == 4
    # A second retry (the mark refused, or the handler run again) changes nothing.
    assert line.letters.request_retry(letter.id).status == "retried"  # type: ignore[union-attr]
    line.consumer._reapply(after)
    assert line.stats.case_count() == 4


def test_a_handler_failure_is_dead_lettered_and_the_case_goes_on(line: Line) -> None:
    first = forged_registration(notification_id=80)
    line.poisoned.add(first.case_id)
    line.publish_signed(dataclasses.asdict(first))
    second = dataclasses.replace(
        first,
        event_id=contracts.event_id_for("intake", first.case_id, 2),
        type="Petition.Accepted",
        sequence=2,
        payload={"organ_code": "620102", "actor": "clerk-zhang", "report_type": "accusation"},
        notification_id=81,
    ).sealed(first.hash)
    line.consume()
    [letter] = line.letters.list()
    assert (letter.reason_code, letter.status) == ("handler_failed", "dead")
    assert "KeyError" in letter.reason
    line.poisoned.clear()  # the fix
    line.publish_signed(dataclasses.asdict(second))
    line.consume()
    # The chain moved past the dead letter: the next link is applied, not quarantined.
    assert line.consumer.guard is not None and line.consumer.guard.quarantined() == []
    line.letters.request_retry(letter.id)
    assert line.consumer.retry_dead_letters(every=0) == 1
    assert line.stats.case_count() == 3
    # A retry that fails again goes back to `dead` with the new reason.
    third = dataclasses.replace(second, sequence=3, notification_id=82).sealed(second.hash)
    line.poisoned.add(first.case_id)
    line.publish_signed(dataclasses.asdict(third))
    line.consume()
    newest = line.letters.list()[0]
    line.letters.request_retry(newest.id)
    assert line.consumer.retry_dead_letters(every=0) == 0
    again = line.letters.get(newest.id)
    assert again is not None and (again.status, again.attempts) == ("dead", 1)
    discarded = line.letters.discard(newest.id)
    assert discarded is not None and discarded.status == "discarded"
    assert line.letters.counts() == {"dead": 0, "retry": 0, "retried": 1, "discarded": 1}


def test_transient_faults_are_retried_with_backoff_and_never_dead_lettered(line: Line) -> None:
    line.faults.extend(
        [
            psycopg.OperationalError("connection refused"),
            KafkaConnectionError("broker gone"),
            psycopg.OperationalError("server closed the connection unexpectedly"),
        ]
    )
    register(line.intake, 3, start=3)
    drain(line.relay)
    stop = threading.Event()
    worker = threading.Thread(target=line.consumer.run, args=(stop,), daemon=True)
    worker.start()
    try:
        wait_until(lambda: line.stats.case_count() == 5, timeout=30)
    finally:
        stop.set()
        worker.join(15)
    assert line.faults == []
    assert line.letters.list() == []
