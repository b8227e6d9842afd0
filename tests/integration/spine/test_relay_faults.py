"""The relay through faults it meets in a running platform, without being restarted: the
broker restarted empty under its live producer, and a batch that reached the broker but
could not be recorded (PostgreSQL went away)."""

from __future__ import annotations

import threading

import psycopg
import pytest

from domain.contracts import first_broken_link
from infra.embedded import EmbeddedBroker, free_port
from infra.eventstore import ServiceApplication
from infra.relay import Relay, ensure_topic

from .helpers import drain, read_topic, register, send_again, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def intake(database_url: str, unique_schema: str) -> ServiceApplication:
    return ServiceApplication("intake", database_url, schema=unique_schema)


def on_topic(bootstrap: str, topic: str) -> int:
    """How many records the topic holds now (0 while it does not exist yet)."""
    try:
        return len(read_topic(bootstrap, topic, timeout=1))
    except ValueError:  # no partitions yet
        return 0


def published_once_in_order(bootstrap: str, topic: str, expected: int) -> None:
    published = read_topic(bootstrap, topic)
    envelopes = [e for _, _, e, _ in published]
    assert len(envelopes) == expected, [(e.case_id, e.sequence) for e in envelopes]
    assert len({(e.case_id, e.sequence) for e in envelopes}) == expected
    assert first_broken_link(sorted(envelopes, key=lambda e: e.notification_id)) is None


def test_a_running_relay_republishes_to_a_broker_restarted_empty_without_a_restart(
    intake, unique_topic, tmp_path
):
    """Session 4's chaos run: the relay's producer failed `InitProducerId` against the
    restarted broker until its process was killed. The relay's own loop must get through."""
    port = free_port()
    broker = EmbeddedBroker(port, tmp_path / "broker.log").start()
    relay = Relay(intake, broker.bootstrap, topic=unique_topic, check_interval=0.5)
    stop = threading.Event()
    runner = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    try:
        register(intake, 4)
        runner.start()
        wait_until(lambda: on_topic(broker.bootstrap, unique_topic) >= 4, timeout=30, step=0.5)

        broker.stop()  # the producer and probe stay open against the dead broker
        broker = EmbeddedBroker(port, tmp_path / "broker.log").start()
        register(intake, 3, start=5)

        wait_until(lambda: on_topic(broker.bootstrap, unique_topic) >= 7, timeout=60, step=0.5)
        published_once_in_order(broker.bootstrap, unique_topic, 7)
        assert relay._producer is None or not relay._producer.config["enable_idempotence"]
    finally:
        stop.set()
        runner.join(15)
        broker.stop()
    assert not runner.is_alive()


def test_a_batch_published_but_not_recorded_is_not_sent_again_by_the_same_relay(
    intake, kafka_bootstrap, unique_topic, monkeypatch
):
    """PostgreSQL went away between the broker's acknowledgement and the relay's record:
    the relay goes on, and reads the batch back from the topic instead of sending it twice
    (a copy at a new offset is a replay to consumers)."""
    register(intake, 9)
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic, batch_size=3)
    relay.start()
    assert relay.publish_pending() == 3
    record = relay._record

    def lost_connection(*args, **kwargs):
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(relay, "_record", lost_connection)
    with pytest.raises(psycopg.OperationalError):
        relay.publish_pending()
    monkeypatch.setattr(relay, "_record", record)
    relay._reset_clients()  # what run() does after a failure

    assert drain(relay) == 6
    assert relay.position == max(n.id for n in intake.recorder.select_notifications(1, 100))
    published_once_in_order(kafka_bootstrap, unique_topic, 9)
    relay.close()


def layout(bootstrap: str, topic: str) -> dict[tuple[int, int], tuple[str, int]]:
    """(partition, offset) → (case, sequence) of every record on the topic."""
    return {(p, o): (e.case_id, e.sequence) for p, o, e, _ in read_topic(bootstrap, topic)}


def test_a_broker_back_empty_gets_the_whole_store_before_anything_new(
    intake, unique_topic, tmp_path
):
    """Consumers take a record at an offset they had not reached, whose link they hold,
    for a replay. So the store must come back at the offsets it had, before any new
    event, even when the relay's next batch comes before its periodic topic check."""
    port = free_port()
    broker = EmbeddedBroker(port, tmp_path / "broker.log").start()
    relay = Relay(intake, broker.bootstrap, topic=unique_topic, check_interval=3600)
    try:
        register(intake, 12)
        relay.start()
        drain(relay)
        before = layout(broker.bootstrap, unique_topic)

        broker.stop()
        broker = EmbeddedBroker(port, tmp_path / "broker.log").start()
        ensure_topic(broker.bootstrap, unique_topic, 4)  # as a consumer starting does
        register(intake, 3, start=13)

        def drained() -> bool:
            try:
                drain(relay)
            except Exception:  # noqa: BLE001 - what run() does after any failure
                relay._reset_clients()
                return False
            return True

        wait_until(drained, timeout=60, step=0.5)
        after = layout(broker.bootstrap, unique_topic)
        assert {k: after.get(k) for k in before} == before
        published_once_in_order(broker.bootstrap, unique_topic, 15)
    finally:
        relay.close()
        broker.stop()


def test_batches_on_the_same_connections_ask_the_broker_for_the_topic_once(
    intake, kafka_bootstrap, unique_topic
):
    """The topic's id is confirmed when the producer's connections change, not before
    every batch: a metadata request per registration was a tenth of intake's CPU."""
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic, check_interval=3600)
    asked: list[object] = []
    confirm = relay._current_topic_id

    def counted() -> object:
        asked.append(confirm())
        return asked[-1]

    relay._current_topic_id = counted  # type: ignore[method-assign]
    try:
        relay.start()
        for n in range(8):
            if n == 3:  # start(), the first check, the producer connecting to the leader
                connected = len(asked)
            register(intake, 1, start=n + 1)
            assert relay.publish_pending() == 1
        assert len(asked) == connected, asked
        assert len(set(asked)) == 1
        published_once_in_order(kafka_bootstrap, unique_topic, 8)
    finally:
        relay.close()


def links_in_order(bootstrap: str, topic: str) -> set[tuple[str, int]]:
    """The links a consumer reading the topic from its start applies: in each partition,
    by offset, each case's next link in its chain (what comes out of turn is refused)."""
    applied: set[tuple[str, int]] = set()
    reached: dict[str, int] = {}
    for _, _, envelope, _ in sorted(read_topic(bootstrap, topic), key=lambda r: r[:2]):
        if envelope.sequence == reached.get(envelope.case_id, 0) + 1:
            reached[envelope.case_id] = envelope.sequence
            applied.add((envelope.case_id, envelope.sequence))
    return applied


def test_a_topic_that_came_back_with_strays_still_gets_the_whole_store_in_order(
    intake, unique_topic, tmp_path
):
    """Session 8's chaos run: a batch the producer still held when the broker went away
    reached the broker once it was back (empty), at the start of the new topic; the relay
    found those records there and did not send them again, so consumers met later links
    of those cases before their first ones, and never the first ones after. A consumer
    reading the topic from its start must get every link in its case's order."""
    port = free_port()
    broker = EmbeddedBroker(port, tmp_path / "broker.log").start()
    relay = Relay(intake, broker.bootstrap, topic=unique_topic, check_interval=3600)
    try:
        for case_id in register(intake, 3):  # each case two links: registered, accepted
            petition = intake.repository.get(case_id)
            petition.accept("accusation", actor="clerk-zhang", at=petition.registered_at)
            intake.save(petition)
        relay.start()
        drain(relay)
        seconds = [r for r in read_topic(broker.bootstrap, unique_topic) if r[2].sequence == 2]

        broker.stop()
        register(intake, 1, start=7)
        with pytest.raises(Exception):  # noqa: B017 - the broker is gone, whatever it raises
            relay.publish_pending()  # failed: the relay reads the topic back before sending
        relay._reset_clients(abort=True)
        broker = EmbeddedBroker(port, tmp_path / "broker.log").start()
        ensure_topic(broker.bootstrap, unique_topic, 4)
        send_again(broker.bootstrap, unique_topic, seconds[:2])  # later links, ahead of all
        register(intake, 1, start=8)

        def drained() -> bool:
            try:
                drain(relay)
            except Exception:  # noqa: BLE001 - what run() does after any failure
                relay._reset_clients(abort=True)
                return False
            return True

        wait_until(drained, timeout=60, step=0.5)
        stored = {
            (str(n.originator_id), n.originator_version)
            for n in intake.recorder.select_notifications(1, 100)
        }
        assert len(stored) == 8
        assert links_in_order(broker.bootstrap, unique_topic) == stored
    finally:
        relay.close()
        broker.stop()
