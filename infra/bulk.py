"""Bulk insert of stored events into an audited store (the history import's fast path).

What `infra.audit.recorder.AuditedProcessRecorder` does for one save, done for a whole
batch with binary `COPY`: in one transaction, the events table's EXCLUSIVE lock (so the
relay, which reads up to the highest committed notification id, never passes a gap filled
later), `NOTIFY` (delivered at commit), the batch's notification ids drawn from the
table's sequence in one statement, the events copied with those ids, and their audit rows
(leaf, running hash chain from the stored head, as the recorder computes them, in the
same order) copied into `<app>_audit`. `baton verify` checks the result like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import Connection
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

    def write(self, rows: Sequence[Row]) -> list[int]:
        """Store these events in one transaction; their notification ids, in order.

        A version stored already raises psycopg's `UniqueViolation` and nothing is written.
        """
        if not rows:
            return []
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
            self._copy_events(conn, rows, ids)
            self._copy_audit(conn, rows, ids, sequence, head)
        return ids

    def _copy_events(self, conn: Connection[Any], rows: Sequence[Row], ids: list[int]) -> None:
        with conn.cursor() as curs, curs.copy(self.copy_events) as copy:
            copy.set_types(["int8", self.id_type, "int8", "text", "bytea"])
            for notification_id, (originator_id, version, topic, state) in zip(
                ids, rows, strict=True
            ):
                copy.write_row((notification_id, originator_id, version, topic, state))

    def _copy_audit(
        self,
        conn: Connection[Any],
        rows: Sequence[Row],
        ids: list[int],
        sequence: int,
        head: bytes,
    ) -> None:
        with conn.cursor() as curs, curs.copy(self.copy_audit) as copy:
            copy.set_types(["int8", "int8", "bytea", "bytea"])
            for notification_id, (originator_id, version, topic, state) in zip(
                ids, rows, strict=True
            ):
                leaf = leaf_hash(leaf_data(originator_id, version, topic, state))
                head = next_head(head, leaf)
                sequence += 1
                copy.write_row((sequence, notification_id, leaf, head))


def _value(row: Any) -> Any:
    return row["array_agg"] if isinstance(row, dict) else row[0]


def _get(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else row[0 if name == "sequence" else 1]
