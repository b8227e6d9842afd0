"""Signed checkpoints 签名检查点: a store's tree size, RFC 6962 root, chain head and time,
signed with the service's Ed25519 key, kept in the store's `audit_checkpoints` table and
published on `audit.checkpoints` for the witnesses.

The signed bytes are plain text (`Checkpoint.message`), so an outside auditor can check
them with nothing but `cryptography` (deploy/verify_checkpoint.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from infra.audit.keys import sign, signature_holds
from infra.audit.leaves import GENESIS_HEAD, leaf_data, leaf_hash, next_head
from infra.audit.merkle import LeafTree

log = logging.getLogger(__name__)

CHECKPOINTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    id bigserial PRIMARY KEY,
    size bigint NOT NULL,
    root text NOT NULL,
    head text NOT NULL,
    body text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
"""


@dataclass(frozen=True)
class Checkpoint:
    """What a store commits to at one moment."""

    service: str
    store: str
    size: int
    root: str
    head: str
    at: str
    signature: str = ""

    def message(self) -> bytes:
        """The exact bytes the signature covers."""
        return (
            "baton-checkpoint-v1\n"
            f"service: {self.service}\nstore: {self.store}\nsize: {self.size}\n"
            f"root: {self.root}\nhead: {self.head}\nat: {self.at}\n"
        ).encode()

    def signed(self, key: Ed25519PrivateKey) -> Checkpoint:
        return replace(self, signature=sign(key, self.message()))

    def signature_holds(self, key: Ed25519PublicKey) -> bool:
        return bool(self.signature) and signature_holds(key, self.message(), self.signature)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        data = json.loads(text)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


class StoreReader:
    """Reads one store's audit rows with the stored events they cover."""

    def __init__(self, connect: Callable[[], Any], events_table: str, audit_table: str) -> None:
        self.connect = connect
        self.events_table = events_table
        self.audit_table = audit_table

    def rows_after(self, sequence: int) -> Iterator[tuple[Any, ...]]:
        """(sequence, leaf, head, originator_id, version, topic, state), in order."""
        with self.connect() as conn:
            cur = conn.execute(
                f"SELECT a.sequence, a.leaf, a.head, e.originator_id, e.originator_version, "
                f"e.topic, e.state FROM {self.audit_table} a "
                f"JOIN {self.events_table} e ON e.notification_id = a.notification_id "
                f"WHERE a.sequence > %s ORDER BY a.sequence",
                (sequence,),
            )
            yield from cur


class Checkpointer:
    """Keeps a store's tree up to date and signs checkpoints of it."""

    def __init__(
        self,
        service: str,
        store: str,
        reader: StoreReader,
        key: Ed25519PrivateKey,
        publish: Callable[[Checkpoint, dict[str, Any] | None], None] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.service = service
        self.store = store
        self.reader = reader
        self.key = key
        self.publish = publish
        self.clock = clock
        self.tree = LeafTree()
        self.head = GENESIS_HEAD
        self.last: Checkpoint | None = None

    def catch_up(self) -> int:
        """Add the audit rows written since the last call; refuses a row that does not hold."""
        for sequence, leaf, head, originator_id, version, topic, state in self.reader.rows_after(
            self.tree.size
        ):
            expected = leaf_hash(leaf_data(originator_id, version, topic, bytes(state)))
            chained = next_head(self.head, expected)
            if sequence != self.tree.size + 1 or bytes(leaf) != expected or bytes(head) != chained:
                raise RuntimeError(
                    f"{self.store}: audit row {sequence} does not hold; no checkpoint signed"
                )
            self.tree.append_leaf_hash(expected)
            self.head = chained
        return self.tree.size

    def checkpoint(self, *, force: bool = False) -> Checkpoint | None:
        """Sign, keep and publish a checkpoint if the store grew (or if forced)."""
        if self.last is None:
            with self.reader.connect() as conn:
                kept = stored_checkpoints(conn)
            self.last = kept[-1][1] if kept else None
        size = self.catch_up()
        if size == 0 or (not force and self.last is not None and self.last.size == size):
            return None
        checkpoint = Checkpoint(
            service=self.service,
            store=self.store,
            size=size,
            root=self.tree.tree_head(size).hex(),
            head=self.head.hex(),
            at=self.clock().isoformat(),
        ).signed(self.key)
        with self.reader.connect() as conn:
            # The relay's checkpointer and `baton checkpoint` may race: sizes never go back.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"baton-cp:{self.store}",))
            newest = conn.execute("SELECT max(size) FROM audit_checkpoints").fetchone()
            if newest and newest[0] is not None and int(newest[0]) > size:
                return None
            conn.execute(
                "INSERT INTO audit_checkpoints (size, root, head, body) VALUES (%s, %s, %s, %s)",
                (checkpoint.size, checkpoint.root, checkpoint.head, checkpoint.to_json()),
            )
        proof = None
        if self.last is not None and 0 < self.last.size <= size:
            proof = {"prior_size": self.last.size, "proof": self.tree.consistency(self.last.size)}
        self.last = checkpoint
        if self.publish is not None:
            self.publish(checkpoint, proof)
        return checkpoint


def stored_checkpoints(conn: Any) -> list[tuple[int, Checkpoint | None, str]]:
    """Every checkpoint row of the store's schema, oldest first: (id, parsed, raw body)."""
    out: list[tuple[int, Checkpoint | None, str]] = []
    for row_id, body in conn.execute("SELECT id, body FROM audit_checkpoints ORDER BY id"):
        try:
            parsed: Checkpoint | None = Checkpoint.from_json(body)
        except (ValueError, KeyError, TypeError):
            parsed = None
        out.append((int(row_id), parsed, str(body)))
    return out
