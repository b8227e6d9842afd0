"""A few seconds' memory of sessions 会话缓存, so a user's next requests skip the database.

Every GraphQL request looks its session up; read from PostgreSQL in a worker thread that
was a round trip, a commit and a thread hop each time. An entry lives `ttl` seconds.

Safe for one gateway: everything that ends a session or changes its user (logout,
disable, password reset, language, second factor, lock, the idle clock's touch) goes
through this process's `IdentityStore`, which drops the entries first, and a lookup that
finds an entry still checks expiry and `enabled` as a database read would. Several
gateway replicas each keep their own cache: a logout or a disable made on one reaches the
others only when their entries expire, so it takes up to `ttl` seconds to bite there (and
so does `baton users` run from the command line). Scaling out needs shared invalidation
(e.g. PostgreSQL LISTEN/NOTIFY on session and user changes) or a TTL the operator accepts:
`GATEWAY_SESSION_CACHE_SECONDS` (5; 0 turns the cache off).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from gateway.identity.users import User

Found = tuple[dict[str, Any], User]


class SessionCache:
    """Session rows and their users by session-id digest, for `ttl` seconds at most."""

    def __init__(
        self,
        ttl: float = 5.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[bytes, tuple[float, Found]] = {}
        self._lock = threading.Lock()
        # Bumped by every drop: a database read that began before a change is not cached
        # after it (it may hold what the change replaced).
        self.generation = 0

    def get(self, id_hash: bytes) -> Found | None:
        with self._lock:
            entry = self._entries.get(id_hash)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[id_hash]
                return None
            return entry[1]

    def put(self, id_hash: bytes, found: Found, generation: int) -> None:
        """Remember what a read that began at `generation` found (unless a drop came since)."""
        if self.ttl <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self.max_entries:
                now = self._clock()
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()  # a burst of new sessions: start over
            self._entries[id_hash] = (self._clock() + self.ttl, found)

    def drop(self, id_hash: bytes) -> None:
        with self._lock:
            self.generation += 1
            self._entries.pop(id_hash, None)

    def drop_user(self, *, user_id: str | None = None, username: str | None = None) -> None:
        """Forget every session of a user whose account changed."""
        with self._lock:
            self.generation += 1
            self._entries = {
                key: (expires, (row, user))
                for key, (expires, (row, user)) in self._entries.items()
                if user.id != user_id and user.username != username
            }
