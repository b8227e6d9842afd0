"""Spine benchmarks: each figure is printed beside a baseline measured in the same run.

- store: saving a registration through the event store vs a bare INSERT of the same bytes;
- relay: publishing stored events as chained envelopes vs a bare producer sending them;
- consume: the stats handler (effects + tracking in one transaction) vs a bare INSERT.

Run with `make bench`. Nothing here asserts a speed; it prints figures and ratios.
"""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from kafka import KafkaProducer

from infra.eventstore import ServiceApplication, connect, ensure_schema
from infra.relay import Relay
from services.stats.application import StatsApplication

from ..integration.spine.helpers import read_topic, register

N = 300


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def report(name: str, measured: float, baseline: float, unit: str = "ops/s") -> None:
    print(
        f"\n[bench] {name:<8} {measured:10.1f} {unit}   baseline {baseline:10.1f} {unit}"
        f"   ratio {measured / baseline:6.2f}"
    )


@pytest.fixture
def intake(database_url: str) -> ServiceApplication:
    return ServiceApplication("intake", database_url, schema=f"b_{uuid.uuid4().hex[:10]}")


def test_bench_store_relay_consume(intake, database_url, kafka_bootstrap):
    # store
    started = time.perf_counter()
    register(intake, N)
    store = rate(N, time.perf_counter() - started)

    schema = f"b_{uuid.uuid4().hex[:10]}"
    ensure_schema(database_url, schema)
    payload = intake.recorder.select_notifications(start=1, limit=1)[0].state
    with connect(database_url, schema) as conn:
        conn.execute("CREATE TABLE raw (id bigserial PRIMARY KEY, state bytea)")
    with psycopg.connect(database_url, options=f"-c search_path={schema}") as conn:
        started = time.perf_counter()
        for _ in range(N):
            conn.execute("INSERT INTO raw (state) VALUES (%s)", (payload,))
            conn.commit()
        elapsed = time.perf_counter() - started
    report("store", store, rate(N, elapsed))

    # relay
    topic = f"b_{uuid.uuid4().hex[:10]}.events"
    relay = Relay(intake, kafka_bootstrap, topic=topic)
    relay.start()
    started = time.perf_counter()
    while relay.publish_pending():
        pass
    relayed = rate(N, time.perf_counter() - started)
    records = read_topic(kafka_bootstrap, topic)
    assert len(records) == N
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=5)
    baseline_topic = f"b_{uuid.uuid4().hex[:10]}.raw"
    started = time.perf_counter()
    for _, _, envelope, _ in records:
        producer.send(baseline_topic, key=envelope.case_id.encode(), value=envelope.to_json())
    producer.flush()
    report("relay", relayed, rate(N, time.perf_counter() - started))
    producer.close()
    relay.close()

    # consume
    stats = StatsApplication(database_url, schema=f"b_{uuid.uuid4().hex[:10]}")
    envelopes = [(envelope, f"{topic}#{p}") for p, _, envelope, _ in records]
    started = time.perf_counter()
    for envelope, name in envelopes:
        stats.handle(envelope, name)
    consumed = rate(N, time.perf_counter() - started)
    assert stats.case_count() == N
    with psycopg.connect(database_url, options=f"-c search_path={schema}") as conn:
        started = time.perf_counter()
        for envelope, _ in envelopes:
            conn.execute("INSERT INTO raw (state) VALUES (%s)", (envelope.to_json(),))
            conn.commit()
        elapsed = time.perf_counter() - started
    report("consume", consumed, rate(N, elapsed))
    stats.close()
