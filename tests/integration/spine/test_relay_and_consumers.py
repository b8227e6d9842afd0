"""The spine's guarantees: the relay publishes every stored event at least once, and a
consumer counts each exactly once, through duplicates, crashes and a broker that forgot."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import OffsetAndMetadata

from domain.contracts import first_broken_link
from infra import consumer as consumer_module
from infra.consumer import Consumer
from infra.embedded import EmbeddedBroker, free_port
from infra.eventstore import ServiceApplication
from infra.relay import Relay, ensure_topic
from services.stats.application import StatsApplication

from .helpers import drain, read_topic, redeliver_all, register, wait_until

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent


@pytest.fixture
def intake(database_url: str, unique_schema: str) -> ServiceApplication:
    return ServiceApplication("intake", database_url, schema=unique_schema)


@pytest.fixture
def stats(database_url: str) -> StatsApplication:
    return StatsApplication(database_url, schema=f"t_{uuid.uuid4().hex[:12]}")


def consume_until(consumer: Consumer, stats: StatsApplication, expected: int) -> None:
    def done() -> bool:
        consumer.poll_once()
        return stats.case_count() >= expected

    wait_until(done)
    consumer.poll_once()  # anything extra would show up now


def totals(stats: StatsApplication) -> int:
    import datetime as dt

    return stats.organ_stats("62", dt.date(2026, 1, 1), dt.date(2026, 12, 31))["total"]


def test_each_event_is_published_once_in_order_with_an_intact_chain(
    intake, kafka_bootstrap, unique_topic
):
    ids = register(intake, 6)
    for case_id in ids[:3]:
        petition = intake.repository.get(case_id)
        petition.accept("accusation", actor="clerk-zhang", at=petition.registered_at)
        intake.save(petition)
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic, check_interval=0)
    relay.start()
    assert drain(relay) == 9
    assert drain(relay) == 0

    records = read_topic(kafka_bootstrap, unique_topic)
    envelopes = [envelope for _, _, envelope, _ in records]
    assert len(envelopes) == 9
    assert first_broken_link(sorted(envelopes, key=lambda e: e.notification_id)) is None
    by_case = {}
    for partition, _, envelope, _ in records:
        by_case.setdefault(envelope.case_id, set()).add(partition)
    assert all(len(parts) == 1 for parts in by_case.values()), "one case, one partition"
    assert {e.type for e in envelopes} == {"Petition.Registered", "Petition.Accepted"}
    assert all(not key.startswith("sealed_") for e in envelopes for key in e.payload)


def test_the_same_message_delivered_twice_is_counted_once(
    intake, stats, kafka_bootstrap, unique_topic
):
    register(intake, 4)
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic)
    relay.start()
    drain(relay)
    consumer = Consumer(f"g-{uuid.uuid4().hex[:8]}", unique_topic, kafka_bootstrap, stats.handle)
    consume_until(consumer, stats, 4)
    assert totals(stats) == 4

    redeliver_all(kafka_bootstrap, unique_topic)
    wait_until(lambda: consumer.poll_once() == 0 and consumer.poll_once() == 0)
    assert totals(stats) == 4
    assert stats.case_count() == 4
    consumer.close()


def test_a_consumer_killed_between_database_and_offset_commit_resumes_exactly(
    intake, stats, kafka_bootstrap, unique_topic, database_url
):
    register(intake, 5)
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic)
    relay.start()
    drain(relay)
    group = f"g-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
    }
    crashed = subprocess.run(
        [
            sys.executable,
            str(HERE / "crashing_consumer.py"),
            group,
            unique_topic,
            stats.schema,
            "3",
        ],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert crashed.returncode == 9, crashed.stderr.decode()[-2000:]
    # It died right after its third database commit, before committing any offset.
    assert stats.case_count() == 3

    restarted = Consumer(group, unique_topic, kafka_bootstrap, stats.handle)
    consume_until(restarted, stats, 5)
    assert stats.case_count() == 5
    assert totals(stats) == 5
    restarted.close()


def four_cases_through(
    intake: ServiceApplication, stats: StatsApplication, bootstrap: str, topic: str
) -> tuple[Relay, Consumer]:
    """Four registrations published by a relay that checks the topic before every batch,
    and counted by a consumer of a group of its own."""
    register(intake, 4)
    relay = Relay(intake, bootstrap, topic=topic, check_interval=0)
    relay.start()
    drain(relay)
    consumer = Consumer(f"g-{uuid.uuid4().hex[:8]}", topic, bootstrap, stats.handle)
    consume_until(consumer, stats, 4)
    return relay, consumer


def test_an_empty_broker_gets_everything_again_and_counts_stay_exact(
    intake, stats, unique_topic, tmp_path
):
    port = free_port()
    broker = EmbeddedBroker(port, tmp_path / "broker.log").start()
    try:
        relay, consumer = four_cases_through(intake, stats, broker.bootstrap, unique_topic)

        broker.stop()
        broker = EmbeddedBroker(port, tmp_path / "broker.log").start()  # empty again
        register(intake, 2, start=5)
        relay.close()  # its connections died with the broker
        assert drain(relay) == 6  # found its topic gone: everything, from the first event

        envelopes = [e for _, _, e, _ in read_topic(broker.bootstrap, unique_topic)]
        assert len(envelopes) == 6
        assert first_broken_link(sorted(envelopes, key=lambda e: e.notification_id)) is None

        consumer.close()
        consume_until(consumer, stats, 6)
        assert stats.case_count() == 6
        assert totals(stats) == 6
        consumer.close()
    finally:
        broker.stop()


def test_a_relay_restarted_mid_stream_loses_nothing(
    intake, stats, kafka_bootstrap, unique_topic, monkeypatch
):
    register(intake, 10)
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic, batch_size=3)
    relay.start()
    assert relay.publish_pending() == 3

    # The second batch reaches the broker, then the relay dies before recording it.
    def die(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(relay, "_record", die)
    with pytest.raises(KeyboardInterrupt):
        relay.publish_pending()
    relay.close()

    restarted = Relay(intake, kafka_bootstrap, topic=unique_topic, batch_size=3)
    restarted.start()
    assert restarted.position == 3
    assert drain(restarted) == 7
    published = read_topic(kafka_bootstrap, unique_topic)
    # The unrecorded batch was found on the topic and not sent again: consumers would
    # have had to take a second copy at a new offset for a replay.
    assert len(published) == 10
    assert len({(e.case_id, e.sequence) for _, _, e, _ in published}) == 10
    assert (
        first_broken_link(sorted((e for _, _, e, _ in published), key=lambda e: e.notification_id))
        is None
    )

    consumer = Consumer(f"g-{uuid.uuid4().hex[:8]}", unique_topic, kafka_bootstrap, stats.handle)
    consume_until(consumer, stats, 10)
    assert totals(stats) == 10
    consumer.close()


def test_only_one_relay_per_store_runs(intake, kafka_bootstrap, unique_topic):
    register(intake, 2)
    first, second = (Relay(intake, kafka_bootstrap, topic=unique_topic) for _ in range(2))
    stop = threading.Event()
    threads = [threading.Thread(target=r.run, args=(stop,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(read_topic(kafka_bootstrap, unique_topic, timeout=1)) >= 2)
        register(intake, 3, start=3)
        wait_until(lambda: len(read_topic(kafka_bootstrap, unique_topic, timeout=1)) >= 5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert len(read_topic(kafka_bootstrap, unique_topic)) == 5


def test_a_running_consumer_reads_a_topic_the_broker_lost_again_from_its_start(
    intake, stats, unique_topic, tmp_path, monkeypatch
):
    """The relay republishes a lost topic in store order, but not always at the offsets the
    consumers had reached: the old topic may have held more than the store (here a stray
    record in each partition; in the chaos run, a batch sent twice). A consumer that kept
    its positions skipped whatever now lies below them, for good; it must notice the topic
    is a new one and read it again from its start (what it applied is skipped)."""
    port = free_port()
    broker = EmbeddedBroker(port, tmp_path / "broker.log").start()
    try:
        ensure_topic(broker.bootstrap, unique_topic, 4)
        stray = KafkaProducer(bootstrap_servers=broker.bootstrap)
        for partition in range(4):
            stray.send(unique_topic, b"not an envelope", partition=partition)
        stray.flush()
        stray.close()
        relay, consumer = four_cases_through(intake, stats, broker.bootstrap, unique_topic)
        checks: list[str] = []
        asked = consumer_module.current_topic_id
        monkeypatch.setattr(
            consumer_module,
            "current_topic_id",
            lambda bootstrap, topic: checks.append(topic) or asked(bootstrap, topic),
        )
        for _ in range(5):
            consumer.poll_once()
        assert checks == []  # the same connections: the broker is not asked

        consumer._uncommitted = {
            tp: OffsetAndMetadata(consumer.kafka.position(tp), None, -1)
            for tp in consumer.kafka.assignment()
        }
        broker.stop()
        broker = EmbeddedBroker(port, tmp_path / "broker.log").start()  # empty again
        # Asleep, its offsets due: not committed to the new broker, where a restarted
        # consumer would resume from them past records it never read.
        consumer._commit(force=True)
        assert consumer._uncommitted == {}
        register(intake, 8, start=5)
        relay.close()  # its connections died with the broker
        assert drain(relay) == 12  # one record fewer in each partition than before

        probe = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=consumer.name)
        assert all(probe.committed(tp) is None for tp in consumer.kafka.assignment())
        probe.close()
        consume_until(consumer, stats, 12)  # the same consumer, its positions kept
        assert checks  # new connections: the topic was checked
        assert stats.case_count() == 12
        assert totals(stats) == 12
        consumer.close()
    finally:
        broker.stop()
