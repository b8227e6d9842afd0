"""One stats replica as its own process: its ordinal comes from BATON_REPLICA_INDEX and
BATON_REPLICA_COUNT, as in a StatefulSet; it dies (os._exit) right after its Nth database
commit, before committing any Kafka offset. Run by the scale-out tests."""

from __future__ import annotations

import os
import sys

from infra.consumer import Consumer
from services.stats.application import StatsApplication


def main() -> None:
    group, topic, schema, crash_after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    stats = StatsApplication(os.environ["DATABASE_URL"], schema=schema)
    handled = 0

    def handle_then_die(envelope, tracking_name):
        nonlocal handled
        stats.handle(envelope, tracking_name)
        handled += 1
        if handled == crash_after:
            os._exit(9)

    consumer = Consumer(group, topic, os.environ["KAFKA_BOOTSTRAP_SERVERS"], handle_then_die)
    print(f"replica {consumer.replica.index} of {consumer.replica.count}", flush=True)
    while True:
        consumer.poll_once()


if __name__ == "__main__":
    main()
