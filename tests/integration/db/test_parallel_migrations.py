"""Processes migrating together (as `baton up` runs them) must not trip over each other.

They share schemas (the access log's), and PostgreSQL refuses concurrent changes to one
catalogue row ("tuple concurrently updated") unless the declarations take turns.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg

from infra.dbroles import RUNTIME_ROLE, declare_as_owner, grant_runtime

TABLES = [
    "CREATE TABLE IF NOT EXISTS shared_log (id bigserial PRIMARY KEY, entry text)",
    "CREATE TABLE IF NOT EXISTS shared_tracking (name text PRIMARY KEY, position bigint)",
]


def test_many_processes_declare_and_grant_one_schema_at_once(database_owner_url: str) -> None:
    schema = f"race_{uuid.uuid4().hex[:8]}"

    def migrate(_: int) -> None:
        declare_as_owner(TABLES, schema, RUNTIME_ROLE, url=database_owner_url)
        with psycopg.connect(database_owner_url, autocommit=True) as conn:
            grant_runtime(conn, schema, RUNTIME_ROLE)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(migrate, range(24)))  # raises the first failure, if any

    with psycopg.connect(database_owner_url) as conn:
        granted = conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE table_schema = %s AND grantee = %s ORDER BY 1, 2",
            (schema, RUNTIME_ROLE),
        ).fetchall()
    assert ("shared_log", "INSERT") in granted
    assert ("shared_log", "UPDATE") not in granted  # append-only, whoever migrated last


def test_the_runtime_role_declares_through_the_owner_without_waiting_on_itself(
    database_url: str,
) -> None:
    """The runtime role's declarations go to the owner, who takes the schema's DDL lock:
    the runtime connection must not hold that lock meanwhile (it did, and hung for ever)."""
    from infra.access_log import AccessLog

    schema = f"race_{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=1) as pool:
        opened = pool.submit(AccessLog, database_url, schema)
        log = opened.result(timeout=120)
    log.close()
    with psycopg.connect(database_url) as conn:
        tables = conn.execute(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
    assert [name for name, _ in tables] == ["access_log"]
    assert all(owner != RUNTIME_ROLE for _, owner in tables)
