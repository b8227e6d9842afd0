"""Shared steps of the spine's integration tests."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from domain.contracts import Envelope
from domain.petition import Petition, ReportDescription
from infra.eventstore import ServiceApplication
from infra.relay import Relay

CHINA = dt.timezone(dt.timedelta(hours=8))
RECEIVED = dt.datetime(2026, 11, 2, 9, 30, tzinfo=CHINA)


def register(app: ServiceApplication, count: int, organ: str = "620102", start: int = 1) -> list:
    """Store `count` registrations the way intake does, without the HTTP layer."""
    ids = []
    for n in range(start, start + count):
        registered_at = RECEIVED + dt.timedelta(hours=1)
        petition = Petition.register(
            organ_code=organ,
            actor="clerk-zhang",
            registration_number=f"{organ}-2026-{n:06d}",
            registered_at=registered_at,
            description=ReportDescription.create(
                channel="letter" if n % 2 else "web",
                received_at=RECEIVED,
                registered_at=registered_at,
                summary=f"反映某村干部虚报冠名领取补贴 #{n}",
            ),
        )
        app.save(petition)
        ids.append(petition.id)
    return ids


def drain(relay: Relay) -> int:
    """Publish until the relay finds nothing more; returns how many went out."""
    total = 0
    while published := relay.publish_pending():
        total += published
    return total


def redeliver_all(bootstrap: str, topic: str) -> None:
    """Send every message on the topic a second time, byte for byte, headers included."""
    send_again(bootstrap, topic, read_topic(bootstrap, topic))


def send_again(
    bootstrap: str, topic: str, records: list[tuple[int, int, Envelope, dict]]
) -> None:
    """Send these records (as `read_topic` gives them) to their partitions once more."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for partition, _, envelope, headers in records:
        producer.send(
            topic,
            key=envelope.case_id.encode(),
            value=envelope.to_json(),
            partition=partition,
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
    producer.flush()
    producer.close()


def wait_until(condition: Callable[[], bool], timeout: float = 15.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


def read_topic(
    bootstrap: str, topic: str, timeout: float = 5.0
) -> list[tuple[int, int, Envelope, dict]]:
    """Everything on the topic now: (partition, offset, envelope, headers)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning()
        out: list[tuple[int, int, Envelope, dict]] = []
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline and quiet < 3:
            batch = consumer.poll(timeout_ms=300)
            quiet = 0 if batch else quiet + 1
            for tp, records in batch.items():
                for r in records:
                    headers = {k: v.decode() for k, v in r.headers or []}
                    out.append((tp.partition, r.offset, Envelope.from_json(r.value), headers))
        return sorted(out, key=lambda item: (item[0], item[1]))
    finally:
        consumer.close()
