"""Authentic events between services 事件来源认证: the relay signs each record it publishes;
a consumer applies a record only if the source's key signed it and it is the next link of
its case's chain. Everything else goes to the consumer's `quarantine` table with the
reason, and neither the read models nor the tracking rows move.

A link already applied that comes again at an offset the consumer had already reached is
a redelivery, not a replay: Kafka redelivers after a consumer dies before committing its
offsets, and a relay republishes its whole store when the broker lost it (the offsets
start again below the highest one applied). Such a record is skipped without a trace; the
same link at a new offset, beyond everything applied, is a replay and is quarantined;
except in a topic the broker lost and got anew (`topic_anew`), whose offsets say nothing
of the old one's: there every link applied before is the relay's republish.

Signed bytes: a fixed label, the topic and the record's value (the envelope's JSON), so a
record cannot be moved to another topic. The signature travels in Kafka headers.

The chain heads are read from the database once per case (then remembered) and written
once per consumer commit, not per record: a consumer writes them before it commits its
Kafka offsets, so after a crash the records whose heads were lost come again and continue
the chain from where the database has it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from psycopg_pool import ConnectionPool

from domain.contracts import Envelope
from domain.errors import DomainError
from infra.audit.heads import ChainHeads
from infra.audit.keys import sign, signature_holds

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "baton-signature"
SIGNER_HEADER = "baton-signer"
# Chain heads remembered per guard (most recently used): a case's events usually come close
# together, so most records find their head here instead of asking the database. The
# guard is the only writer of its (consumer, topic) rows: replicas own disjoint partitions,
# hence disjoint cases.
HEADS_KEPT = 4096

INBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox_chain (
    consumer text NOT NULL,
    topic text NOT NULL,
    case_id text NOT NULL,
    sequence integer NOT NULL,
    hash text NOT NULL,
    PRIMARY KEY (consumer, topic, case_id)
);
CREATE TABLE IF NOT EXISTS inbox_offsets (
    consumer text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);
CREATE TABLE IF NOT EXISTS quarantine (
    id bigserial PRIMARY KEY,
    consumer text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    reason text NOT NULL,
    detail text NOT NULL,
    case_id text,
    event_type text,
    sequence integer,
    value bytea,
    received_at timestamptz NOT NULL DEFAULT now()
);
"""


def signed_bytes(topic: str, value: bytes) -> bytes:
    return b"baton-envelope-v1\n" + topic.encode() + b"\n" + value


def signature_headers(key: Ed25519PrivateKey, topic: str, value: bytes) -> dict[str, str]:
    """The headers that let consumers check who published this record."""
    return {SIGNATURE_HEADER: sign(key, signed_bytes(topic, value))}


@dataclass(frozen=True)
class Refusal:
    """Why a record was not applied."""

    reason: str
    detail: str


class InboundGuard:
    """Checks each record of one topic before a consumer applies it."""

    def __init__(
        self,
        pool: ConnectionPool,
        consumer: str,
        topic: str,
        source: str,
        public_key: Ed25519PublicKey,
    ) -> None:
        self.pool = pool
        self.consumer = consumer
        self.topic = topic
        self._offsets: dict[int, int] = {}
        self.redelivered = 0
        # Partitions of a topic made anew since this guard started (`topic_anew`).
        self._anew: set[int] = set()
        self.source = source
        self.public_key = public_key
        self._heads = ChainHeads(self._stored_heads, HEADS_KEPT)
        # Heads and offsets applied but not written yet (`applied_many(defer=True)`).
        self._unsaved_heads: dict[str, tuple[int, str]] = {}
        self._unsaved_offsets: dict[int, int] = {}
        with pool.connection() as conn:
            conn.execute(INBOX_SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection in autocommit: each of the guard's writes is one statement,
        so one round trip instead of BEGIN, statement, COMMIT."""
        with self.pool.connection() as conn:
            if not conn.autocommit:
                conn.autocommit = True
            yield conn

    def admit(
        self,
        partition: int,
        offset: int,
        value: bytes,
        headers: dict[str, bytes],
        pending: dict[str, tuple[int, str]] | None = None,
    ) -> Envelope | None:
        """The envelope if it may be applied; None if it was quarantined or redelivered.

        `pending` holds the chain heads of records admitted earlier in the same batch and
        not yet applied; an admitted envelope moves its case's head there.
        """
        envelope: Envelope | None = None
        refusal: Refusal | None
        try:
            envelope = Envelope.from_json(value)
        except DomainError as exc:
            refusal = Refusal("malformed", exc.code)
        else:
            refusal = self._check(envelope, value, headers, pending or {})
        if refusal is None:
            assert envelope is not None
            if pending is not None:
                pending[envelope.case_id] = (envelope.sequence, envelope.hash)
            return envelope
        self._refuse(partition, offset, value, refusal, envelope)
        return None

    def admit_many(
        self,
        partition: int,
        records: Iterable[tuple[int, bytes, dict[str, bytes]]],
        unknown_versions: bool = False,
    ) -> list[Envelope | DomainError | None]:
        """`admit` for a poll's records of one partition, in order, each decoded once and
        the chain heads of their cases read in one statement. With `unknown_versions`, an
        authentic in-order record of a schema version unknown here comes back as its
        decoding error (for the dead letters; `admit_unknown_version`)."""
        records = list(records)
        decoded: list[Envelope | DomainError] = []
        for _, value, _ in records:
            try:
                decoded.append(Envelope.from_json(value))
            except DomainError as exc:
                decoded.append(exc)
        self._prefetch(e.case_id for e in decoded if isinstance(e, Envelope))
        pending: dict[str, tuple[int, str]] = {}
        admitted: list[Envelope | DomainError | None] = []
        for (offset, value, headers), item in zip(records, decoded, strict=True):
            if isinstance(item, DomainError):
                if unknown_versions and self._unknown_in_order(item, value, headers, pending):
                    admitted.append(item)
                    continue
                self._refuse(partition, offset, value, Refusal("malformed", item.code), None)
                admitted.append(None)
                continue
            refusal = self._check(item, value, headers, pending)
            if refusal is None:
                pending[item.case_id] = (item.sequence, item.hash)
                admitted.append(item)
            else:
                self._refuse(partition, offset, value, refusal, item)
                admitted.append(None)
        return admitted

    def _refuse(
        self, partition: int, offset: int, value: bytes, refusal: Refusal, envelope: Envelope | None
    ) -> None:
        """Quarantine a refused record, unless it is a redelivery of one already applied."""
        if refusal.reason == "replayed" and (
            partition in self._anew or offset <= self._reached(partition)
        ):
            self.redelivered += 1
            return
        self.quarantine(partition, offset, value, refusal, envelope)

    def topic_anew(self, partitions: Iterable[int]) -> None:
        """The consumer reads these partitions of a topic the broker lost and got anew
        from their start: the relay republished the store there, at offsets that need not
        be the old ones (the old topic may have held a copy, or lacked what the relay had
        not sent yet), so a link applied before is a redelivery at any offset."""
        self._anew.update(partitions)

    def _reached(self, partition: int) -> int:
        """The highest offset of `partition` this consumer applied (-1: none)."""
        if partition not in self._offsets:
            with self._connection() as conn:
                row = conn.execute(
                    'SELECT "offset" FROM inbox_offsets '
                    "WHERE consumer = %s AND topic = %s AND partition = %s",
                    (self.consumer, self.topic, partition),
                ).fetchone()
            self._offsets[partition] = int(row[0]) if row else -1
        return self._offsets[partition]

    def authentic(self, value: bytes, headers: dict[str, bytes]) -> bool:
        """Did the source's key sign this record for this topic?"""
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            return False
        return signature_holds(self.public_key, signed_bytes(self.topic, value), signature.decode())

    def admit_unknown_version(self, value: bytes, headers: dict[str, bytes]) -> DomainError | None:
        """The decoding error of an authentic, in-order record of a schema version this
        consumer does not know yet (a newer producer: dead-lettered for a retry after an
        upgrade, not quarantined); the case's chain moves past it. None otherwise."""
        try:
            Envelope.from_json(value)
        except DomainError as exc:
            return exc if self._unknown_in_order(exc, value, headers, {}) else None
        return None

    def _unknown_in_order(
        self,
        exc: DomainError,
        value: bytes,
        headers: dict[str, bytes],
        pending: dict[str, tuple[int, str]],
    ) -> bool:
        """Is this decoding error that of an authentic record of an unknown version, next in
        its case's chain? Then the chain moves past it at once."""
        if exc.code != "envelope_unknown_version" or not self.authentic(value, headers):
            return False
        data = json.loads(value)
        case_id, sequence = str(data.get("case_id")), data.get("sequence")
        if case_id in pending:
            return False  # behind a record of its case not applied yet: quarantined
        last_sequence, last_hash = self._head(case_id)
        if (
            data.get("source") != self.source
            or sequence != last_sequence + 1
            or data.get("prev_hash") != last_hash
            or not isinstance(data.get("hash"), str)
        ):
            return False  # the ordinary checks quarantine it
        self._move_head(case_id, int(sequence), data["hash"])
        return True

    def _check(
        self,
        envelope: Envelope,
        value: bytes,
        headers: dict[str, bytes],
        pending: dict[str, tuple[int, str]],
    ) -> Refusal | None:
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            return Refusal("unsigned", "the record carries no signature")
        signed = signed_bytes(self.topic, value)
        if not signature_holds(self.public_key, signed, signature.decode()):
            return Refusal("bad_signature", f"not signed by {self.source}'s key")
        if envelope.source != self.source:
            return Refusal("wrong_source", f"source {envelope.source!r} on {self.source}'s topic")
        if envelope.hash != envelope.compute_hash():
            return Refusal("bad_hash", "the envelope's hash does not match its fields")
        last_sequence, last_hash = pending.get(envelope.case_id) or self._head(envelope.case_id)
        if envelope.sequence <= last_sequence:
            return Refusal("replayed", f"sequence {envelope.sequence}, already at {last_sequence}")
        if envelope.sequence != last_sequence + 1:
            return Refusal(
                "out_of_order", f"sequence {envelope.sequence}, expected {last_sequence + 1}"
            )
        if envelope.prev_hash != last_hash:
            return Refusal("broken_chain", "prev_hash is not the hash of the case's last event")
        return None

    def _head(self, case_id: str) -> tuple[int, str]:
        """The sequence and hash of the last applied event of the case (0 and the genesis
        hash for a case never seen)."""
        return self._unsaved_heads.get(case_id) or self._heads.head(case_id)

    def _prefetch(self, case_ids: Iterable[str]) -> None:
        """Read the heads of the cases not remembered, in one statement."""
        self._heads.prefetch(c for c in case_ids if c not in self._unsaved_heads)

    def _stored_heads(self, case_ids: list[str]) -> dict[str, tuple[int, str]]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT case_id, sequence, hash FROM inbox_chain "
                "WHERE consumer = %s AND topic = %s AND case_id = ANY(%s)",
                (self.consumer, self.topic, case_ids),
            ).fetchall()
        return {str(c): (int(q), str(h)) for c, q, h in rows}

    def applied(self, envelope: Envelope, partition: int = -1, offset: int = -1) -> None:
        """Move the case's chain head, and the offset reached, once the handler has applied
        the envelope."""
        self.applied_many([envelope], {partition: offset} if partition >= 0 else None)

    def applied_many(
        self, envelopes: list[Envelope], reached: dict[int, int] | None = None,
        defer: bool = False,
    ) -> None:
        """Move the chain heads of a batch the handler has applied, in one statement, and
        the offsets reached in each partition.

        With `defer`, they move here at once and in the database at the next `flush`: a
        consumer flushes before it commits its Kafka offsets, so after a crash the records
        whose heads were not written come again from the broker, find their heads where
        the database left them, and are skipped by the handler's tracking.
        """
        heads = {e.case_id: (e.sequence, e.hash) for e in envelopes}  # the last of a case wins
        moved = {p: o for p, o in (reached or {}).items() if o > self._reached(p)}
        self._heads.update(heads)
        self._offsets.update(moved)
        self._unsaved_heads.update(heads)
        self._unsaved_offsets.update(moved)
        if not defer:
            self.flush()

    def flush(self) -> None:
        """Write the heads and offsets moved since the last write."""
        heads, moved = self._unsaved_heads, self._unsaved_offsets
        if not heads and not moved:
            return
        # One statement (one round trip, its own transaction) for the heads and offsets.
        with self._connection() as conn:
            conn.execute(
                "WITH heads AS ("
                " INSERT INTO inbox_chain (consumer, topic, case_id, sequence, hash)"
                " SELECT %(consumer)s, %(topic)s, c, q, h"
                " FROM unnest(%(cases)s::text[], %(sequences)s::int[], %(hashes)s::text[])"
                " AS t(c, q, h)"
                " ON CONFLICT (consumer, topic, case_id)"
                " DO UPDATE SET sequence = EXCLUDED.sequence, hash = EXCLUDED.hash"
                " RETURNING 1)"
                ' INSERT INTO inbox_offsets (consumer, topic, partition, "offset")'
                " SELECT %(consumer)s, %(topic)s, p, o"
                " FROM unnest(%(partitions)s::int[], %(offsets)s::bigint[]) AS t(p, o)"
                " ON CONFLICT (consumer, topic, partition)"
                ' DO UPDATE SET "offset" = greatest(inbox_offsets."offset", EXCLUDED."offset")',
                {
                    "consumer": self.consumer,
                    "topic": self.topic,
                    "cases": list(heads),
                    "sequences": [q for q, _ in heads.values()],
                    "hashes": [h for _, h in heads.values()],
                    "partitions": list(moved),
                    "offsets": list(moved.values()),
                },
            )
        self._unsaved_heads, self._unsaved_offsets = {}, {}

    def _move_head(self, case_id: str, sequence: int, hash_: str) -> None:
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO inbox_chain (consumer, topic, case_id, sequence, hash) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (consumer, topic, case_id) "
                "DO UPDATE SET sequence = EXCLUDED.sequence, hash = EXCLUDED.hash",
                (self.consumer, self.topic, case_id, sequence, hash_),
            )
        self._unsaved_heads.pop(case_id, None)  # older than this one: never write it back
        self._heads.update({case_id: (sequence, hash_)})

    def quarantine(
        self,
        partition: int,
        offset: int,
        value: bytes,
        refusal: Refusal,
        envelope: Envelope | None = None,
    ) -> None:
        log.error(
            "consumer %s quarantines %s@%s:%s: %s (%s)",
            self.consumer,
            self.topic,
            partition,
            offset,
            refusal.reason,
            refusal.detail,
        )
        with self.pool.connection() as conn:
            conn.execute(
                'INSERT INTO quarantine (consumer, topic, partition, "offset", reason, detail, '
                "case_id, event_type, sequence, value) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    self.consumer,
                    self.topic,
                    partition,
                    offset,
                    refusal.reason,
                    refusal.detail,
                    envelope.case_id if envelope else None,
                    envelope.type if envelope else None,
                    envelope.sequence if envelope else None,
                    value,
                ),
            )

    def quarantined(self) -> list[dict[str, Any]]:
        """This consumer's quarantined records, oldest first (for status and tests)."""
        with self.pool.connection() as conn:
            cur = conn.execute(
                'SELECT topic, partition, "offset", reason, detail, case_id, event_type, '
                "sequence FROM quarantine WHERE consumer = %s ORDER BY id",
                (self.consumer,),
            )
            names = [c.name for c in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
