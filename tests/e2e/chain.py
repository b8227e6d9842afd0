"""The per-case hash chain on a topic, as the consumers took it link by link."""

from __future__ import annotations

import time

import psycopg

CONSUMERS_OF_ROUTING = ("intake", "stats", "supervision")


def routing_chain_is_intact(database_url: str, namespace: str, case_id: str) -> int:
    """Every consumer of routing.events holds the case's chain up to the relay's head (the
    case's last stored version), and quarantined none of it. Returns the chain's length."""
    topic = f"{namespace}routing.events"
    routing = f'"{namespace}routing"'
    deadline = time.monotonic() + 60
    while True:
        with psycopg.connect(database_url) as conn:
            stored = conn.execute(
                f"SELECT max(originator_version) FROM {routing}.routingapplication_events "
                "WHERE originator_id = %s",
                (case_id,),
            ).fetchone()
            relay = conn.execute(
                f"SELECT sequence, hash FROM {routing}.relay_chain "
                "WHERE topic = %s AND case_id = %s",
                (topic, case_id),
            ).fetchone()
            heads = {}
            for consumer in CONSUMERS_OF_ROUTING:
                schema = f'"{namespace}{consumer}"'
                heads[consumer] = conn.execute(
                    f"SELECT sequence, hash FROM {schema}.inbox_chain "
                    "WHERE topic = %s AND case_id = %s",
                    (topic, case_id),
                ).fetchone()
                quarantined = conn.execute(
                    f"SELECT count(*) FROM {schema}.quarantine WHERE case_id = %s", (case_id,)
                ).fetchone()
                assert quarantined == (0,), (consumer, quarantined)
        caught_up = relay is not None and all(head == relay for head in heads.values())
        if caught_up or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert stored is not None and stored[0] is not None
    assert relay is not None and relay[0] == stored[0], (relay, stored)
    assert all(tuple(head or ()) == tuple(relay) for head in heads.values()), (relay, heads)
    return int(relay[0])
