"""Comparing a read model with its rebuild: a digest per table, computed by PostgreSQL.

A service rebuilds its read models into a scratch schema with the live tables' own DDL;
equal digests mean equal rows. Each row is taken as its text form and the rows in that
text's order, so column order, types and every value count, and the row order does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg.sql import SQL, Identifier


def table_digests(conn: Any, schema: str, tables: Iterable[str]) -> dict[str, str]:
    """`md5-of-the-sorted-rows/row-count` of each table of `schema`."""
    found: dict[str, str] = {}
    for table in tables:
        row = conn.execute(
            SQL(
                "SELECT md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')), count(*) "
                "FROM (SELECT t::text AS r FROM {}.{} t) rows"
            ).format(Identifier(schema), Identifier(table))
        ).fetchone()
        found[table] = f"{row[0]}/{row[1]}"
    return found


def fresh_schema(conn: Any, schema: str, ddl: str) -> None:
    """Drop `schema` if it exists and create it again with `ddl` (unqualified names)."""
    conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))
    conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
    conn.execute(SQL("SET LOCAL search_path TO {}").format(Identifier(schema)))
    conn.execute(ddl)
