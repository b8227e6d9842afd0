"""Registration numbers 编号 taken in the transaction that stores the registration.

The number is part of the Registered event, so it must be known before the event is
encoded; the counter row (`registration_counter`) must move in the same transaction, or
a second transaction per registration is needed (how it was done before). The book
remembers the last number this process gave for each organ and year and offers the next
one; the registration's insert transaction then moves the counter from that number's
predecessor to it, under the store's table lock (`infra.with_events`). When another
writer took numbers meanwhile (another intake process, the history import), the counter
is not where the book thought: the statement raises, nothing is stored, the book forgets
what it knew and the registration takes its number the old way, in a transaction of its
own, which also tells the book where the counter is.

Numbers are given one at a time per organ and year in a process, and the next is given
as soon as the previous one's counter statement is queued behind the store's table lock
(`with_the_events(queued=...)`), not when it is stored: the table lock serialises the
inserts, and holding the book until the commit made every registration of a process wait
for the previous one's round trip (docs/performance.md, session 7). Should a later number
still reach the counter first, or an earlier registration fail, the later one is refused
as above and taken again the old way: the numbers stay dense and unique, only their order
may differ from the order of the requests that raced.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from psycopg.sql import SQL, Identifier

from infra.with_events import with_the_events
from services.intake.sidestore import SideStore, YearKey

# Moves the counter from n - 1 to n, or fails the transaction naming why (a cast of a
# value read from the row, which the planner cannot evaluate ahead of the row).
TAKE_NEXT = (
    "UPDATE {0} SET last_number = CASE "
    "WHEN last_number = %(number)s - 1 THEN %(number)s "
    "ELSE ('registration number taken: counter at ' || last_number)::int END "
    "WHERE organ_code = %(organ_code)s AND year = %(year)s"
)
TAKEN_MARK = "registration number taken"


class NumberTaken(Exception):
    """Another writer moved the counter: the registration was not stored."""


def is_taken(error: BaseException) -> bool:
    """Whether a failed save failed on the counter statement above."""
    while error is not None:
        if TAKEN_MARK in str(error):
            return True
        error = error.__cause__  # type: ignore[assignment]
    return False


class NumberBook:
    """The last number given per organ and year by this process (see the module)."""

    def __init__(self, side: SideStore, schema: str | None) -> None:
        self.side = side
        # None: an in-memory store, where every number comes from the side store.
        self.schema = schema
        # The store's connections do not search the schema: the table is named in full.
        self.take_next = (
            SQL(TAKE_NEXT).format(Identifier(schema or "", "registration_counter")).as_bytes()
        )
        self._last: dict[YearKey, int] = {}
        self._locks: dict[YearKey, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _lock_of(self, key: YearKey) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(key, threading.Lock())

    @contextmanager
    def number(self, organ_code: str, year: int, *, fresh: bool = False) -> Iterator[int]:
        """The registration's number; the registration is stored inside the block.
        `fresh`: taken the old way, in its own transaction (never `NumberTaken`)."""
        key = (organ_code, year)
        turn = _Turn(self._lock_of(key))
        try:
            last = None if fresh or self.schema is None else self._last.get(key)
            if last is None:
                number = self.side.next_number(organ_code, year)  # its own transaction
                # Committed: the counter is past it whatever becomes of the registration.
                self._last[key] = number
                turn.end()
                yield number
                return
            number = last + 1
            self._last[key] = number
            params = {"organ_code": organ_code, "year": year, "number": number}
            assert self.schema is not None
            try:
                with with_the_events(self.schema, self.take_next, params, queued=turn.end):
                    yield number
            except BaseException as failure:
                # Whatever failed, the counter may not be where the book thinks.
                self._last.pop(key, None)
                if is_taken(failure):
                    raise NumberTaken(organ_code, year, number) from failure
                raise
        finally:
            turn.end()


class _Turn:
    """One registration's hold on its organ's numbers, given up once."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        lock.acquire()
        self._held = True

    def end(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()
