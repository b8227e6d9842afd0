"""The audited process recorder: eventsourcing's PostgreSQL process recorder, plus one
audit row per stored event written in the same transaction as the event.

The library takes an EXCLUSIVE lock on the events table before inserting, so concurrent
writers reach the audit table one at a time and the chain stays dense and valid. Chosen
through the factory's `PROCESS_RECORDER_TOPIC` setting (see `infra.eventstore`).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
import weakref
from collections.abc import Sequence
from typing import Any, cast

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import retry
from psycopg import Connection, Cursor, errors
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from infra import dbroles, idempotency, with_events
from infra.audit.leaves import GENESIS_HEAD, leaf_data, leaf_hash, next_head
from infra.message import Message

RECORDER_TOPIC = "infra.audit.recorder:AuditedProcessRecorder"


def audit_table_of(events_table: str) -> str:
    """`intakeapplication_events` → `intakeapplication_audit`."""
    return events_table.removesuffix("_events") + "_audit"


class AuditedProcessRecorder(dbroles.OwnerDeclaredRecorder, PostgresProcessRecorder):
    """Chains every stored event into `<app>_audit` inside the insert transaction."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(
            datastore,
            events_table_name=events_table_name,
            tracking_table_name=tracking_table_name,
        )
        self.audit_table_name = audit_table_of(events_table_name)
        # The cursor of the head read, between inserting the events and chaining them.
        self._head = threading.local()
        self.check_identifier_length(self.audit_table_name)
        table = Identifier(datastore.schema, self.audit_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                "sequence bigint PRIMARY KEY, "
                "notification_id bigint NOT NULL UNIQUE, "
                "leaf bytea NOT NULL, "
                "head bytea NOT NULL, "
                "recorded_at timestamptz NOT NULL DEFAULT now())"
            ).format(table)
        )
        # Keyed create requests claim their key in the same transaction as their events.
        self.sql_create_statements.append(
            SQL(idempotency.CREATE_TABLE.format(schema="{0}")).format(Identifier(datastore.schema))
        )
        self.select_head_statement = SQL(
            "SELECT sequence, head FROM {0} ORDER BY sequence DESC LIMIT 1"
        ).format(table)
        # One statement per batch, whatever its size: columns as arrays (binary, no
        # composite text escaping) rather than a row per statement (history import).
        self.insert_audit_statement = SQL(
            "INSERT INTO {0} (sequence, notification_id, leaf, head) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[], %s::bytea[])"
        ).format(table)
        self.insert_event_arrays_statement = SQL(
            "INSERT INTO {0} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::{1}[], %s::bigint[], %s::text[], %s::bytea[]) "
            "RETURNING notification_id"
        ).format(
            Identifier(datastore.schema, events_table_name),
            Identifier(datastore.originator_id_type),
        )

        # One stored event (most saves: a registration, a command, a consumer's step): the
        # event and its audit row in one statement, the chain's next head computed by the
        # server from the head it reads under the table lock (sha256(head || leaf), as
        # `leaves.next_head`); the leaf hash is computed before the lock is asked for.
        self.insert_one_audited_bytes = (
            SQL(
                "WITH e AS ("
                "INSERT INTO {0} (originator_id, originator_version, topic, state) "
                "VALUES (%s::{2}, %s::bigint, %s::text, %s::bytea) "
                "RETURNING notification_id) "
                "INSERT INTO {1} (sequence, notification_id, leaf, head) "
                "SELECT COALESCE(h.sequence, 0) + 1, e.notification_id, %s::bytea, "
                "sha256(COALESCE(h.head, %s::bytea) || %s::bytea) "
                "FROM e LEFT JOIN (SELECT sequence, head FROM {1} "
                "ORDER BY sequence DESC LIMIT 1) h ON true "
                "RETURNING notification_id"
            )
            .format(
                Identifier(datastore.schema, events_table_name),
                table,
                Identifier(datastore.originator_id_type),
            )
            .as_bytes()
        )

        # The same statement prepared once per connection, for the one-message insert (a
        # simple-protocol message cannot carry a prepared statement's parameters, but can
        # EXECUTE it): planned once, not under the table lock at every save.
        numbered = itertools.count(1)
        digest = hashlib.sha256(self.insert_one_audited_bytes).hexdigest()[:12]
        self.prepared_insert_name = f"baton_insert_one_{digest}"
        self.prepare_insert_bytes = (
            f"PREPARE {self.prepared_insert_name} AS ".encode()
            + re.sub(rb"%s", lambda _: f"${next(numbered)}".encode(), self.insert_one_audited_bytes)
        )
        placeholders = ", ".join(["%s"] * self.insert_one_audited_bytes.count(b"%s"))
        self.execute_insert_bytes = (
            f"EXECUTE {self.prepared_insert_name} ({placeholders})".encode()
        )
        self._prepared_on: weakref.WeakSet[Connection[DictRow]] = weakref.WeakSet()

        # Composed once here rather than on every insert (psycopg composes an SQL object
        # again each time it is executed; the bytes are the same every time).
        self.lock_table_statements = [
            q.as_bytes() if isinstance(q, Composed) else q for q in self.lock_table_statements
        ]
        self.notify_statement = SQL("NOTIFY {0}").format(Identifier(self.channel_name)).as_bytes()
        self.insert_event_arrays_bytes = self.insert_event_arrays_statement.as_bytes()
        self.insert_audit_bytes = self.insert_audit_statement.as_bytes()
        self.select_head_bytes = self.select_head_statement.as_bytes()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert, retries included; then the idempotency claim counts as
        stored (it is written in every try, and only a committed one carries it)."""
        if len(stored_events) == 1 and not self.datastore.enable_db_functions:
            notification_ids = self._insert_one(stored_events[0], **kwargs)
        else:
            notification_ids = super().insert_events(stored_events, **kwargs)
        idempotency.claim_stored(self.datastore.schema)
        return notification_ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_one(self, stored: StoredEvent, **kwargs: Any) -> Sequence[int]:
        """One event, its audit row and whatever the use case adds (`infra.with_events`,
        `infra.idempotency`) in one transaction sent as one message: the server runs it
        from the table lock to the COMMIT without waiting for this process. Statements
        sent one by one (the library's way, or one pipeline) kept the lock while the
        server waited for the next of them, as long as this thread waited for a core and
        the interpreter; every other writer of the store waited behind it (under load,
        40 % of the time the lock was held). The insert is a statement prepared once per
        connection, EXECUTEd in the message. A tracking row (a process application's
        step) needs its result read inside the transaction: it goes the pipeline's way.
        A failed statement (a version already taken, a use case's refused condition)
        fails the whole message and stores nothing; its error is mapped by the datastore
        like the library's. Retried like the library's insert (a connection lost, a lock
        not got in time)."""
        leaf = leaf_hash(
            leaf_data(stored.originator_id, stored.originator_version, stored.topic, stored.state)
        )
        if kwargs.get("tracking") is not None:
            return self._insert_one_pipelined(stored, leaf, **kwargs)
        schema = self.datastore.schema
        with self.datastore.get_connection() as conn:
            if conn not in self._prepared_on:
                conn.execute(self.prepare_insert_bytes)
                self._prepared_on.add(conn)
            message = Message(conn)
            # The library's and the use cases' statements go into it as into a cursor.
            statements = cast("Cursor[DictRow]", message)
            self._lock_table(statements)
            self._notify_channel(statements)
            idempotency.write_claim(statements, schema)
            with_events.run_pending(statements, schema)
            message.execute(self.execute_insert_bytes, self._audited_params(stored, leaf))
            try:
                # The insert goes last: its RETURNING notification ids.
                ids = [int(value or b"") for value in message.send()]
            except errors.InvalidSqlStatementName:
                # The session lost it (a reset connection): prepared again at the retry.
                self._prepared_on.discard(conn)
                raise OperationalError("the prepared insert was gone") from None
        if len(ids) != 1:
            raise ProgrammingError(f"expected one notification id, got {len(ids)}")
        return ids

    def _insert_one_pipelined(
        self, stored: StoredEvent, leaf: bytes, **kwargs: Any
    ) -> Sequence[int]:
        """As above, with a tracking row: everything, COMMIT included, in one pipeline
        sync (the library syncs after the INSERT and again for the COMMIT)."""
        schema = self.datastore.schema
        with self.datastore.get_connection() as conn:
            with conn.pipeline(), conn.transaction():
                with conn.cursor() as curs:
                    # The library's hook: a process recorder's tracking row.
                    self._insert_events(curs, [stored], **kwargs)
                    self._lock_table(curs)
                    self._notify_channel(curs)
                    with_events.run_pending(curs, schema)
                    idempotency.write_claim(curs, schema)
                insert = conn.cursor()
                insert.execute(
                    self.insert_one_audited_bytes, self._audited_params(stored, leaf),
                    prepare=True,
                )
            # Committed: the pipeline's one sync brought every result back.
            rows = insert.fetchall()
            insert.close()
        if len(rows) != 1:
            raise ProgrammingError(f"expected one notification id, got {len(rows)}")
        return [int(rows[0]["notification_id"])]

    @staticmethod
    def _audited_params(stored: StoredEvent, leaf: bytes) -> tuple[Any, ...]:
        return (
            stored.originator_id,
            stored.originator_version,
            stored.topic,
            stored.state,
            leaf,
            GENESIS_HEAD,
            leaf,
        )

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self.notify_statement)

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        """The library's insert (table lock, notify, one INSERT … RETURNING), with the
        columns sent as four arrays instead of an array of composites."""
        self._lock_table(curs)
        self._notify_channel(curs)
        # A use case's own statement (intake's registration number), under the same lock.
        with_events.run_pending(curs, self.datastore.schema)
        curs.execute(
            self.insert_event_arrays_bytes,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
        )
        # The chain's head is read in the same pipeline (after the table lock, so no other
        # writer moves it): one round trip for lock, insert and head instead of two.
        head = curs.connection.cursor()
        head.execute(self.select_head_bytes, prepare=True)
        self._head.cursor = head

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert notification_ids is not None and len(notification_ids) == len(stored_events)
        head_cursor = self._head.cursor
        self._head.cursor = None
        row = head_cursor.fetchone()
        head_cursor.close()
        sequence, head = (int(row["sequence"]), bytes(row["head"])) if row else (0, GENESIS_HEAD)
        sequences: list[int] = []
        leaves: list[bytes] = []
        heads: list[bytes] = []
        for stored in stored_events:
            leaf = leaf_hash(
                leaf_data(
                    stored.originator_id, stored.originator_version, stored.topic, stored.state
                )
            )
            sequence += 1
            head = next_head(head, leaf)
            sequences.append(sequence)
            leaves.append(leaf)
            heads.append(head)
        curs.execute(
            self.insert_audit_bytes, (sequences, list(notification_ids), leaves, heads)
        )
        idempotency.write_claim(curs, self.datastore.schema)
        return notification_ids
