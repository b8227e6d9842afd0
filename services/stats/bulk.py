"""Facts projected in memory from a stream of events, then written with COPY in one go.

The rebuild and bulk loads use this instead of one transaction per event; the handlers
are the same `Projector` the live consumer uses, so the rows are the same. A rebuild in
worker processes gives each a share of the cases (`keep`); each turns its rows into
binary COPY data itself (`encoded`), and one transaction writes them all (`write_encoded`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

import psycopg
from psycopg import adapt, pq
from psycopg import postgres as pg_types

# psycopg's own row encoder (C when compiled); internal, so the version is pinned (<3.4).
from psycopg._copy_base import format_row_binary

from domain.contracts import Envelope
from services.stats import rollup
from services.stats.deadlines import DeadlineCases
from services.stats.facts import COLUMNS, Part, Projector
from services.stats.store import FOREVER, copy_rows, copy_type, truncate_all

# A part's values in its columns' order (a part has every column: `Projector.apply`).
_VALUES = {
    source: (lambda part, get=itemgetter(*columns): get(part))
    if len(columns) > 1
    else (lambda part, column=columns[0]: (part[column],))
    for source, columns in COLUMNS.items()
}

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # binary COPY header: no flags, no extension
TRAILER = b"\xff\xff"


class Projection:
    """Every case's parts and their history, built event by event in memory."""

    def __init__(
        self,
        projector: Projector,
        keep: Callable[[str], bool] | None = None,
        count_unaddressed: bool = True,
    ) -> None:
        self.projector = projector
        # A worker's share: the cases it keeps, and whether events addressed to no case
        # (a deadline never opened) count among its events (in one share only).
        self.keep = keep
        self.count_unaddressed = count_unaddressed
        # case id -> source -> (part, valid from, version, index of its history row)
        self.parts: dict[str, dict[str, tuple[Part, dt.datetime, int, int]]] = {}
        self.history: dict[str, list[list[Any]]] = {source: [] for source in COLUMNS}
        self.applied = 0
        self.deadlines = DeadlineCases()

    def apply(self, envelope: Envelope) -> None:
        addressed = self.deadlines.addressed(envelope)
        if addressed is None:
            self.applied += self.count_unaddressed
            return
        if self.keep is not None and not self.keep(addressed.case_id):
            return
        self.applied += 1
        envelope = addressed
        case = self.parts.setdefault(envelope.case_id, {})
        current = case.get(envelope.source)
        part, valid_from, version, row = current if current else (None, None, 0, -1)
        change = self.projector.apply(part, envelope, valid_from)
        if change is None:
            return
        rows = self.history[envelope.source]
        if version:
            rows[row][3] = change.valid_from
        rows.append(
            [
                envelope.case_id,
                version + 1,
                change.valid_from,
                FOREVER,
                *_VALUES[envelope.source](change.part),
            ]
        )
        case[envelope.source] = (change.part, change.valid_from, version + 1, len(rows) - 1)

    def fact_rows(self) -> list[list[Any]]:
        rows = []
        for case_id, parts in self.parts.items():
            if not parts:
                continue
            row: list[Any] = [case_id]
            bookkeeping: list[Any] = []
            versions: list[Any] = []
            for source, columns in COLUMNS.items():
                part, valid_from, version, _ = parts.get(source, (None, None, 0, -1))
                if part is None:
                    row.extend([None] * len(columns))
                else:
                    row.extend(_VALUES[source](part))
                bookkeeping.append(valid_from)
                versions.append(version)
            rows.append(row + bookkeeping + versions)
        return rows

    def tables(self, deadlines: bool = True) -> list[tuple[str, list[str], Iterable[Any]]]:
        """(table, columns, rows) of everything this projection writes."""
        every = [column for columns in COLUMNS.values() for column in columns]
        fact_columns = [
            "case_id",
            *every,
            *(f"{source}_from" for source in COLUMNS),
            *(f"{source}_version" for source in COLUMNS),
        ]
        found: list[tuple[str, list[str], Iterable[Any]]] = [
            ("case_fact", fact_columns, self.fact_rows())
        ]
        for source, columns in COLUMNS.items():
            found.append(
                (
                    f"{source}_history",
                    ["case_id", "version", "valid_from", "valid_to", *columns],
                    self.history[source],
                )
            )
        if deadlines:
            found.append(("deadline_case", ["deadline_id", "case_id"], self.deadlines.rows()))
        return found

    def write(self, conn: Any, positions: dict[str, int]) -> None:
        """Replace every stats row with this projection and set the tracking rows."""
        truncate_all(conn)
        for table, columns, rows in self.tables():
            copy_rows(conn, table, columns, rows)
        finish(conn, positions)

    def encoded(self, deadlines: bool) -> dict[str, tuple[list[str], bytes]]:
        """Each table's columns and rows as binary COPY data, less header and trailer."""
        found = {}
        for table, columns, rows in self.tables(deadlines):
            transformer = adapt.Transformer(_adapters())
            oids = [pg_types.types.get_oid(copy_type(column)) for column in columns]
            transformer.set_dumper_types(oids, pq.Format.BINARY)
            out = bytearray()
            for row in rows:
                format_row_binary(row, transformer, out)
            found[table] = (columns, bytes(out))
        return found


def _adapters() -> adapt.AdaptersMap:
    """psycopg's adapters, with text arrays encoded once per distinct value: organ paths,
    categories and cadre levels repeat across thousands of rows."""
    global _ADAPTERS
    if _ADAPTERS is None:
        oid = pg_types.types.get_oid("text[]")
        base: Any = psycopg.adapters.get_dumper_by_oid(oid, pq.Format.BINARY)

        class RepeatedTextArrays(base):  # type: ignore[misc, valid-type]
            encoded: dict[tuple[Any, ...], bytes] = {}

            def dump(self, obj: Any) -> Any:
                try:
                    key = tuple(obj)
                    return self.encoded[key]
                except KeyError:
                    found = bytes(super().dump(obj))
                    if len(self.encoded) < 100_000:
                        self.encoded[key] = found
                    return found
                except TypeError:  # an element that is no text: no cache
                    return super().dump(obj)

        _ADAPTERS = adapt.AdaptersMap(psycopg.adapters)
        _ADAPTERS.register_dumper(list, RepeatedTextArrays)
    return _ADAPTERS


_ADAPTERS: adapt.AdaptersMap | None = None


def write_encoded(
    conn: Any, shares: list[dict[str, tuple[list[str], bytes]]], positions: dict[str, int]
) -> None:
    """Replace every stats row with the shares' encoded rows and set the tracking rows."""
    truncate_all(conn)
    tables: dict[str, list[str]] = {}
    for share in shares:
        for table, (columns, _) in share.items():
            tables.setdefault(table, columns)
    for table, columns in tables.items():
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(SIGNATURE)
            for share in shares:
                if table in share:
                    copy.write(share[table][1])
            copy.write(TRAILER)
    finish(conn, positions)


def finish(conn: Any, positions: dict[str, int]) -> None:
    """The tracking rows, the roll-ups and fresh planner statistics."""
    conn.execute("DELETE FROM tracking")
    for name, position in positions.items():
        conn.execute("INSERT INTO tracking (name, position) VALUES (%s, %s)", (name, position))
    rollup.rebuild(conn)
    conn.execute("ANALYZE case_fact")
    conn.execute("ANALYZE month_cube")
    conn.execute("ANALYZE subtree_cube")
