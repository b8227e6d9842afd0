"""Statements sent to PostgreSQL as one transaction in one simple-protocol message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg import ClientCursor, Connection, errors, generators
from psycopg.pq import ExecStatus, TransactionStatus


class Message:
    """Statements gathered as a cursor would run them (parameters bound by psycopg's
    client-side quoting), then sent as one transaction in one simple-protocol message.

    No BEGIN and no COMMIT: the server runs a message of several statements as one
    implicit transaction, committed after its last statement. A statement that fails
    (a version taken, a registration number refused) ends it there and then, and the
    table lock with it; inside BEGIN ... COMMIT the lock stayed held until this thread
    came back to send a ROLLBACK, while every other writer of the store waited.

    A statement costs its own sends and receives even in a pipeline; in one message the
    whole transaction is one send and one receive (system calls are dear on a virtual
    machine). Hooks given to `when_sent` run once the message is on its way to the
    server, not before (`with_events`' `queued` hook: another thread's message sent first
    would take the store's table lock first, and the number given would be refused)."""

    def __init__(self, conn: Connection[Any]) -> None:
        self._conn = conn
        self._quoting = ClientCursor(conn)
        self._statements: list[str] = []
        self._on_sent: list[Callable[[], None]] = []

    def execute(self, query: Any, params: Any = None, **_: Any) -> None:
        self._statements.append(self._quoting.mogrify(query, params))

    def when_sent(self, hook: Callable[[], None]) -> None:
        self._on_sent.append(hook)

    def send(self) -> list[bytes | None]:
        """Run the transaction; the first column of the rows of its last statement that
        returns rows (as the server sent them)."""
        conn, pgconn = self._conn, self._conn.pgconn
        if pgconn.transaction_status != TransactionStatus.IDLE:
            # A transaction left open on the connection would take these statements in
            # and leave them uncommitted: nothing of this save is in it.
            conn.rollback()
        with conn.lock:
            pgconn.send_query(";\n".join(self._statements).encode())
            conn.wait(generators.send(pgconn))
            for hook in self._on_sent:
                hook()
            results = conn.wait(generators.fetch_many(pgconn))
        values: list[bytes | None] = []
        for result in results:
            if result.status == ExecStatus.FATAL_ERROR:
                # The failed statement ended the transaction and skipped the rest.
                raise errors.error_from_result(result, encoding=pgconn._encoding)
            if result.status == ExecStatus.TUPLES_OK:
                values = [result.get_value(row, 0) for row in range(result.ntuples)]
        return values
