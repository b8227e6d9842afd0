"""The verifier 审计校验: recompute every leaf from the stored events, the hash chain, the
Merkle roots, every checkpoint's signature, that each checkpoint extends the previous one,
and that the witnesses' copies agree; name the first broken link.

`verify_store` and `verify_all` are what `baton verify` (and later GraphQL's
`verifyAudit`) call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from psycopg import sql

from infra.audit.checkpoints import Checkpoint, stored_checkpoints
from infra.audit.leaves import GENESIS_HEAD, leaf_data, leaf_hash, next_head
from infra.audit.merkle import LeafTree, consistency_holds
from infra.audit.witness import TRUSTED

Progress = Callable[[int], None]
_BATCH = 5000


@dataclass(frozen=True)
class BrokenLink:
    """The first place where the store and its evidence disagree."""

    service: str
    store: str
    sequence: int | None
    case_id: str | None
    event_type: str | None
    what: str

    def __str__(self) -> str:
        where = f"sequence {self.sequence}" if self.sequence is not None else "no sequence"
        case = f", case {self.case_id}" if self.case_id else ""
        kind = f", {self.event_type}" if self.event_type else ""
        return f"{self.service} ({self.store}) {where}{case}{kind}: {self.what}"


@dataclass
class StoreReport:
    """What verifying one store found."""

    service: str
    store: str
    events: int = 0
    checkpoints: int = 0
    witnessed: int = 0
    broken: BrokenLink | None = None
    heads: dict[int, bytes] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.broken is None


def audited_tables(conn: psycopg.Connection[Any], schema: str) -> tuple[str, str] | None:
    """(events table, audit table) of a schema's store, or None if it has none."""
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
    ).fetchall()
    names = {str(r[0]) for r in rows}
    for name in sorted(names):
        if name.endswith("_audit") and name.removesuffix("_audit") + "_events" in names:
            return name.removesuffix("_audit") + "_events", name
    return None


def verify_store(
    conn: psycopg.Connection[Any],
    schema: str,
    service: str,
    public_key: Ed25519PublicKey,
    witnessed: Iterable[Checkpoint] = (),
    progress: Progress | None = None,
) -> StoreReport:
    """Verify one store; `conn` may be any role that can read it."""
    report = StoreReport(service, schema)
    tables = audited_tables(conn, schema)
    if tables is None:
        report.broken = BrokenLink(service, schema, None, None, None, "no audited store here")
        return report
    tree = LeafTree()
    report.broken = _walk_events(conn, schema, tables, report, tree, progress)
    if report.broken is None:
        report.broken = _check_checkpoints(conn, schema, report, tree, public_key)
    if report.broken is None:
        report.broken = _check_witnessed(conn, schema, report, tree, list(witnessed))
    return report


def _walk_events(
    conn: psycopg.Connection[Any],
    schema: str,
    tables: tuple[str, str],
    report: StoreReport,
    tree: LeafTree,
    progress: Progress | None,
) -> BrokenLink | None:
    events, audit = (sql.Identifier(schema, t) for t in tables)
    # Walk the audit table in sequence order with the events it covers; events without
    # an audit row are looked for afterwards (an anti-join, cheaper than a full join).
    query = sql.SQL(
        "SELECT a.sequence, a.notification_id, a.leaf, a.head, e.notification_id, "
        "e.originator_id::text, e.originator_version, e.topic, e.state "
        "FROM {audit} a LEFT JOIN {events} e ON e.notification_id = a.notification_id "
        "ORDER BY a.sequence"
    ).format(audit=audit, events=events)
    head = GENESIS_HEAD
    expected = 1
    service = report.service
    wanted_heads = {c.size for _, c, _ in _own_checkpoints(conn, schema) if c is not None}

    def broken(sequence: int | None, case: Any, topic: Any, what: str) -> BrokenLink:
        kind = str(topic).rpartition(":")[2] if topic else None
        return BrokenLink(service, schema, sequence, case, kind, what)

    with conn.transaction(), conn.cursor(name=f"verify_{schema}", binary=True) as cur:
        cur.execute(query)
        while rows := cur.fetchmany(_BATCH):
            for (
                sequence,
                audited_id,
                leaf,
                stored_head,
                event_id,
                case,
                version,
                topic,
                state,
            ) in rows:
                if sequence != expected:
                    return broken(
                        expected, None, None, f"audit sequence jumps to {sequence} (rows deleted)"
                    )
                if event_id is None:
                    return broken(
                        sequence, None, None, f"the event it covers ({audited_id}) is missing"
                    )
                recomputed = leaf_hash(leaf_data(case, version, topic, state))
                if recomputed != leaf:
                    return broken(
                        sequence,
                        case,
                        topic,
                        "the stored event (originator id, version, topic or state) "
                        "differs from its audit leaf",
                    )
                head = next_head(head, recomputed)
                if head != stored_head:
                    return broken(
                        sequence,
                        case,
                        topic,
                        "the chain head differs: this audit row or the one before it was rewritten",
                    )
                tree.append_leaf_hash(recomputed)
                if sequence in wanted_heads:
                    report.heads[sequence] = head
                expected += 1
            if progress is not None:
                progress(len(rows))
    orphan = conn.execute(
        sql.SQL(
            "SELECT e.notification_id, e.originator_id::text, e.topic FROM {events} e "
            "WHERE NOT EXISTS (SELECT 1 FROM {audit} a WHERE a.notification_id = "
            "e.notification_id) ORDER BY e.notification_id LIMIT 1"
        ).format(audit=audit, events=events)
    ).fetchone()
    if orphan is not None:
        event_id, case, topic = orphan
        return broken(None, case, topic, f"stored event {event_id} has no audit row (appended)")
    report.events = expected - 1
    return None


def _check_checkpoints(
    conn: psycopg.Connection[Any],
    schema: str,
    report: StoreReport,
    tree: LeafTree,
    public_key: Ed25519PublicKey,
) -> BrokenLink | None:
    if conn.execute("SELECT to_regclass(%s)", (f'"{schema}".audit_checkpoints',)).fetchone() == (
        None,
    ):
        return None
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    previous: Checkpoint | None = None
    for row_id, checkpoint, _ in stored_checkpoints(conn):
        report.checkpoints += 1

        def broken(what: str, size: int | None = None, _id: int = row_id) -> BrokenLink:
            return BrokenLink(report.service, schema, size, None, None, f"checkpoint {_id}: {what}")

        if checkpoint is None:
            return broken("unreadable")
        size = checkpoint.size
        if checkpoint.service != report.service or checkpoint.store != schema:
            return broken(f"names {checkpoint.service}/{checkpoint.store}", size)
        if not checkpoint.signature_holds(public_key):
            return broken(f"the signature does not hold ({report.service}'s key)", size)
        if not 0 < size <= tree.size:
            return broken(f"covers {size} events; the store holds {tree.size}", size)
        if bytes.fromhex(checkpoint.root) != tree.tree_head(size):
            return broken("the Merkle root differs from the stored events'", size)
        if bytes.fromhex(checkpoint.head) != report.heads.get(size):
            return broken("the chain head differs from the audit table's", size)
        if previous is not None and not _extends(previous, checkpoint, tree):
            return broken(f"does not extend the checkpoint of size {previous.size}", size)
        previous = checkpoint
    return None


def _extends(previous: Checkpoint, checkpoint: Checkpoint, tree: LeafTree) -> bool:
    """Does the consistency proof show `checkpoint` extends `previous`?"""
    if checkpoint.size < previous.size:
        return False
    return consistency_holds(
        bytes.fromhex(previous.root),
        bytes.fromhex(checkpoint.root),
        tree.consistency(previous.size, checkpoint.size),
    )


def _check_witnessed(
    conn: psycopg.Connection[Any],
    schema: str,
    report: StoreReport,
    tree: LeafTree,
    witnessed: list[Checkpoint],
) -> BrokenLink | None:
    own = {(c.size, c.root) for _, c, _ in _own_checkpoints(conn, schema) if c is not None}
    for checkpoint in sorted(witnessed, key=lambda c: c.size):
        report.witnessed += 1
        size = checkpoint.size
        if (size, checkpoint.root) not in own:
            return BrokenLink(
                report.service,
                schema,
                size,
                None,
                None,
                f"a witness holds a checkpoint of size {size} that the store no longer has "
                "(deleted or replaced)",
            )
        if size > tree.size or bytes.fromhex(checkpoint.root) != tree.tree_head(size):
            return BrokenLink(
                report.service,
                schema,
                size,
                None,
                None,
                f"the witnessed root at size {size} differs from the stored events'",
            )
    return None


def _own_checkpoints(conn: psycopg.Connection[Any], schema: str) -> list[Any]:
    if conn.execute("SELECT to_regclass(%s)", (f'"{schema}".audit_checkpoints',)).fetchone() == (
        None,
    ):
        return []
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    return stored_checkpoints(conn)


def witnessed_checkpoints(
    conn: psycopg.Connection[Any], store: str, namespace: str = ""
) -> list[Checkpoint]:
    """Every trusted copy of the store's checkpoints held by witnesses in the namespace."""
    out: list[Checkpoint] = []
    schemas = conn.execute(
        "SELECT schemaname FROM pg_tables WHERE tablename = 'audit_witness' AND schemaname LIKE %s",
        (namespace.replace("_", r"\_") + "%",),
    ).fetchall()
    for (witness_schema,) in schemas:
        rows = conn.execute(
            sql.SQL("SELECT body FROM {} WHERE store = %s AND status = ANY(%s)").format(
                sql.Identifier(witness_schema, "audit_witness")
            ),
            (store, list(TRUSTED)),
        ).fetchall()
        out += [Checkpoint.from_json(body) for (body,) in rows]
    return out
