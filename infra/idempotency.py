"""Idempotency keys 幂等键: a create request sent twice (a double click, a retry after a
timeout) does its work once and answers the repeat with the first answer.

A client sends `Idempotency-Key` (1–128 visible ASCII characters). Keys are scoped by the
acting user (from the verified token), so two users never collide. The first request
with a key takes a transaction-scoped advisory lock on (schema, actor, key), does the
work and records (actor, key, fingerprint of the request, answer). Concurrent duplicates
wait on the lock and then find the record. The claim row (without the answer) is written
by the audited recorder inside the same transaction as the work's events
(`write_claim`), and its primary key refuses a second claim, so even a process that dies
between storing the events and storing the answer can never let a retry create twice; the
retry is then told `idempotency_key_unfinished` instead.

The same key with another body is refused with `idempotency_key_reused` (409).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Request, Response
from fastapi.encoders import jsonable_encoder
from psycopg import Cursor
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from domain.errors import Conflict, DomainError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TABLE = "idempotency_keys"
_KEY = re.compile(r"[\x21-\x7e]{1,128}")

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS {schema}.idempotency_keys ("
    "actor text NOT NULL, "
    "key text NOT NULL, "
    "fingerprint text NOT NULL, "
    "response jsonb, "
    "created_at timestamptz NOT NULL DEFAULT now(), "
    "PRIMARY KEY (actor, key))"
)


class MalformedKey(DomainError):
    """The Idempotency-Key header is not 1–128 visible ASCII characters (400)."""

    kind = "malformed"


def check_key(raw: str | None) -> str | None:
    """The key as sent, None when absent; refused when malformed."""
    if raw is None:
        return None
    if not _KEY.fullmatch(raw):
        raise MalformedKey(
            "idempotency_key_invalid",
            "幂等键须为1至128个可见ASCII字符",
            "Idempotency-Key must be 1 to 128 visible ASCII characters",
            field=HEADER,
        )
    return raw


def fingerprint(method: str, path: str, body: bytes) -> str:
    """sha256 of the request: method, path and the body (JSON in a canonical form)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        data = canonical.encode()
    except ValueError:
        data = body
    return hashlib.sha256(b"%s %s\n%s" % (method.encode(), path.encode(), data)).hexdigest()


@dataclass(frozen=True)
class Claim:
    """One keyed request of one actor."""

    actor: str
    key: str
    fingerprint: str


def _reused() -> Conflict:
    return Conflict(
        "idempotency_key_reused",
        "该幂等键已用于另一内容不同的请求",
        "This idempotency key was already used for a different request",
        field=HEADER,
    )


def _unfinished() -> Conflict:
    return Conflict(
        "idempotency_key_unfinished",
        "使用该幂等键的请求已生效但未能记录结果，请查看已登记内容",
        "A request with this key took effect but its answer was not recorded; look it up",
        field=HEADER,
    )


def _replay(claim: Claim, stored_fingerprint: str, response: Any) -> Any:
    if stored_fingerprint != claim.fingerprint:
        raise _reused()
    if response is None:
        raise _unfinished()
    return response


@dataclass
class _Pending:
    schema: str
    claim: Claim
    written: bool = field(default=False)


# The claim the current thread's work should store with its events (see `write_claim`).
_PENDING: ContextVar[_Pending | None] = ContextVar("baton_idempotency_claim", default=None)


def write_claim(curs: Cursor[Any], schema: str) -> None:
    """Called by the recorder inside its insert transaction: store the pending claim of
    this thread's keyed request once, so the claim commits (or not) with the events."""
    pending = _PENDING.get()
    if pending is None or pending.written or pending.schema != schema:
        return
    claim = pending.claim
    # Not marked written here: the library retries an insert whose transaction failed (a
    # lost connection, a lock timeout), and the retry must carry the claim again.
    curs.execute(
        f'INSERT INTO "{schema}".{TABLE} (actor, key, fingerprint) VALUES (%s, %s, %s)',
        (claim.actor, claim.key, claim.fingerprint),
    )


def claim_stored(schema: str) -> None:
    """Called by the recorder once an insert into `schema`'s store has committed: the
    pending claim went with it, and the use case's later saves must not write it again."""
    pending = _PENDING.get()
    if pending is not None and pending.schema == schema:
        pending.written = True


class IdempotencyStore(Protocol):
    def run(self, claim: Claim, work: Callable[[], Any]) -> tuple[Any, bool]:
        """The answer and whether it is a replay of an earlier request's."""


class PostgresIdempotency:
    """Keys in `<schema>.idempotency_keys`, next to the service's event store."""

    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.pool = pool
        self.schema = schema

    def run(self, claim: Claim, work: Callable[[], Any]) -> tuple[Any, bool]:
        table = f'"{self.schema}".{TABLE}'
        with self.pool.connection() as conn, conn.transaction():
            # Duplicates of one key take turns here; the lock ends with this transaction.
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                ("\n".join((self.schema, claim.actor, claim.key)),),
            )
            row = conn.execute(
                f"SELECT fingerprint, response FROM {table} WHERE actor = %s AND key = %s",
                (claim.actor, claim.key),
            ).fetchone()
            if row is not None:
                return _replay(claim, row[0], row[1]), True
            token = _PENDING.set(_Pending(self.schema, claim))
            try:
                answer = jsonable_encoder(work())
            finally:
                _PENDING.reset(token)
            conn.execute(
                f"INSERT INTO {table} (actor, key, fingerprint, response) "
                "VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (actor, key) DO UPDATE SET response = EXCLUDED.response",
                (claim.actor, claim.key, claim.fingerprint, Jsonb(answer)),
            )
            return answer, False


class MemoryIdempotency:
    """Keys in memory (unit tests of in-memory applications)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._rows: dict[tuple[str, str], tuple[str, Any]] = {}

    def run(self, claim: Claim, work: Callable[[], Any]) -> tuple[Any, bool]:
        ident = (claim.actor, claim.key)
        with self._guard:
            lock = self._locks.setdefault(ident, threading.Lock())
        with lock:
            if ident in self._rows:
                stored, answer = self._rows[ident]
                return _replay(claim, stored, answer), True
            answer = jsonable_encoder(work())
            self._rows[ident] = (claim.fingerprint, answer)
            return answer, False


@dataclass
class Idempotent:
    """A route's keyed request (or an unkeyed one): `once` runs its work at most once."""

    key: str | None
    fingerprint: str
    response: Response

    def once(self, store: IdempotencyStore, actor: str, work: Callable[[], Any]) -> Any:
        """The work's answer, or the recorded answer of an earlier request with the key."""
        if self.key is None:
            return work()
        answer, replayed = store.run(Claim(actor, self.key, self.fingerprint), work)
        if replayed:
            self.response.headers[REPLAYED_HEADER] = "true"
        return answer


async def idempotent(
    request: Request,
    response: Response,
    raw_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="1–128 visible ASCII characters; a repeat with the same key and "
            "body answers the first request 幂等键",
        ),
    ] = None,
) -> Idempotent:
    """FastAPI dependency: the checked `Idempotency-Key` header and the request's
    fingerprint (the body is read once and cached for the route)."""
    key = check_key(raw_key)
    body = await request.body() if key is not None else b""
    return Idempotent(key, fingerprint(request.method, request.url.path, body), response)


Keyed = Annotated[Idempotent, Depends(idempotent)]
"""A create route's parameter: its request, keyed or not."""
