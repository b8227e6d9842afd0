"""Scale-out consumers: two replicas of stats share a topic's partitions by ordinal; one is
killed mid-run between its database and offset commits, and stats' counts still come out
exactly equal to intake's, whether the replica is restarted or the survivor takes over."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from infra.consumer import Consumer
from infra.eventstore import ServiceApplication
from infra.partitions import COUNT_ENV, INDEX_ENV, Replica
from infra.relay import Relay
from services.stats.application import StatsApplication

from ..spine.helpers import drain, read_topic, register, wait_until

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent


@pytest.fixture
def intake(database_url: str, unique_schema: str) -> ServiceApplication:
    return ServiceApplication("intake", database_url, schema=unique_schema)


@pytest.fixture
def stats(database_url: str) -> StatsApplication:
    return StatsApplication(database_url, schema=f"t_{uuid.uuid4().hex[:12]}")


def publish(intake: ServiceApplication, relay: Relay, count: int, start: int) -> None:
    register(intake, count, start=start)
    drain(relay)


def cases_by_partition(bootstrap: str, topic: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for partition, _, envelope, _ in read_topic(bootstrap, topic):
        found.setdefault(partition, set()).add(envelope.case_id)
    return found


def counted_cases(stats: StatsApplication) -> set[str]:
    with stats.pool.connection() as conn:
        rows = conn.execute("SELECT case_id FROM case_fact WHERE received_on IS NOT NULL")
        return {str(row[0]) for row in rows}


def total(stats: StatsApplication) -> int:
    return stats.organ_stats("62", dt.date(2026, 1, 1), dt.date(2026, 12, 31))["total"]


def applied_events(stats: StatsApplication) -> int:
    """Intake events applied: each application is a history row, so a repeat shows."""
    with stats.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM intake_history").fetchone()
    return int(row[0]) if row else 0


def kill_replica_mid_run(
    group: str, topic: str, stats: StatsApplication, bootstrap: str, database_url: str,
    *, index: int, count: int, crash_after: int,
) -> None:
    """Run replica `index` of `count` as a process that dies after `crash_after` commits."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        INDEX_ENV: str(index),
        COUNT_ENV: str(count),
    }
    died = subprocess.run(
        [sys.executable, str(HERE / "stats_replica.py"), group, topic, stats.schema,
         str(crash_after)],
        env=env, capture_output=True, timeout=120,
    )
    assert died.returncode == 9, died.stderr.decode()[-2000:]
    assert f"replica {index} of {count}" in died.stdout.decode()


def poll_until(consumers: list[Consumer], stats: StatsApplication, expected: set[str]) -> None:
    def done() -> bool:
        for consumer in consumers:
            consumer.poll_once()
        return counted_cases(stats) >= expected

    wait_until(done, timeout=60)
    for consumer in consumers:  # anything extra would show up now
        consumer.poll_once()


def test_a_killed_replica_restarted_under_its_ordinal_leaves_counts_exact(
    intake, stats, kafka_bootstrap, unique_topic, database_url
):
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic, partitions=4)
    relay.start()
    publish(intake, relay, 30, start=1)
    layout = cases_by_partition(kafka_bootstrap, unique_topic)
    odd = layout.get(1, set()) | layout.get(3, set())
    even = layout.get(0, set()) | layout.get(2, set())
    assert len(odd) > 4 and even, "registrations spread over both replicas' partitions"
    group = f"g-{uuid.uuid4().hex[:8]}"

    # Replica 1 of 2 dies after its fourth database commit, before any offset commit.
    kill_replica_mid_run(group, unique_topic, stats, kafka_bootstrap, database_url,
                         index=1, count=2, crash_after=4)
    counted_by_dead = counted_cases(stats)
    assert len(counted_by_dead) == 4 and counted_by_dead <= odd

    # Replica 0 of 2 takes its own partitions and nothing of the dead one's.
    first = Consumer(group, unique_topic, kafka_bootstrap, stats.handle, replica=Replica(0, 2))
    poll_until([first], stats, even)
    assert counted_cases(stats) == even | counted_by_dead
    assert {tp.partition for tp in first.kafka.assignment()} == {0, 2}

    # Load goes on while replica 1 is down; then it comes back under the same ordinal.
    publish(intake, relay, 10, start=31)
    second = Consumer(group, unique_topic, kafka_bootstrap, stats.handle, replica=Replica(1, 2))
    every = set().union(*cases_by_partition(kafka_bootstrap, unique_topic).values())
    assert len(every) == 40
    poll_until([first, second], stats, every)

    assert counted_cases(stats) == every
    assert stats.case_count() == 40
    assert total(stats) == 40
    assert applied_events(stats) == 40
    first.close()
    second.close()
    relay.close()


def test_the_survivor_told_the_new_count_takes_over_and_counts_stay_exact(
    intake, stats, kafka_bootstrap, unique_topic, database_url
):
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic, partitions=4)
    relay.start()
    publish(intake, relay, 24, start=1)
    layout = cases_by_partition(kafka_bootstrap, unique_topic)
    mine = layout.get(0, set()) | layout.get(2, set())
    group = f"g-{uuid.uuid4().hex[:8]}"

    survivor = Consumer(group, unique_topic, kafka_bootstrap, stats.handle, replica=Replica(0, 2))
    poll_until([survivor], stats, mine)
    kill_replica_mid_run(group, unique_topic, stats, kafka_bootstrap, database_url,
                         index=1, count=2, crash_after=3)
    assert len(counted_cases(stats)) == len(mine) + 3

    # Told there is one replica now, the survivor reassigns itself every partition.
    survivor.close()
    survivor.replica = Replica(0, 1)
    publish(intake, relay, 6, start=25)
    every = set().union(*cases_by_partition(kafka_bootstrap, unique_topic).values())
    poll_until([survivor], stats, every)
    assert {tp.partition for tp in survivor.kafka.assignment()} == {0, 1, 2, 3}
    assert counted_cases(stats) == every
    assert stats.case_count() == 30
    assert total(stats) == 30
    assert applied_events(stats) == 30
    survivor.close()
    relay.close()


def test_replicas_with_old_and_new_counts_overlapping_in_a_rollout_count_once(
    intake, stats, kafka_bootstrap, unique_topic
):
    """A rolling update from two replicas to one runs both layouts at once for a while:
    several consumers may hold one partition, and tracking rows still count each once."""
    relay = Relay(intake, kafka_bootstrap, topic=unique_topic, partitions=4)
    relay.start()
    publish(intake, relay, 40, start=1)
    group = f"g-{uuid.uuid4().hex[:8]}"
    consumers = [
        Consumer(group, unique_topic, kafka_bootstrap, stats.handle, replica=replica)
        for replica in (Replica(0, 2), Replica(1, 2), Replica(0, 1))
    ]
    stop = threading.Event()
    failures: list[BaseException] = []

    def run(consumer: Consumer) -> None:
        try:
            while not stop.is_set():
                consumer.poll_once()
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in consumers]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: stats.case_count() >= 40 or bool(failures), timeout=60)
        publish(intake, relay, 10, start=41)
        wait_until(lambda: stats.case_count() >= 50 or bool(failures), timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert not failures, failures
    assert stats.case_count() == 50
    assert total(stats) == 50
    assert applied_events(stats) == 50
    for consumer in consumers:
        consumer.close()
    relay.close()
