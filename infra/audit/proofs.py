"""Evidence for an outside auditor 审计证据: the latest signed checkpoint of a store and, for
one stored event, its bytes and RFC 9162 inclusion path under that checkpoint's root
(checked by deploy/verify_checkpoint.py with hashlib and cryptography alone)."""

from __future__ import annotations

import base64
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from psycopg import sql

from infra.audit.checkpoints import stored_checkpoints
from infra.audit.keys import public_bytes
from infra.audit.merkle import LeafTree
from infra.audit.platform import latest_checkpoint
from infra.audit.verify import audited_tables


def evidence(
    conn: psycopg.Connection[Any],
    schema: str,
    public_key: Ed25519PublicKey,
    sequence: int | None = None,
) -> dict[str, Any]:
    """The latest checkpoint, and the event at `sequence` with its inclusion path."""
    tables = audited_tables(conn, schema)
    if tables is None:
        raise LookupError(f"{schema} holds no audited store")
    events, audit = (sql.Identifier(schema, t) for t in tables)
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    kept = [c for _, c, _ in stored_checkpoints(conn) if c is not None]
    if not kept:
        raise LookupError(f"{schema} has no checkpoint yet")
    checkpoint = kept[-1]
    out: dict[str, Any] = {
        "checkpoint": {**checkpoint.__dict__},
        "public_key": base64.b64encode(public_bytes(public_key)).decode(),
    }
    if sequence is None:
        return out
    if not 0 < sequence <= checkpoint.size:
        raise LookupError(f"sequence {sequence} is not under the checkpoint of {checkpoint.size}")
    tree = LeafTree()
    leaves = conn.execute(
        sql.SQL("SELECT leaf FROM {} WHERE sequence <= %s ORDER BY sequence").format(audit),
        (checkpoint.size,),
    )
    for (leaf,) in leaves:
        tree.append_leaf_hash(bytes(leaf))
    row = conn.execute(
        sql.SQL(
            "SELECT e.originator_id::text, e.originator_version, e.topic, e.state, a.leaf "
            "FROM {} a JOIN {} e USING (notification_id) WHERE a.sequence = %s"
        ).format(audit, events),
        (sequence,),
    ).fetchone()
    if row is None:
        raise LookupError(f"no event at sequence {sequence}")
    case, version, topic, state, leaf = row
    out["inclusion"] = {
        "sequence": sequence,
        "leaf": bytes(leaf).hex(),
        "event": {
            "originator_id": case,
            "originator_version": version,
            "topic": topic,
            "state_b64": base64.b64encode(bytes(state)).decode(),
        },
        "path": [node.hex() for node in tree.audit_path(sequence - 1, checkpoint.size)],
    }
    return out


def case_inclusion(
    conn: psycopg.Connection[Any], schema: str, originator_ids: list[str]
) -> tuple[dict[str, Any] | None, dict[tuple[str, int], dict[str, Any]]]:
    """The store's latest checkpoint and, for every stored event of these aggregates,
    its audit sequence, leaf hash and RFC 9162 path under that checkpoint (None past it)."""
    tables = audited_tables(conn, schema)
    if tables is None:
        return None, {}
    events, audit = (sql.Identifier(schema, t) for t in tables)
    rows = conn.execute(
        sql.SQL(
            "SELECT e.originator_id::text, e.originator_version, a.sequence, a.leaf "
            "FROM {} e JOIN {} a USING (notification_id) "
            "WHERE e.originator_id = ANY(%s::uuid[]) ORDER BY a.sequence"
        ).format(events, audit),
        (originator_ids,),
    ).fetchall()
    checkpoint = latest_checkpoint(conn, schema)
    size = checkpoint.size if checkpoint else 0
    tree = LeafTree()
    if any(int(sequence) <= size for _, _, sequence, _ in rows):
        leaves = conn.execute(
            sql.SQL("SELECT leaf FROM {} WHERE sequence <= %s ORDER BY sequence").format(audit),
            (size,),
        )
        for (leaf,) in leaves:
            tree.append_leaf_hash(bytes(leaf))
    found = {}
    for case, version, sequence, leaf in rows:
        covered = int(sequence) <= size == tree.size
        found[(str(case), int(version))] = {
            "audit_sequence": int(sequence),
            "leaf": bytes(leaf).hex(),
            "path": [n.hex() for n in tree.audit_path(int(sequence) - 1, size)]
            if covered
            else None,
        }
    return ({**checkpoint.__dict__} if checkpoint else None), found
