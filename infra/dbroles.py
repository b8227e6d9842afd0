"""Two database roles 数据库角色: an owner that changes schemas and a runtime role the
services connect as, which may INSERT and SELECT event and audit tables and never UPDATE
or DELETE them.

Services declare their tables with `CREATE ... IF NOT EXISTS` when they start. Run as
the runtime role, such a declaration goes to the owner when this process knows the
owner's URL (`DATABASE_OWNER_URL`: development and tests), and is otherwise skipped,
because `baton migrate` (run as the owner) applied it already.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterable
from typing import Any, LiteralString
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg import sql
from psycopg.rows import tuple_row

log = logging.getLogger(__name__)

OWNER_ROLE = "baton_owner"
RUNTIME_ROLE = "baton_runtime"
OWNER_URL_ENV = "DATABASE_OWNER_URL"

_READ_APPEND = ("SELECT", "INSERT")
_READ_APPEND_UPDATE = ("SELECT", "INSERT", "UPDATE")
_READ_MODEL = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")

# What the runtime role may do with each table, by name (or by suffix for the
# library's tables, named after the application). Any table not listed gets SELECT and
# INSERT only: a new side table that updates rows must be listed here.
RUNTIME_GRANTS: dict[str, tuple[str, ...]] = {
    # eventsourcing: events are append-only; single-row tracking updates its position.
    # MAINTAIN (PostgreSQL 17+) lets the recorder take its EXCLUSIVE insert lock without
    # UPDATE or DELETE; it changes no row.
    "*_events": ("SELECT", "INSERT", "MAINTAIN"),
    "*_tracking": _READ_APPEND_UPDATE,
    # tamper evidence
    "*_audit": _READ_APPEND,
    "audit_checkpoints": _READ_APPEND,
    "audit_witness": _READ_APPEND,
    "inbox_chain": _READ_APPEND_UPDATE,
    "inbox_offsets": _READ_APPEND_UPDATE,
    "quarantine": _READ_APPEND,
    # a dead letter's state moves (dead, retry, retried, discarded); rows are never deleted
    "dead_letters": _READ_APPEND_UPDATE,
    # the relay clears its own bookkeeping when the broker lost what it published
    "relay_position": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "relay_offsets": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "relay_chain": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    # a keyed create request's claim is stored with its events, its answer just after
    "idempotency_keys": _READ_APPEND_UPDATE,
    # intake's side tables
    "registration_counter": _READ_APPEND_UPDATE,
    "receipt_codes": _READ_APPEND,
    "petition_index": _READ_APPEND_UPDATE,
    "index_position": _READ_APPEND_UPDATE,
    "handling_view": _READ_APPEND_UPDATE,
    # stats' read models: derived data, rebuilt whole by `baton rebuild stats`
    "case_fact": _READ_MODEL,
    "intake_history": _READ_MODEL,
    "routing_history": _READ_MODEL,
    "supervision_history": _READ_MODEL,
    "month_cube": _READ_MODEL,
    "subtree_cube": _READ_MODEL,
    "deadline_case": _READ_MODEL,
    "tracking": _READ_MODEL,
    # the gateway's users and sessions; the access log is append-only (the default)
    "users": _READ_APPEND_UPDATE,
    "sessions": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "login_failures": ("SELECT", "INSERT", "DELETE"),
}

_DECLARATION = re.compile(
    r"^\s*(CREATE\s+(TABLE|(UNIQUE\s+)?INDEX|SCHEMA|TYPE|SEQUENCE|MATERIALIZED\s+VIEW"
    r"|(OR\s+REPLACE\s+)?(FUNCTION|VIEW))|ALTER\s+TABLE)\b",
    re.IGNORECASE,
)


def privileges_for(table: str) -> tuple[str, ...]:
    """The runtime role's privileges on a table."""
    if table in RUNTIME_GRANTS:
        return RUNTIME_GRANTS[table]
    for pattern, privileges in RUNTIME_GRANTS.items():
        if pattern.startswith("*") and table.endswith(pattern[1:]):
            return privileges
    return _READ_APPEND


def is_declaration(query: object) -> bool:
    """Is this SQL text a schema declaration (DDL) rather than data access?"""
    return isinstance(query, str) and bool(_DECLARATION.match(query))


def owner_url() -> str | None:
    return os.environ.get(OWNER_URL_ENV) or None


def user_of(url: str) -> str:
    return unquote(urlsplit(url).username or "postgres")


def with_user(url: str, user: str, password: str | None = None) -> str:
    """The same server and database, as another user."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}" if password else f"{user}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def current_user(conn: psycopg.Connection[Any]) -> str:
    row = conn.cursor(row_factory=tuple_row).execute("SELECT current_user").fetchone()
    return str(row[0]) if row else RUNTIME_ROLE


def can_declare(conn: psycopg.Connection[Any], schema: str) -> bool:
    """May this connection's user create objects in the schema?"""
    row = (
        conn.cursor(row_factory=tuple_row)
        .execute(
            "SELECT CASE WHEN to_regnamespace(%s) IS NULL "
            "THEN has_database_privilege(current_database(), 'CREATE') "
            "ELSE has_schema_privilege(%s, 'CREATE') END",
            (schema, schema),
        )
        .fetchone()
    )
    return bool(row and row[0])


# Processes starting together declare the same schemas (the access log's); PostgreSQL
# refuses concurrent changes to one catalogue row ("tuple concurrently updated") and races
# IF NOT EXISTS on its unique indexes, so declarations and grants of a schema take turns.
DDL_LOCK: LiteralString = "SELECT pg_advisory_xact_lock(hashtext(%s))"


def ddl_lock_name(schema: str) -> str:
    return f"baton-ddl:{schema}"


def declare_as_owner(
    statements: Iterable[Any], schema: str, runtime_role: str, url: str | None = None
) -> bool:
    """Apply DDL as the owner and grant the runtime role its share; False if no owner."""
    target = url or owner_url()
    if target is None:
        return False
    with psycopg.connect(target, autocommit=True) as conn, conn.transaction():
        conn.execute(DDL_LOCK, (ddl_lock_name(schema),))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        for statement in statements:
            # CREATE TYPE has no IF NOT EXISTS; a savepoint keeps the transaction usable
            with contextlib.suppress(psycopg.errors.DuplicateObject), conn.transaction():
                conn.execute(statement)
        if runtime_role != user_of(target):
            grant_runtime(conn, schema, runtime_role, tables_declared(statements))
    return True


_TABLE_NAME = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.\"]+)", re.IGNORECASE)


def tables_declared(statements: Iterable[Any]) -> list[str] | None:
    """The tables plain-text declarations create; None when it cannot tell (all tables)."""
    names: list[str] = []
    for statement in statements:
        if not isinstance(statement, str):
            return None
        names += [name.split(".")[-1].strip('"') for name in _TABLE_NAME.findall(statement)]
    return names


def grant_runtime(
    conn: psycopg.Connection[Any],
    schema: str,
    runtime_role: str,
    only: list[str] | None = None,
) -> None:
    """Grant the runtime role exactly its privileges on the schema's tables (or `only`)."""
    if runtime_role == current_user(conn):
        return  # one role for everything: nothing to grant, and never revoke the owner's
    with conn.transaction():
        conn.execute(DDL_LOCK, (ddl_lock_name(schema),))
        _grant(conn, schema, runtime_role, only)


def _grant(
    conn: psycopg.Connection[Any], schema: str, runtime_role: str, only: list[str] | None
) -> None:
    role = sql.Identifier(runtime_role)
    nsp = sql.Identifier(schema)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(nsp, role))
    conn.execute(
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(nsp, role)
    )
    tables = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
    ).fetchall()
    for (table,) in tables:
        if only is not None and table not in only:
            continue
        target = sql.Identifier(schema, table)
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(target, role))
        conn.execute(
            sql.SQL("GRANT {} ON {} TO {}").format(
                sql.SQL(", ").join(sql.SQL(p) for p in privileges_for(table)), target, role
            )
        )


def ensure_roles(
    admin_url: str,
    owner: str = OWNER_ROLE,
    runtime: str = RUNTIME_ROLE,
    passwords: tuple[str | None, str | None] = (None, None),
) -> tuple[str, str]:
    """Create the owner and runtime roles if missing; returns (owner URL, runtime URL).

    The owner may create schemas in the database; the runtime role may only connect.
    """
    database = unquote(urlsplit(admin_url).path.lstrip("/")) or "postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for role, password in zip((owner, runtime), passwords, strict=True):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            statement = sql.SQL(verb + " ROLE {} LOGIN").format(sql.Identifier(role))
            if password:
                statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
            conn.execute(statement)
        db = sql.Identifier(database)
        conn.execute(
            sql.SQL("GRANT CONNECT, CREATE ON DATABASE {} TO {}").format(db, sql.Identifier(owner))
        )
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, sql.Identifier(runtime))
        )
    return (
        with_user(admin_url, owner, passwords[0]),
        with_user(admin_url, runtime, passwords[1]),
    )


# Schemas this process declared objects in as their owner: `baton migrate` grants the
# runtime role its share of each before it exits.
DECLARED_SCHEMAS: set[str] = set()


class DeclaringConnection(psycopg.Connection[Any]):
    """A connection that routes schema declarations by role (see the module's docstring)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if params is None and is_declaration(query):
            self._declare(query)
            return self.cursor()
        return super().execute(query, params, **kwargs)

    def _declare(self, query: str) -> None:
        schema_row = super().execute("SELECT current_schema()").fetchone()
        schema = str(schema_row[0]) if schema_row and schema_row[0] else "public"
        if can_declare(self, schema):
            # Declarations of one schema take turns (see declare_as_owner, which takes the
            # same lock when the owner declares for us: never hold it across that call).
            with self.transaction():
                super().execute(DDL_LOCK, (ddl_lock_name(schema),))
                super().execute(query)
            DECLARED_SCHEMAS.add(schema)
            return
        if not declare_as_owner([query], schema, current_user(self)):
            log.debug("schema %s is managed by the owner role; declaration skipped", schema)


class OwnerDeclaredRecorder(PostgresAggregateRecorder):
    """A recorder whose tables the owner role declares: as the owner it creates them; as
    the runtime role it asks the owner (`declare_as_owner`), which may not be possible."""

    def create_table(self) -> None:
        schema = self.datastore.schema
        with self.datastore.get_connection() as conn:
            allowed = can_declare(conn, schema)
            runtime = current_user(conn)
        if allowed:
            super().create_table()
            DECLARED_SCHEMAS.add(schema)
            return
        if not declare_as_owner(self.sql_create_statements, schema, runtime):
            log.debug("schema %s is managed by the owner role; declarations skipped", schema)
        self.datastore.register_type_adapters()
