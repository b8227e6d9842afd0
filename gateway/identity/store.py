"""The gateway's own tables (schema `<namespace>gateway`): users, sessions, login failures.

Session ids and throttle keys are stored only as SHA-256 digests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from domain.errors import Conflict, NotFound
from gateway.identity.users import NewUser, User
from infra.eventstore import connect, connection_pool, ensure_schema

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


def _user(row: dict[str, Any] | None) -> User | None:
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
        totp_secret=row["totp_secret"],
        totp_last_step=row["totp_last_step"],
        locked_until=row["locked_until"],
        demo=row["demo"],
    )


def user_not_found(username: str) -> NotFound:
    return NotFound(
        "user_not_found", f"用户 {username} 不存在", f"No user {username!r}", username=username
    )


class IdentityStore:
    """Users, sessions and login failures on PostgreSQL."""

    def __init__(self, database_url: str, schema: str) -> None:
        ensure_schema(database_url, schema)
        # Through infra: as the runtime role, the declaration goes to the owner role.
        with connect(database_url, schema) as conn:
            conn.execute(TABLES)  # type: ignore[arg-type]
        self._pool: ConnectionPool = connection_pool(database_url, schema)

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
                        totp_secret,
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
            return _user(cur.fetchone())

    def user_by_id(self, user_id: str) -> User | None:
        with self._cursor() as cur:
            cur.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s", (user_id,))
            return _user(cur.fetchone())

    def users_under(self, organ_prefix: str | None) -> list[User]:
        """Every user whose organ is in the subtree (a code prefix), by organ and username."""
        with self._cursor() as cur:
            cur.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE organ LIKE %s ORDER BY organ, username",
                ((organ_prefix or "") + "%",),
            )
            return [u for u in map(_user, cur.fetchall()) if u is not None]

    def _update_user(self, username: str, assignments: str, values: tuple[Any, ...]) -> User:
        with self._cursor() as cur:
            cur.execute(
                f"UPDATE users SET {assignments} WHERE username = %s RETURNING {_USER_COLUMNS}",
                (*values, username),
            )
            user = _user(cur.fetchone())
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
        return self._update_user(username, "totp_secret = %s, totp_last_step = NULL", (secret,))

    def lock(self, username: str, until: datetime) -> None:
        self._update_user(username, "locked_until = %s", (until,))

    def use_totp_step(self, user_id: str, step: int) -> bool:
        """Record the step as used; False if it (or a later one) was used meanwhile."""
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

    def session(self, id_hash: bytes) -> dict[str, Any] | None:
        with self._cursor() as cur:
            cur.execute(
                "SELECT user_id::text AS user_id, csrf_token, created_at, last_seen_at "
                "FROM sessions WHERE id_hash = %s",
                (id_hash,),
            )
            return cur.fetchone()

    def touch_session(self, id_hash: bytes, now: datetime) -> None:
        with self._cursor() as cur:
            cur.execute("UPDATE sessions SET last_seen_at = %s WHERE id_hash = %s", (now, id_hash))

    def drop_session(self, id_hash: bytes) -> None:
        with self._cursor() as cur:
            cur.execute("DELETE FROM sessions WHERE id_hash = %s", (id_hash,))

    def drop_sessions_of(self, user_id: str) -> None:
        with self._cursor() as cur:
            cur.execute("DELETE FROM sessions WHERE user_id = %s", (user_id,))

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
