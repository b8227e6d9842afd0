"""The access log 访问日志: who did or was refused what, when, on which case.

Append-only: this module only INSERTs and SELECTs, and a trigger refuses UPDATE and DELETE
of its rows. Each row also carries the SHA-256 of the previous row's hash and its own
content, so `verify()` names the first row changed behind the trigger's back.

One table (schema `<namespace>access`) for the gateway and the services, so an auditor
reads one trail. Never holds a reporter's identity, a password, a session id
or a token: callers pass codes, ids and fixed reasons only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from psycopg.rows import dict_row

from infra.eventstore import connect, connection_pool, ensure_schema

__all__ = [
    "AccessEntry",
    "AccessLog",
    "AccessQuery",
    "AccessRecorder",
    "MemoryAccessLog",
    "Outcome",
]

Outcome = Literal["allowed", "refused"]
MAX_ROWS = 1000

TABLE = """
CREATE TABLE IF NOT EXISTS access_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    user_id text,
    username text,
    organ text,
    case_id text,
    case_organ text,
    action text NOT NULL,
    object text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('allowed', 'refused')),
    reason text NOT NULL,
    previous_hash bytea NOT NULL,
    hash bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_at ON access_log (at);
CREATE INDEX IF NOT EXISTS access_log_organ ON access_log (organ text_pattern_ops);
CREATE INDEX IF NOT EXISTS access_log_case ON access_log (case_id);
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only';
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS access_log_append_only ON access_log;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
"""


_COLUMNS = "id, at, user_id, username, organ, case_id, case_organ, action, object, outcome, reason"


@dataclass(frozen=True)
class AccessEntry:
    """One line of the log. `reason` is a code or fixed phrase, never free user input."""

    at: datetime
    action: str
    object: str
    outcome: Outcome
    reason: str
    user_id: str | None = None
    username: str | None = None
    organ: str | None = None
    case_id: str | None = None
    case_organ: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class AccessQuery:
    """What an auditor asks for: their subtree, optionally narrowed."""

    subtree: str
    username: str | None = None
    case_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    outcome: Outcome | None = None
    first: int = 100
    # Entries with no organ (anonymous refusals) belong to no subtree; top-level auditors
    # see them.
    include_anonymous: bool = False


class AccessRecorder(Protocol):
    """Where services write their entries: the PostgreSQL log, or a list in unit tests."""

    def record(self, entry: AccessEntry) -> None: ...


class MemoryAccessLog:
    """Entries kept in a list, for unit tests of services without a database."""

    def __init__(self) -> None:
        self.entries: list[AccessEntry] = []

    def record(self, entry: AccessEntry) -> None:
        self.entries.append(entry)


class AccessLog:
    """Appends entries and answers auditors' queries."""

    def __init__(self, database_url: str, schema: str) -> None:
        self._lock = f"baton-access-log:{schema}"
        ensure_schema(database_url, schema)
        # Through infra: as the runtime role, the declaration goes to the owner role.
        with connect(database_url, schema) as conn:
            conn.execute(TABLE)  # type: ignore[arg-type]
        self._pool = connection_pool(database_url, schema, max_size=2)

    def close(self) -> None:
        self._pool.close()

    def record(self, entry: AccessEntry) -> None:
        with self._pool.connection() as conn:
            # One writer at a time, so that each row chains to the one before it.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._lock,))
            last = conn.execute("SELECT hash FROM access_log ORDER BY id DESC LIMIT 1").fetchone()
            previous = bytes(last[0]) if last else b""
            conn.execute(
                "INSERT INTO access_log (at, user_id, username, organ, case_id, case_organ, "
                "action, object, outcome, reason, previous_hash, hash) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    entry.at,
                    entry.user_id,
                    entry.username,
                    entry.organ,
                    entry.case_id,
                    entry.case_organ,
                    entry.action,
                    entry.object,
                    entry.outcome,
                    entry.reason,
                    previous,
                    _chain(previous, entry),
                ),
            )

    def verify(self) -> int | None:
        """The id of the first row whose hash or link does not hold; None when all do."""
        previous = b""
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(f"SELECT {_COLUMNS}, previous_hash, hash FROM access_log ORDER BY id")
            for row in cur:
                stored, link = bytes(row.pop("hash")), bytes(row.pop("previous_hash"))
                if link != previous or stored != _chain(previous, AccessEntry(**row)):
                    return int(row["id"])
                previous = stored
        return None

    def query(self, q: AccessQuery) -> list[AccessEntry]:
        """Newest first, at most `first` (capped at MAX_ROWS) entries."""
        prefix = q.subtree + "%"
        scope = "(organ LIKE %s OR case_organ LIKE %s"
        params: list[Any] = [prefix, prefix]
        scope += " OR organ IS NULL)" if q.include_anonymous else ")"
        clauses = [scope]
        for column, op, value in (
            ("username", "=", q.username),
            ("case_id", "=", q.case_id),
            ("at", ">=", q.start),
            ("at", "<=", q.end),
            ("outcome", "=", q.outcome),
        ):
            if value is not None:
                clauses.append(f"{column} {op} %s")
                params.append(value)
        limit = max(0, min(q.first, MAX_ROWS))
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                f"SELECT {_COLUMNS} FROM access_log WHERE {' AND '.join(clauses)} "
                "ORDER BY at DESC, id DESC LIMIT %s",
                (*params, limit),
            )
            return [AccessEntry(**row) for row in cur.fetchall()]


def _chain(previous: bytes, entry: AccessEntry) -> bytes:
    content = json.dumps(
        [
            entry.at.astimezone(UTC).isoformat(),
            entry.user_id,
            entry.username,
            entry.organ,
            entry.case_id,
            entry.case_organ,
            entry.action,
            entry.object,
            entry.outcome,
            entry.reason,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(previous + content.encode()).digest()
