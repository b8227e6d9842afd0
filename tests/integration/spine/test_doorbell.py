"""Doorbells (infra/doorbell.py): a relay's ring wakes a sleeping consumer with the offsets
it wrote; a consumer that only ever heard the bell, never its fallback look, still
applies everything; a ring is a hint, so records nobody rang about are found too."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

import infra.consumer as consumer_module
from infra.consumer import Consumer
from infra.doorbell import Doorbell, channel_for, notified, ring
from infra.eventstore import ServiceApplication
from infra.relay import Relay
from services.stats.application import StatsApplication

from .helpers import register, wait_until

pytestmark = pytest.mark.integration


def test_a_ring_wakes_the_sleeper_with_the_offsets_written(database_url: str):
    name = f"t_{uuid.uuid4().hex[:8]}.events"
    bell = Doorbell(database_url, name)
    try:
        assert bell.wait(0.1) is True, "a fresh connection may have missed a ring: look"
        assert bell.wait(0.2) is False, "nothing rang"
        with psycopg.connect(database_url) as conn:  # one transaction, rung at its commit
            ring(conn, name, {0: 4, 2: 7})
            ring(conn, name, {0: 9})
        assert bell.wait(30) is True
        assert bell.rung == {0: 9, 2: 7}
        with psycopg.connect(database_url) as conn:
            ring(conn, name, {1: 3})
            conn.rollback()
        assert bell.wait(0.3) is False, "a rolled-back transaction rings nothing"
        stop = threading.Event()
        stop.set()
        assert bell.wait(3600, stop) is False, "a stopped worker does not sleep on"
    finally:
        bell.close()


@contextmanager
def listening(database_url: str, **options: Any) -> Iterator[tuple[Doorbell, Any]]:
    """A doorbell on a new topic's bell, past its first look, and a way to ring it (in a
    transaction of its own)."""
    name = f"t_{uuid.uuid4().hex[:8]}.events"
    bell = Doorbell(database_url, name, **options)

    def ring_once(offsets: dict[int, int] | None = None, types: set[str] | None = None) -> None:
        with psycopg.connect(database_url) as conn:
            ring(conn, name, offsets, types)

    try:
        assert bell.wait(0.1) is True  # a fresh connection
        yield bell, ring_once
    finally:
        bell.close()


def test_a_ring_for_types_the_reader_has_no_use_for_is_held_back(database_url: str):
    with listening(database_url, wanted={"Petition.Accepted"}, hold=0.5) as (bell, ring_once):
        ring_once({0: 4}, {"Petition.Registered"})
        began = time.monotonic()
        assert bell.wait(0.2) is False, "held back"
        assert bell.rung == {}
        assert bell.wait(30) is True, "then it wakes the reader all the same"
        assert time.monotonic() - began >= 0.5
        assert bell.rung == {0: 4}
        ring_once({1: 8}, {"Petition.Registered"})
        assert bell.wait(0.1) is False
        ring_once({2: 3}, {"Petition.Registered", "Petition.Accepted"})
        assert bell.wait(30) is True, "a wanted type wakes at once"
        assert bell.rung == {0: 4, 1: 8, 2: 3}, "and takes the held ring along"
        ring_once({0: 9})
        assert bell.wait(30) is True, "a ring that tells no types wakes any reader"
        assert bell.rung[0] == 9


def test_a_gathering_reader_is_woken_once_for_the_rings_of_a_while(database_url: str):
    options = {"wanted": {"Petition.Registered"}, "gather": 0.5}
    with listening(database_url, **options) as (bell, ring_once):
        began = time.monotonic()
        for offset in (1, 2, 3):
            ring_once({0: offset}, {"Petition.Registered"})
        assert bell.wait(30) is True
        assert time.monotonic() - began >= 0.5, "woken only once the first ring's while is up"
        assert bell.rung == {0: 3}, "with every ring of that while"
        ring_once()  # a nudge (a dead letter's retry) is not held back
        assert bell.wait(0.3) is True


def test_a_listener_sleeps_until_notified(database_url: str):
    channel = f"t_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn, psycopg.connect(
        database_url, autocommit=True
    ) as other:
        conn.execute(f'LISTEN "{channel}"')
        began = time.monotonic()
        assert notified(conn, 0.3) is False
        assert time.monotonic() - began >= 0.3
        other.execute(f'NOTIFY "{channel}"')
        assert notified(conn, 30) is True
        assert notified(conn, 0.0) is False, "every queued notification was taken"
        other.execute(f'NOTIFY "{channel}"')
        time.sleep(0.2)
        conn.execute("SELECT 1")  # the notification arrives during a statement
        assert notified(conn, 0.0) is True, "and is not lost"


def test_long_names_fit_a_channel():
    long = "x" * 200 + ".events"
    assert len(channel_for(long).encode()) <= 63
    assert channel_for(long) != channel_for(long + "2")
    assert channel_for("p1_intake.events") == "baton.bell.p1_intake.events"


@contextmanager
def running_line(
    database_url: str, kafka_bootstrap: str, **bell: Any
) -> Iterator[tuple[ServiceApplication, StatsApplication, Consumer, str]]:
    """A relay and a stats consumer with a doorbell (`Doorbell`'s options), each running
    in its thread; the topic's name."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    topic = f"t_{uuid.uuid4().hex[:12]}.events"
    intake = ServiceApplication("intake", database_url, schema=schema)
    stats = StatsApplication(database_url, schema=f"t_{uuid.uuid4().hex[:12]}")
    relay = Relay(intake, kafka_bootstrap, topic=topic)
    consumer = Consumer(
        name=f"t-{uuid.uuid4().hex[:8]}",
        topic=topic,
        bootstrap=kafka_bootstrap,
        handle=stats.handle,
        handle_batch=stats.handle_batch,
        doorbell=Doorbell(database_url, topic, **bell),
    )
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in (relay, consumer)]
    for thread in threads:
        thread.start()
    try:
        yield intake, stats, consumer, topic
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        stats.close()
        intake.close()


@pytest.fixture
def line(database_url: str, kafka_bootstrap: str):
    """A relay and a stats consumer with a doorbell, each running in its thread."""
    with running_line(database_url, kafka_bootstrap) as (intake, stats, consumer, _):
        yield intake, stats, consumer


def test_a_sleeping_consumer_is_woken_by_the_relay(line, monkeypatch: pytest.MonkeyPatch):
    intake, stats, consumer = line
    # No look without a ring for an hour: only the relay's ring can bring these records.
    monkeypatch.setattr(consumer_module, "BELL_FALLBACK_SECONDS", 3600.0)
    register(intake, 3)
    wait_until(lambda: stats.case_count() == 3, timeout=30)
    wait_until(lambda: not consumer._flowing, timeout=30)  # asleep on the bell again
    register(intake, 2, start=4)
    wait_until(lambda: stats.case_count() == 5, timeout=30)


def test_records_nobody_rang_about_are_found_by_the_look(
    database_url: str, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(consumer_module, "BELL_FALLBACK_SECONDS", 0.5)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    topic = f"t_{uuid.uuid4().hex[:12]}.events"
    intake = ServiceApplication("intake", database_url, schema=schema)
    stats = StatsApplication(database_url, schema=f"t_{uuid.uuid4().hex[:12]}")
    relay = Relay(intake, kafka_bootstrap, topic=topic)
    relay.start()
    consumer = Consumer(
        name=f"t-{uuid.uuid4().hex[:8]}",
        topic=topic,
        bootstrap=kafka_bootstrap,
        handle=stats.handle,
        handle_batch=stats.handle_batch,
        doorbell=Doorbell(database_url, f"{topic}.unrung"),  # a bell nobody rings
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        register(intake, 4)
        while relay.publish_pending():
            pass
        wait_until(lambda: stats.case_count() == 4, timeout=30)
    finally:
        stop.set()
        thread.join(10)
        relay.close()
        stats.close()
        intake.close()


def test_the_relay_tells_the_types_and_a_reader_without_use_for_them_catches_up_later(
    database_url: str, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
):
    # No look without a ring for an hour: the held ring alone brings these records.
    monkeypatch.setattr(consumer_module, "BELL_FALLBACK_SECONDS", 3600.0)
    held = {"wanted": {"Petition.Accepted"}, "hold": 1.0}
    with running_line(database_url, kafka_bootstrap, **held) as (intake, stats, _, topic):
        with psycopg.connect(database_url, autocommit=True) as listener:
            listener.execute(f'LISTEN "{channel_for(topic)}"')
            register(intake, 3)
            heard = [n.payload for n in listener.notifies(timeout=30, stop_after=1)]
        assert heard and heard[0].endswith(";Petition.Registered"), heard
        wait_until(lambda: stats.case_count() == 3, timeout=30)
