"""A statement a use case adds to the transaction that stores its events.

The audited recorder (`infra.audit.recorder`) runs it right after taking the store's
table lock, in the same pipeline as the events' INSERT: it costs no round trip and no
transaction of its own, and if it fails (a condition it checks raises an error in the
database) nothing of the use case is stored. One statement, run in every insert
transaction into the store of one schema while the block lasts (a use case saves once
in it), set by the thread that saves: a context variable, like the idempotency claim in
`infra.idempotency`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from psycopg import Cursor
from psycopg.sql import Composed


@dataclass
class _Pending:
    schema: str
    statement: bytes | Composed
    params: dict[str, Any]
    queued: Callable[[], None] | None


_PENDING: ContextVar[_Pending | None] = ContextVar("baton_with_events", default=None)


@contextmanager
def with_the_events(
    schema: str,
    statement: bytes | Composed,
    params: dict[str, Any],
    queued: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Run `statement` in the insert transactions into `schema`'s store in the block;
    `queued` is called once it is queued behind the table lock (sent after it, or in
    the same message)."""
    token = _PENDING.set(_Pending(schema, statement, params, queued))
    try:
        yield
    finally:
        _PENDING.reset(token)


def run_pending(curs: Cursor[Any], schema: str) -> None:
    """Called by the recorder inside its insert transaction, after the table lock."""
    pending = _PENDING.get()
    if pending is None or pending.schema != schema:
        return
    # Every time: the library retries a save whose transaction failed to connect or to
    # get the table lock in time, and the retry's transaction must carry it again.
    curs.execute(pending.statement, pending.params, prepare=True)
    if pending.queued is None:
        return
    # A transaction sent as one message (the audited recorder's) calls it once it is sent.
    when_sent = getattr(curs, "when_sent", None)
    if when_sent is not None:
        when_sent(pending.queued)
    else:
        pending.queued()
