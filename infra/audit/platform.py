"""Every audited store of one platform (a namespace), verified or checkpointed at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from infra.audit.checkpoints import Checkpoint
from infra.audit.keys import AuditKeys
from infra.audit.verify import (
    Progress,
    StoreReport,
    audited_tables,
    verify_store,
    witnessed_checkpoints,
)


def audited_stores(conn: psycopg.Connection[Any], namespace: str = "") -> list[tuple[str, str]]:
    """(service, schema) of every schema in the namespace holding an audited store."""
    rows = conn.execute(
        "SELECT DISTINCT schemaname FROM pg_tables WHERE tablename LIKE %s "
        "AND schemaname LIKE %s ORDER BY schemaname",
        (r"%\_audit", namespace.replace("_", r"\_") + "%"),
    ).fetchall()
    stores = []
    for (schema,) in rows:
        if audited_tables(conn, schema) is not None:
            stores.append((schema.removeprefix(namespace), schema))
    return stores


def store_size(conn: psycopg.Connection[Any], schema: str) -> int:
    """How many audit rows the store holds (for a progress bar)."""
    tables = audited_tables(conn, schema)
    if tables is None:
        return 0
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, tables[1]))
    ).fetchone()
    return int(row[0]) if row else 0


def verify_all(
    database_url: str,
    keys: AuditKeys,
    namespace: str = "",
    only: list[str] | None = None,
    progress_for: Callable[[str, int], Progress] | None = None,
) -> list[StoreReport]:
    """Verify every store of the namespace (or the services in `only`)."""
    reports = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for service, schema in audited_stores(conn, namespace):
            if only and service not in only:
                continue
            progress = progress_for(service, store_size(conn, schema)) if progress_for else None
            reports.append(
                verify_store(
                    conn,
                    schema,
                    service,
                    keys.public_key(service),
                    witnessed_checkpoints(conn, schema, namespace),
                    progress,
                )
            )
    return reports


def quarantine_summary(conn: psycopg.Connection[Any], namespace: str = "") -> list[dict[str, Any]]:
    """Quarantined records per schema, consumer, topic and reason, with the latest time."""
    schemas = conn.execute(
        "SELECT schemaname FROM pg_tables WHERE tablename = 'quarantine' AND schemaname LIKE %s "
        "ORDER BY schemaname",
        (namespace.replace("_", r"\_") + "%",),
    ).fetchall()
    out = []
    for (schema,) in schemas:
        rows = conn.execute(
            sql.SQL(
                "SELECT consumer, topic, reason, count(*), max(received_at) FROM {} "
                "GROUP BY consumer, topic, reason ORDER BY consumer, topic, reason"
            ).format(sql.Identifier(schema, "quarantine"))
        ).fetchall()
        out += [
            {
                "schema": schema,
                "consumer": consumer,
                "topic": topic,
                "reason": reason,
                "count": int(count),
                "latest": latest,
            }
            for consumer, topic, reason, count, latest in rows
        ]
    return out


def latest_checkpoint(conn: psycopg.Connection[Any], schema: str) -> Checkpoint | None:
    """The store's newest checkpoint row, parsed (None if it has none or cannot be read)."""
    kept = conn.execute("SELECT to_regclass(%s)", (f'"{schema}".audit_checkpoints',)).fetchone()
    if not kept or kept[0] is None:
        return None
    row = conn.execute(
        sql.SQL("SELECT body FROM {} ORDER BY id DESC LIMIT 1").format(
            sql.Identifier(schema, "audit_checkpoints")
        )
    ).fetchone()
    try:
        return Checkpoint.from_json(row[0]) if row else None
    except (ValueError, KeyError, TypeError):
        return None
