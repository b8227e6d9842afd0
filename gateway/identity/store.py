"""The gateway's own tables (schema `<namespace>gateway`): users, sessions, login failures.

Session ids and throttle keys are stored only as SHA-256 digests.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from domain.errors import Conflict, NotFound
from gateway.identity.sealing import SecretUnreadable, TotpSealer, is_sealed
from gateway.identity.session_cache import SessionCache
from gateway.identity.users import NewUser, User
from infra.eventstore import connect, connection_pool, ensure_schema

log = logging.getLogger(__name__)
# What a user's TOTP secret reads as when the key cannot open it: enrolled, but no code
# matches, so the second factor is never skipped.
UNREADABLE = ""

TABLES = """
CREATE TABLE IF NOT EXISTS users (
    id uuid PRIMARY KEY,
    username text NOT NULL UNIQUE,
    name text NOT NULL,
    organ text NOT NULL,
    office text NOT NULL,
    roles text[] NOT NULL,
    language text NOT NULL,
    enabled boolean NOT NULL,
    password_hash text NOT NULL,
    totp_secret text,
    totp_last_step bigint,
    locked_until timestamptz,
    demo boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS users_organ ON users (organ text_pattern_ops);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE TABLE IF NOT EXISTS login_failures (
    key_hash bytea NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key_hash, at);
"""

_USER_COLUMNS = (
    "id, username, name, organ, office, roles, language, enabled, password_hash, "
    "totp_secret, totp_last_step, locked_until, demo"
)


def _user(row: dict[str, Any] | None, sealer: TotpSealer | None) -> User | None:
    if row is None:
        return None
    return User(
        id=str(row["id"]),
        username=row["username"],
        name=row["name"],
        organ_code=row["organ"],
        office=row["office"],
        roles=tuple(row["roles"]),
        language=row["language"],
        enabled=row["enabled"],
        password_hash=row["password_hash"],
        totp_secret=_opened(row["totp_secret"], str(row["id"]), sealer),
        totp_last_step=row["totp_last_step"],
        locked_until=row["locked_until"],
        demo=row["demo"],
    )


def _opened(stored: str | None, user_id: str, sealer: TotpSealer | None) -> str | None:
    """The clear TOTP secret; UNREADABLE (no code matches it) if this key cannot open it."""
    if stored is None or sealer is None:
        return stored
    try:
        return sealer.open(stored, user_id)
    except SecretUnreadable:
        log.error("the TOTP secret of user %s cannot be opened with this key", user_id)
        return UNREADABLE


def user_not_found(username: str) -> NotFound:
    return NotFound(
        "user_not_found", f"用户 {username} 不存在", f"No user {username!r}", username=username
    )


class IdentityStore:
    """Users, sessions and login failures on PostgreSQL; TOTP secrets sealed by `sealer`."""

    def __init__(
        self,
        database_url: str,
        schema: str,
        sealer: TotpSealer | None = None,
        cache: SessionCache | None = None,
    ) -> None:
        self._sealer = sealer
        # Every write below that ends a session or changes a user drops its entries.
        self.cache = cache if cache is not None else SessionCache(ttl=0)
        ensure_schema(database_url, schema)
        # Through infra: as the runtime role, the declaration goes to the owner role.
        with connect(database_url, schema) as conn:
            conn.execute(TABLES)  # type: ignore[arg-type]
        self._pool: ConnectionPool = connection_pool(database_url, schema)
        self.seal_clear_secrets()

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            yield cur

    # --- users ---------------------------------------------------------------------------

    def add_user(
        self,
        user: NewUser,
        password_hash: str,
        now: datetime,
        *,
        totp_secret: str | None = None,
        demo: bool = False,
    ) -> User:
        user_id = str(uuid.uuid4())
        try:
            with self._cursor() as cur:
                cur.execute(
                    "INSERT INTO users (id, username, name, organ, office, roles, language, "
                    "enabled, password_hash, totp_secret, demo, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, true, %s, %s, %s, %s)",
                    (
                        user_id,
                        user.username,
                        user.name,
                        user.organ_code,
                        user.office,
                        list(user.roles),
                        user.language,
                        password_hash,
                        self._sealed(totp_secret, user_id),
                        demo,
                        now,
                    ),
                )
        except psycopg.errors.UniqueViolation:
            raise Conflict(
                "username_taken",
                f"用户名 {user.username} 已被使用",
                f"The username {user.username!r} is taken",
                username=user.username,
            ) from None
        found = self.user_by_id(user_id)
        assert found is not None
        return found

    def user_by_username(self, username: str) -> User | None:
        with self._cursor() as cur:
            cur.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE username = %s", (username,))
            return _user(cur.fetchone(), self._sealer)

    def user_by_id(self, user_id: str) -> User | None:
        with self._cursor() as cur:
            cur.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s", (user_id,))
            return _user(cur.fetchone(), self._sealer)

    def users_under(self, organ_prefix: str | None) -> list[User]:
        """Every user whose organ is in the subtree (a code prefix), by organ and username."""
        with self._cursor() as cur:
            cur.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE organ LIKE %s ORDER BY organ, username",
                ((organ_prefix or "") + "%",),
            )
            return [
                u for u in (_user(row, self._sealer) for row in cur.fetchall()) if u is not None
            ]

    def _update_user(self, username: str, assignments: str, values: tuple[Any, ...]) -> User:
        self.cache.drop_user(username=username)
        with self._cursor() as cur:
            cur.execute(
                f"UPDATE users SET {assignments} WHERE username = %s RETURNING {_USER_COLUMNS}",
                (*values, username),
            )
            user = _user(cur.fetchone(), self._sealer)
        self.cache.drop_user(username=username)
        if user is None:
            raise user_not_found(username)
        return user

    def set_enabled(self, username: str, enabled: bool) -> User:
        return self._update_user(username, "enabled = %s", (enabled,))

    def set_password(self, username: str, password_hash: str) -> User:
        """A new password also lifts a lock."""
        return self._update_user(
            username, "password_hash = %s, locked_until = NULL", (password_hash,)
        )

    def set_language(self, username: str, language: str) -> User:
        return self._update_user(username, "language = %s", (language,))

    def set_totp(self, username: str, secret: str | None) -> User:
        user = self.user_by_username(username)
        if user is None:
            raise user_not_found(username)
        return self._update_user(
            username, "totp_secret = %s, totp_last_step = NULL", (self._sealed(secret, user.id),)
        )

    # --- sealing TOTP secrets --------------------------------------------------------------

    def _sealed(self, secret: str | None, user_id: str) -> str | None:
        if secret is None or self._sealer is None:
            return secret
        return self._sealer.seal(secret, user_id)

    def seal_clear_secrets(self) -> int:
        """Seal every TOTP secret still stored in clear (rows written before sealing);
        how many. A row changed meanwhile is left for the next run."""
        if self._sealer is None:
            return 0
        with self._cursor() as cur:
            cur.execute(
                "SELECT id::text AS id, totp_secret FROM users WHERE totp_secret IS NOT NULL"
            )
            clear = [r for r in cur.fetchall() if not is_sealed(r["totp_secret"])]
            for row in clear:
                cur.execute(
                    "UPDATE users SET totp_secret = %s WHERE id = %s AND totp_secret = %s",
                    (
                        self._sealer.seal(row["totp_secret"], row["id"]),
                        row["id"],
                        row["totp_secret"],
                    ),
                )
        return len(clear)

    def lock(self, username: str, until: datetime) -> None:
        self._update_user(username, "locked_until = %s", (until,))

    def use_totp_step(self, user_id: str, step: int) -> bool:
        """Record the step as used; False if it (or a later one) was used meanwhile."""
        self.cache.drop_user(user_id=user_id)
        with self._cursor() as cur:
            cur.execute(
                "UPDATE users SET totp_last_step = %s WHERE id = %s "
                "AND (totp_last_step IS NULL OR totp_last_step < %s)",
                (step, user_id, step),
            )
            return cur.rowcount == 1

    # --- sessions ------------------------------------------------------------------------

    def add_session(self, id_hash: bytes, user_id: str, csrf_token: str, now: datetime) -> None:
        with self._cursor() as cur:
            cur.execute(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                (id_hash, user_id, csrf_token, now, now),
            )

    def cached_session_with_user(self, id_hash: bytes) -> tuple[dict[str, Any], User] | None:
        """What `session_with_user` found for this session in the last few seconds, if
        anything (no database: cheap enough for the event loop)."""
        return self.cache.get(id_hash)

    def session_with_user(self, id_hash: bytes) -> tuple[dict[str, Any], User] | None:
        """The session and its user in one round trip (every request asks for both)."""
        generation = self.cache.generation
        columns = ", ".join(f"u.{c.strip()}" for c in _USER_COLUMNS.split(","))
        with self._cursor() as cur:
            cur.execute(
                "SELECT s.user_id::text AS user_id, s.csrf_token, s.created_at, "
                f"s.last_seen_at, {columns} "
                "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = %s",
                (id_hash,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        user = _user(row, self._sealer)
        assert user is not None
        self.cache.put(id_hash, (row, user), generation)
        return row, user

    def touch_session(self, id_hash: bytes, now: datetime) -> None:
        self.cache.drop(id_hash)  # the next lookup reads the new idle clock
        with self._cursor() as cur:
            cur.execute("UPDATE sessions SET last_seen_at = %s WHERE id_hash = %s", (now, id_hash))

    def drop_session(self, id_hash: bytes) -> None:
        self.cache.drop(id_hash)
        with self._cursor() as cur:
            cur.execute("DELETE FROM sessions WHERE id_hash = %s", (id_hash,))
        self.cache.drop(id_hash)

    def drop_sessions_of(self, user_id: str) -> None:
        self.cache.drop_user(user_id=user_id)
        with self._cursor() as cur:
            cur.execute("DELETE FROM sessions WHERE user_id = %s", (user_id,))
        self.cache.drop_user(user_id=user_id)

    def purge(
        self, idle_since: datetime, created_since: datetime, failures_since: datetime
    ) -> None:
        """Forget expired sessions and failures outside the throttling window."""
        with self._cursor() as cur:
            cur.execute(
                "DELETE FROM sessions WHERE last_seen_at <= %s OR created_at <= %s",
                (idle_since, created_since),
            )
            cur.execute("DELETE FROM login_failures WHERE at <= %s", (failures_since,))

    # --- login failures ------------------------------------------------------------------

    def add_failure(self, key_hashes: list[bytes], at: datetime) -> None:
        with self._cursor() as cur:
            cur.executemany(
                "INSERT INTO login_failures (key_hash, at) VALUES (%s, %s)",
                [(key, at) for key in key_hashes],
            )

    def failures(self, key_hash: bytes, since: datetime) -> list[datetime]:
        with self._cursor() as cur:
            cur.execute(
                "SELECT at FROM login_failures WHERE key_hash = %s AND at > %s ORDER BY at",
                (key_hash, since),
            )
            return [row["at"] for row in cur.fetchall()]

    def clear_failures(self, key_hash: bytes) -> None:
        with self._cursor() as cur:
            cur.execute("DELETE FROM login_failures WHERE key_hash = %s", (key_hash,))
