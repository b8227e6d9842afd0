"""Witnesses 见证: every other process keeps the checkpoints published on
`audit.checkpoints` in its own schema (`audit_witness`), after checking the signature and
that each extends the last one it kept for that store. Whoever rewrites one store and its
own checkpoints still disagrees with the witnesses' copies, which `baton verify` reads.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from kafka import KafkaConsumer, TopicPartition

from infra.audit.checkpoints import Checkpoint
from infra.audit.merkle import consistency_holds
from infra.doorbell import Doorbell
from infra.kafka_security import client_security

log = logging.getLogger(__name__)

WITNESS_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_witness (
    store text NOT NULL,
    service text NOT NULL,
    size bigint NOT NULL,
    root text NOT NULL,
    status text NOT NULL,
    body text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store, size, root)
);
"""

# Statuses: `extends` (proved to extend the last kept one), `first` (nothing to extend),
# `unproven` (no proof from the last kept size), `bad_signature`, `fork`, `rollback`.
TRUSTED = ("extends", "first", "unproven")
# Checkpoints are rung for; an unrung one (`baton checkpoint` of an older build) waits this.
BELL_FALLBACK_SECONDS = 30.0
# How long a poll waits: without a doorbell, after a ring, and for a look nobody asked for.
POLL_MS = 2000
RUNG_POLL_MS = 200
LOOK_MS = 30


class Witness:
    """Keeps other stores' checkpoints."""

    def __init__(
        self,
        name: str,
        connect: Callable[[], Any],
        public_key: Callable[[str], Ed25519PublicKey],
    ) -> None:
        self.name = name
        self.connect = connect
        self.public_key = public_key
        with connect() as conn:
            conn.execute(WITNESS_SCHEMA)

    def receive(self, value: bytes) -> str:
        """Check and keep one published checkpoint; returns its status."""
        message = _parse(value)
        if message is None:
            return "malformed"
        checkpoint, proof = message
        if checkpoint.service == self.name:
            return "own"
        status = self._status(checkpoint, proof)
        if status not in TRUSTED:
            log.error("witness %s: %s checkpoint of %s", self.name, status, checkpoint.store)
        with self.connect() as conn:
            conn.execute(
                "INSERT INTO audit_witness (store, service, size, root, status, body) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    checkpoint.store,
                    checkpoint.service,
                    checkpoint.size,
                    checkpoint.root,
                    status,
                    checkpoint.to_json(),
                ),
            )
        return status

    def _status(self, checkpoint: Checkpoint, proof: dict[str, Any] | None) -> str:
        try:
            key = self.public_key(checkpoint.service)
        except ValueError:
            return "bad_signature"
        if not checkpoint.signature_holds(key):
            return "bad_signature"
        last = self._last(checkpoint.store)
        if last is None:
            return "first"
        size, root = last
        if checkpoint.size < size:
            return "rollback"
        if checkpoint.size == size:
            return "extends" if checkpoint.root == root else "fork"
        if proof is None or proof.get("prior_size") != size:
            return "unproven"
        if consistency_holds(
            bytes.fromhex(root), bytes.fromhex(checkpoint.root), proof.get("proof") or {}
        ):
            return "extends"
        return "fork"

    def _last(self, store: str) -> tuple[int, str] | None:
        with self.connect() as conn:
            row = conn.execute(
                "SELECT size, root FROM audit_witness WHERE store = %s AND status = ANY(%s) "
                "ORDER BY size DESC LIMIT 1",
                (store, list(TRUSTED)),
            ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def run(
        self, bootstrap: str, topic: str, stop: threading.Event, doorbell: Doorbell | None = None
    ) -> None:
        """Follow the checkpoint topic from its beginning until `stop` is set.

        With a doorbell the publishers ring, the witness sleeps between checkpoints and
        looks unasked only every `BELL_FALLBACK_SECONDS`; without one it polls.
        """
        from infra.relay import ensure_topic

        consumer: KafkaConsumer | None = None
        expected = True
        while not stop.is_set():
            try:
                timeout = POLL_MS if doorbell is None else RUNG_POLL_MS
                if doorbell is not None and not expected:
                    rang = doorbell.wait(BELL_FALLBACK_SECONDS, stop)
                    # Unasked, one short look; rung, long enough for the checkpoint rung of.
                    timeout = RUNG_POLL_MS if rang else LOOK_MS
                if consumer is None:
                    ensure_topic(bootstrap, topic, 1)
                    consumer = KafkaConsumer(
                        bootstrap_servers=bootstrap,
                        enable_auto_commit=False,
                        auto_offset_reset="earliest",
                        client_id=f"witness-{self.name}",
                        **client_security(),
                        # Checkpoints come a minute apart: long fetches cost little idle.
                        fetch_max_wait_ms=2000 if doorbell is None else 50,
                    )
                    consumer.assign([TopicPartition(topic, 0)])
                    consumer.seek_to_beginning()
                batch = consumer.poll(timeout_ms=timeout)
                for records in batch.values():
                    for record in records:
                        self.receive(record.value)
                # Read on while records come, but not once past what was rung of: a poll
                # that finds nothing is several empty fetches (four per checkpoint, for
                # each witness of the platform).
                expected = bool(batch) and not (
                    doorbell is not None and _read_past(consumer, topic, doorbell)
                )
            except Exception:
                log.exception("witness %s failed; reconnecting", self.name)
                if consumer is not None:
                    consumer.close()
                consumer = None
                expected = True
                stop.wait(1.0)
        if consumer is not None:
            consumer.close()


def _read_past(consumer: KafkaConsumer, topic: str, doorbell: Doorbell) -> bool:
    """Has the consumer read everything the doorbell rang of (checkpoints: partition 0)?"""
    rung = doorbell.rung.get(0)
    return rung is not None and consumer.position(TopicPartition(topic, 0)) > rung


def message_for(checkpoint: Checkpoint, proof: dict[str, Any] | None) -> bytes:
    """What goes on the checkpoint topic: the checkpoint and its consistency proof."""
    return json.dumps(
        {"checkpoint": json.loads(checkpoint.to_json()), "consistency": proof}, sort_keys=True
    ).encode()


def _parse(value: bytes) -> tuple[Checkpoint, dict[str, Any] | None] | None:
    try:
        data = json.loads(value)
        return Checkpoint.from_json(json.dumps(data["checkpoint"])), data.get("consistency")
    except (ValueError, KeyError, TypeError):
        return None
