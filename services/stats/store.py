"""Stats tables: the current fact row per case and each part's history with valid-from/to.

`case_fact` holds every part of a case as it stands now, indexed for subtree questions
(an organ's subtree is a code prefix: `text_pattern_ops`). `<part>_history` keeps every
version of a part with `valid_from`/`valid_to`, so a question can be asked as of a past
moment. Live events go through `write_change`; a rebuild writes everything with COPY.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from services.stats import deadlines, rollup
from services.stats.facts import COLUMNS, Change, Part

_TYPES = {
    "organ_path": "text[]",
    "categories": "text[]",
    "key_fields": "text[]",
    "cadre_levels": "text[]",
    "received_at": "timestamptz",
    "registered_at": "timestamptz",
    "concluded_at": "timestamptz",
    "received_on": "date",
    "visitors": "integer",
    "deadlines_open": "integer",
    "deadlines_met": "integer",
    "deadlines_missed": "integer",
    "real_name": "boolean",
    "is_repeat": "boolean",
    "assigned_from_above": "boolean",
    "report_back_required": "boolean",
    "overdue": "boolean",
}
FOREVER = dt.datetime.max.replace(tzinfo=dt.UTC)


def type_of(column: str) -> str:
    return _TYPES.get(column, "text")


def _columns_ddl(columns: Iterable[str]) -> str:
    return ",\n    ".join(f"{column} {type_of(column)}" for column in columns)


def schema_ddl() -> str:
    """Every stats table and index, idempotent."""
    every = [column for columns in COLUMNS.values() for column in columns]
    bookkeeping = [f"{source}_from timestamptz" for source in COLUMNS] + [
        f"{source}_version integer NOT NULL DEFAULT 0" for source in COLUMNS
    ]
    separator = ",\n    "
    parts = [
        f"""
CREATE TABLE IF NOT EXISTS case_fact (
    case_id text PRIMARY KEY,
    {_columns_ddl(every)},
    {separator.join(bookkeeping)}
);
CREATE INDEX IF NOT EXISTS case_fact_subtree
    ON case_fact (organ_code text_pattern_ops, received_on);
CREATE INDEX IF NOT EXISTS case_fact_received ON case_fact (received_on);
CREATE INDEX IF NOT EXISTS case_fact_holder ON case_fact (holder_organ text_pattern_ops);
"""
    ]
    for source, columns in COLUMNS.items():
        parts.append(
            f"""
CREATE TABLE IF NOT EXISTS {source}_history (
    case_id text NOT NULL,
    version integer NOT NULL,
    valid_from timestamptz NOT NULL,
    valid_to timestamptz NOT NULL,
    {_columns_ddl(columns)},
    PRIMARY KEY (case_id, version)
);
CREATE INDEX IF NOT EXISTS {source}_history_valid
    ON {source}_history (valid_from, valid_to);
"""
        )
    parts.append(rollup.ddl())
    parts.append(deadlines.DDL)
    parts.append(
        """
CREATE TABLE IF NOT EXISTS tracking (
    name text PRIMARY KEY,
    position bigint NOT NULL
);
"""
    )
    return "".join(parts)


@dataclass(frozen=True)
class Current:
    """A case's current part of one source, when it took effect, its version, and what
    the case adds to the roll-up now (read together, with the row locked)."""

    part: Part | None
    valid_from: dt.datetime | None
    version: int
    contribution: tuple[Any, ...] | None


def read_part(conn: Any, case_id: str, source: str) -> Current:
    """A case's current part and roll-up contribution; locks the row."""
    columns = COLUMNS[source]
    width = len(columns)
    row = conn.execute(
        f"SELECT {', '.join(columns)}, {source}_from, {source}_version, "
        f"{rollup.contribution_sql()} FROM case_fact f WHERE case_id = %s FOR UPDATE",
        (case_id,),
    ).fetchone()
    if row is None:
        return Current(None, None, 0, None)
    contribution = rollup.contribution_of(row[width + 2 :])
    version = int(row[width + 1])
    if version == 0:
        return Current(None, None, 0, contribution)
    part = dict(zip(columns, row[:width], strict=True))
    return Current(part, row[width], version, contribution)


def write_change(conn: Any, change: Change, current: Current) -> None:
    """Make a part's new state current, close its previous history row, and move the
    case's contribution in the monthly roll-ups (the new one read back by the upsert)."""
    source, columns = change.source, COLUMNS[change.source]
    version = current.version
    values = [change.part[column] for column in columns]
    names = [*columns, f"{source}_from", f"{source}_version"]
    row = conn.execute(
        f"INSERT INTO case_fact AS f (case_id, {', '.join(names)}) "
        f"VALUES (%s, {', '.join(['%s'] * len(names))}) "
        f"ON CONFLICT (case_id) DO UPDATE SET "
        + ", ".join(f"{name} = EXCLUDED.{name}" for name in names)
        + f" RETURNING {rollup.contribution_sql()}",
        (change.case_id, *values, change.valid_from, version + 1),
    ).fetchone()
    if version:
        conn.execute(
            f"UPDATE {source}_history SET valid_to = %s WHERE case_id = %s AND version = %s",
            (change.valid_from, change.case_id, version),
        )
    conn.execute(
        f"INSERT INTO {source}_history (case_id, version, valid_from, valid_to, "
        f"{', '.join(columns)}) VALUES (%s, %s, %s, %s, {', '.join(['%s'] * len(columns))})",
        (change.case_id, version + 1, change.valid_from, FOREVER, *values),
    )
    rollup.move(conn, current.contribution, rollup.contribution_of(row))


def truncate_all(conn: Any) -> None:
    names = [
        "case_fact",
        "month_cube",
        "subtree_cube",
        "deadline_case",
        *(f"{source}_history" for source in COLUMNS),
    ]
    conn.execute(f"TRUNCATE {', '.join(names)}")


def copy_rows(conn: Any, table: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """Bulk-load rows with binary COPY (about three times faster than text here), typed
    so arrays and times go in as they are."""
    types = [copy_type(column) for column in columns]
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def copy_type(column: str) -> str:
    """The PostgreSQL type a binary COPY sends a column's values as."""
    if column in ("version",) or column.endswith("_version"):
        return "int4"
    if column in ("valid_from", "valid_to") or column.endswith("_from"):
        return "timestamptz"
    return {"integer": "int4", "boolean": "bool"}.get(type_of(column), type_of(column))
