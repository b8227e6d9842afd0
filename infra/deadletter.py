"""Dead letters 死信: records a consumer cannot apply, kept with the reason and the raw
record so an administrator can retry them after a fix, or discard them.

One shared schema (`<namespace>deadletters`), like the access log: an administrator reads
one list across every consumer, `baton status` counts it with one query, and the gateway
lists and marks rows without reaching into any service's schema. A retry is only a mark
here; the consumer process that owns the handler picks it up and re-applies the record
under a tracking row of its own (`deadletter#<id>`), so a second retry changes nothing.

Transient faults (the database or the broker unreachable, a lost race) are never
dead-lettered: the consumer retries them with backoff (`is_transient`).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from domain.errors import DomainError
from infra.doorbell import ring
from infra.eventstore import connect, connection_pool, ensure_schema

log = logging.getLogger(__name__)

SCHEMA = "deadletters"
STATUSES = ("dead", "retry", "retried", "discarded")

TABLE = """
CREATE TABLE IF NOT EXISTS dead_letters (
    id bigserial PRIMARY KEY,
    consumer text NOT NULL,
    service text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    key bytea,
    headers jsonb NOT NULL,
    value bytea NOT NULL,
    reason_code text NOT NULL,
    reason text NOT NULL,
    status text NOT NULL DEFAULT 'dead'
        CHECK (status IN ('dead', 'retry', 'retried', 'discarded')),
    attempts integer NOT NULL DEFAULT 0,
    at timestamptz NOT NULL DEFAULT now(),
    changed_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consumer, topic, partition, "offset")
);
CREATE INDEX IF NOT EXISTS dead_letters_status ON dead_letters (consumer, status);
"""

_COLUMNS = (
    'id, consumer, service, topic, partition, "offset", key, headers, value, reason_code, '
    "reason, status, attempts, at, changed_at"
)


def retry_bell(schema: str) -> str:
    """The doorbell (infra/doorbell.py) rung when a letter of `schema` is marked for retry."""
    return f"{schema}.retry"


def schema_of(namespace: str) -> str:
    return f"{namespace}{SCHEMA}"


def _transient_types() -> tuple[type[BaseException], ...]:
    from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
    from kafka.errors import KafkaError
    from psycopg_pool import PoolTimeout

    return (
        psycopg.OperationalError,
        psycopg.InterfaceError,
        PoolTimeout,
        OperationalError,
        InterfaceError,
        # Two consumers meeting on one row: the next try sees the winner's effect.
        IntegrityError,
        psycopg.errors.SerializationFailure,
        KafkaError,
        ConnectionError,
        TimeoutError,
    )


def is_transient(exc: BaseException) -> bool:
    """A fault of the database or the broker (retry later), not of the record."""
    if isinstance(exc, DomainError):
        return False
    transient = _transient_types()
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, transient):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def reason_of(exc: BaseException) -> tuple[str, str]:
    """(code, text) for a handler's failure; DomainErrors keep their code."""
    if isinstance(exc, DomainError):
        return exc.code, f"{exc.message_zh} / {exc.message_en}"
    return "handler_failed", f"{type(exc).__name__}: {exc}"[:2000]


@dataclass(frozen=True)
class RawRecord:
    """A record as the broker delivered it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: list[tuple[str, bytes]]
    value: bytes


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered record and what became of it."""

    id: int
    consumer: str
    service: str
    record: RawRecord
    reason_code: str
    reason: str
    status: str
    attempts: int
    at: datetime
    changed_at: datetime

    @property
    def tracking_name(self) -> str:
        """The tracking row a retry writes, so a second retry is a no-op."""
        return f"deadletter#{self.id}"

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly view without the raw value (CLI, status)."""
        return {
            "id": self.id,
            "consumer": self.consumer,
            "service": self.service,
            "topic": self.record.topic,
            "partition": self.record.partition,
            "offset": self.record.offset,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "status": self.status,
            "attempts": self.attempts,
            "at": self.at.isoformat(),
        }


def _headers_json(headers: list[tuple[str, bytes]]) -> Jsonb:
    return Jsonb([[k, base64.b64encode(v).decode()] for k, v in headers if v is not None])


def _letter(row: dict[str, Any]) -> DeadLetter:
    return DeadLetter(
        id=row["id"],
        consumer=row["consumer"],
        service=row["service"],
        record=RawRecord(
            topic=row["topic"],
            partition=row["partition"],
            offset=row["offset"],
            key=None if row["key"] is None else bytes(row["key"]),
            headers=[(k, base64.b64decode(v)) for k, v in row["headers"]],
            value=bytes(row["value"]),
        ),
        reason_code=row["reason_code"],
        reason=row["reason"],
        status=row["status"],
        attempts=row["attempts"],
        at=row["at"],
        changed_at=row["changed_at"],
    )


class DeadLetters:
    """The dead-letter table of one platform (namespace)."""

    def __init__(self, database_url: str, schema: str) -> None:
        ensure_schema(database_url, schema)
        with connect(database_url, schema) as conn:
            conn.execute(TABLE)
        self.schema = schema
        self._pool = connection_pool(database_url, schema, max_size=2)

    def close(self) -> None:
        self._pool.close()

    def record(
        self, consumer: str, service: str, raw: RawRecord, code: str, reason: str
    ) -> int | None:
        """Keep a record the consumer could not apply; a redelivery adds nothing."""
        log.error(
            "consumer %s dead-letters %s@%s:%s: %s (%s)",
            consumer,
            raw.topic,
            raw.partition,
            raw.offset,
            code,
            reason,
        )
        with self._pool.connection() as conn:
            row = conn.execute(
                'INSERT INTO dead_letters (consumer, service, topic, partition, "offset", key, '
                "headers, value, reason_code, reason) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                'ON CONFLICT (consumer, topic, partition, "offset") DO NOTHING RETURNING id',
                (
                    consumer,
                    service,
                    raw.topic,
                    raw.partition,
                    raw.offset,
                    raw.key,
                    _headers_json(raw.headers),
                    raw.value,
                    code,
                    reason,
                ),
            ).fetchone()
        return None if row is None else int(row[0])

    def list(self, status: str | None = None, limit: int = 200) -> list[DeadLetter]:
        """Newest first; `status` narrows to one state."""
        query = f"SELECT {_COLUMNS} FROM dead_letters"
        params: list[Any] = []
        if status is not None:
            query += " WHERE status = %s"
            params.append(status)
        query += " ORDER BY id DESC LIMIT %s"
        params.append(limit)
        with self._pool.connection() as conn:
            rows = conn.cursor(row_factory=dict_row).execute(query, params).fetchall()
        return [_letter(row) for row in rows]

    def get(self, letter_id: int) -> DeadLetter | None:
        with self._pool.connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(f"SELECT {_COLUMNS} FROM dead_letters WHERE id = %s", (letter_id,))
                .fetchone()
            )
        return None if row is None else _letter(row)

    def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT status, count(*) FROM dead_letters GROUP BY status")
            found = {str(status): int(n) for status, n in rows.fetchall()}
        return {status: found.get(status, 0) for status in STATUSES}

    def _move(self, letter_id: int, from_states: tuple[str, ...], to: str) -> DeadLetter | None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE dead_letters SET status = %s, changed_at = now() "
                "WHERE id = %s AND status = ANY(%s)",
                (to, letter_id, list(from_states)),
            )
            if to == "retry":  # wakes the consumers sleeping on their doorbells
                ring(conn, retry_bell(self.schema))
        return self.get(letter_id)

    def request_retry(self, letter_id: int) -> DeadLetter | None:
        """Mark a dead letter for its consumer to re-apply; None if there is no such id."""
        return self._move(letter_id, ("dead",), "retry")

    def discard(self, letter_id: int) -> DeadLetter | None:
        """Give a dead letter up (kept, marked); None if there is no such id."""
        return self._move(letter_id, ("dead", "retry"), "discarded")

    def retry_pending(self, consumer: str, topic: str, apply: Callable[[DeadLetter], None]) -> int:
        """Re-apply this consumer's letters of this topic marked for retry (one group may
        read several topics); returns how many succeeded.

        A transient fault leaves the mark for the next round; any other failure puts the
        letter back to `dead` with the new reason.
        """
        done = 0
        with self._pool.connection() as conn:
            rows = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    f"SELECT {_COLUMNS} FROM dead_letters "
                    "WHERE consumer = %s AND topic = %s AND status = 'retry' ORDER BY id",
                    (consumer, topic),
                )
                .fetchall()
            )
        for letter in map(_letter, rows):
            try:
                apply(letter)
            except Exception as exc:
                if is_transient(exc):
                    raise
                code, reason = reason_of(exc)
                log.error("retry of dead letter %s failed: %s (%s)", letter.id, code, reason)
                self._finish(letter.id, "dead", code, reason)
                continue
            self._finish(letter.id, "retried")
            done += 1
        return done

    def _finish(
        self, letter_id: int, status: str, code: str | None = None, reason: str | None = None
    ) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE dead_letters SET status = %s, attempts = attempts + 1, "
                "changed_at = now(), reason_code = coalesce(%s, reason_code), "
                "reason = coalesce(%s, reason) WHERE id = %s",
                (status, code, reason, letter_id),
            )
