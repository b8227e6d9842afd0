"""Bulk insert of stored events into an audited store (the history import's fast path).

What `infra.audit.recorder.AuditedProcessRecorder` does for one save, done for a whole
batch with binary `COPY`: in one transaction, the events table's EXCLUSIVE lock (so the
relay, which reads up to the highest committed notification id, never passes a gap filled
later), `NOTIFY` (delivered at commit), the batch's notification ids drawn from the
table's sequence in one statement, the events copied with those ids, and their audit rows
(leaf, running hash chain from the stored head, as the recorder computes them, in the
same order) copied into `<app>_audit`. `baton verify` checks the result like any other.
The COPY data is packed here in PostgreSQL's binary format, a struct per row, rather than
by psycopg's `write_row` field by field (the import's hottest loop).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from infra.audit.leaves import GENESIS_HEAD, leaf_data, leaf_hash, next_head
from infra.audit.recorder import AuditedProcessRecorder

__all__ = ["BulkWriter", "Row"]

Row = tuple[UUID, int, str, bytes]
"""A stored event: originator id, version, topic, state."""

LOCK_TIMEOUT = 120


class BulkWriter:
    """Writes batches of stored events (and their audit rows) into one audited store."""

    def __init__(self, recorder: AuditedProcessRecorder) -> None:
        self.recorder = recorder
        schema = recorder.datastore.schema
        events = Identifier(schema, recorder.events_table_name)
        audit = Identifier(schema, recorder.audit_table_name)
        # The import waits its turn behind live writers longer than they wait for it.
        self.lock = SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events)
        self.channel = SQL("NOTIFY {}").format(Identifier(recorder.channel_name))
        self.id_type = recorder.datastore.originator_id_type
        self._topics: dict[str, bytes] = {}
        # One row holding every id: a row per id costs more to fetch than to insert.
        self.next_ids = SQL(
            "SELECT array_agg(n ORDER BY n) FROM (SELECT nextval("
            "pg_get_serial_sequence(%s, 'notification_id')) AS n FROM generate_series(1, %s)) s"
        )
        self.events_name = f'"{schema}"."{recorder.events_table_name}"'
        self.copy_events = SQL(
            "COPY {} (notification_id, originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)"
        ).format(events)
        self.copy_audit = SQL(
            "COPY {} (sequence, notification_id, leaf, head) FROM STDIN (FORMAT BINARY)"
        ).format(audit)

    # As the library's recorder retries its inserts: a dropped connection or a lock not
    # granted in time leaves nothing written, and the batch is tried again.
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def write(self, rows: Sequence[Row]) -> list[int]:
        """Store these events in one transaction; their notification ids, in order.

        A version stored already raises eventsourcing's `IntegrityError` and nothing is
        written.
        What does not depend on the ids or the chain's head (the rows' bytes, their leaf
        hashes) is made before the lock is taken, so the store is held only to write.
        """
        if not rows:
            return []
        tails = [self._event_tail(row) for row in rows]
        leaves = [leaf_hash(leaf_data(*row)) for row in rows]
        recorder = self.recorder
        with recorder.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as curs:
                curs.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}s'")
                curs.execute(self.lock)
                curs.execute(self.channel)
                curs.execute(self.next_ids, (self.events_name, len(rows)))
                drawn = curs.fetchone()
                assert drawn is not None
                ids: list[int] = _value(drawn)
                curs.execute(recorder.select_head_statement)
                head_row = curs.fetchone()
            sequence, head = (
                (int(_get(head_row, "sequence")), bytes(_get(head_row, "head")))
                if head_row
                else (0, GENESIS_HEAD)
            )
            events = [_EVENT_HEAD(5, 8, i) + tail for i, tail in zip(ids, tails, strict=True)]
            audit = []
            for notification_id, leaf in zip(ids, leaves, strict=True):
                head = next_head(head, leaf)
                sequence += 1
                audit.append(_AUDIT_ROW(4, 8, sequence, 8, notification_id, 32, leaf, 32, head))
            with conn.cursor() as curs:
                with curs.copy(self.copy_events) as copy:
                    copy.write(b"".join((_SIGNATURE, *events, _TRAILER)))
                with curs.copy(self.copy_audit) as copy:
                    copy.write(b"".join((_SIGNATURE, *audit, _TRAILER)))
        return ids

    def _event_tail(self, row: Row) -> bytes:
        """A row of PostgreSQL's binary COPY format after its notification id."""
        originator_id, version, topic, state = row
        identity = originator_id.bytes if self.id_type == "uuid" else str(originator_id).encode()
        topic_bytes = self._topics.get(topic)
        if topic_bytes is None:
            topic_bytes = self._topics[topic] = topic.encode()
        return b"".join((
            _LENGTH(len(identity)), identity, _VERSION(8, version),
            _LENGTH(len(topic_bytes)), topic_bytes, _LENGTH(len(state)), state,
        ))


# PostgreSQL's binary COPY format: a signature, flags and header extension (none), then
# per row its field count and each field as length + bytes (int8 big-endian), then -1.
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_TRAILER = struct.pack(">h", -1)
_EVENT_HEAD = struct.Struct(">hiq").pack
_AUDIT_ROW = struct.Struct(">hiqiqi32si32s").pack
_LENGTH = struct.Struct(">i").pack
_VERSION = struct.Struct(">iq").pack


def _value(row: Any) -> Any:
    return row["array_agg"] if isinstance(row, dict) else row[0]


def _get(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else row[0 if name == "sequence" else 1]
