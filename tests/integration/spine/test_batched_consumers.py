"""Consumers that take a poll's records of a partition as one batch: still exactly once in
effect, and a poison record does not hold back the records before it."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid

import pytest
from kafka import KafkaProducer

from infra.consumer import Consumer
from infra.eventstore import ServiceApplication
from infra.relay import Relay
from services.stats.application import StatsApplication

from .helpers import drain, read_topic, redeliver_all, register, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def intake(database_url: str, unique_schema: str) -> ServiceApplication:
    return ServiceApplication("intake", database_url, schema=unique_schema)


@pytest.fixture
def stats(database_url: str) -> StatsApplication:
    return StatsApplication(database_url, schema=f"t_{uuid.uuid4().hex[:12]}")


def batched(topic: str, bootstrap: str, stats: StatsApplication) -> Consumer:
    return Consumer(
        f"g-{uuid.uuid4().hex[:8]}", topic, bootstrap, stats.handle, handle_batch=stats.handle_batch
    )


def tracking(stats: StatsApplication) -> dict[str, int]:
    with stats.pool.connection() as conn:
        return dict(conn.execute("SELECT name, position FROM tracking").fetchall())


def test_a_batch_delivered_twice_is_counted_once(intake, stats, kafka_bootstrap, unique_topic):
    register(intake, 12)
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic)
    relay.start()
    drain(relay)
    consumer = batched(unique_topic, kafka_bootstrap, stats)

    def counted(n: int) -> bool:
        consumer.poll_once()
        return stats.case_count() >= n

    wait_until(lambda: counted(12))
    after_first = tracking(stats)
    # One tracking row per partition, at the last event of that partition.
    assert max(after_first.values()) == 12
    redeliver_all(kafka_bootstrap, unique_topic)
    wait_until(lambda: consumer.poll_once() == 0 and consumer.poll_once() == 0)
    assert stats.case_count() == 12
    assert tracking(stats) == after_first
    consumer.close()
    relay.close()


def test_a_poison_record_fails_alone_after_the_records_before_it_are_applied(
    intake, stats, kafka_bootstrap, unique_topic
):
    register(intake, 4)
    source = f"{unique_topic}.src"
    relay = Relay(intake, kafka_bootstrap, topic=source)
    relay.start()
    drain(relay)
    real = sorted(
        (e for _, _, e, _ in read_topic(kafka_bootstrap, source)), key=lambda e: e.notification_id
    )
    # A registration without its channel: the stats projection cannot apply it.
    poison = dataclasses.replace(
        real[2],
        case_id=str(uuid.uuid4()),
        payload={k: v for k, v in real[2].payload.items() if k != "channel"},
    )
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for envelope in (real[0], real[1], poison, real[2], real[3]):  # one partition, in order
        producer.send(unique_topic, value=envelope.to_json(), partition=0)
    producer.flush()
    producer.close()
    consumer = batched(unique_topic, kafka_bootstrap, stats)
    failures = 0
    for _ in range(20):
        try:
            consumer.poll_once()
        except KeyError:
            failures += 1
            consumer.close()  # as `run` does: reconnect, resume from the committed offset
        if failures >= 2:
            break
    assert failures == 2
    # The two records before the poison are applied once, whatever the retries; the poison
    # and what follows it on its partition are not.
    assert stats.case_count() == 2
    assert tracking(stats) == {f"{unique_topic}#0": real[1].notification_id}
    consumer.close()
    relay.close()


def test_an_idle_relay_is_woken_by_the_store(intake, kafka_bootstrap, unique_topic):
    # With an hour between polls, only the store's NOTIFY can make it publish.
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic, idle_wait=3600)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    worker.start()
    try:
        register(intake, 1)
        wait_until(lambda: relay.position == 1)
        time.sleep(0.5)  # let it go back to waiting on the channel
        register(intake, 2, start=2)
        wait_until(lambda: relay.position == 3)
        assert len(read_topic(kafka_bootstrap, unique_topic)) == 3
    finally:
        stop.set()
        # The stop flag is seen at the next wake-up: one more event wakes it.
        register(intake, 1, start=4)
        worker.join(30)
    assert not worker.is_alive()
