"""Facts projected in memory from a stream of events, then written with COPY in one go.

The rebuild and bulk loads use this instead of one transaction per event; the handlers
are the same `Projector` the live consumer uses, so the rows are the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.contracts import Envelope
from services.stats import rollup
from services.stats.deadlines import DeadlineCases
from services.stats.facts import COLUMNS, Part, Projector
from services.stats.store import FOREVER, copy_rows, truncate_all


class Projection:
    """Every case's parts and their history, built event by event in memory."""

    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        # case id -> source -> (part, valid from, version, index of its history row)
        self.parts: dict[str, dict[str, tuple[Part, dt.datetime, int, int]]] = {}
        self.history: dict[str, list[list[Any]]] = {source: [] for source in COLUMNS}
        self.applied = 0
        self.deadlines = DeadlineCases()

    def apply(self, envelope: Envelope) -> None:
        self.applied += 1
        addressed = self.deadlines.addressed(envelope)
        if addressed is None:
            return
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
        columns = COLUMNS[envelope.source]
        rows.append(
            [
                envelope.case_id,
                version + 1,
                change.valid_from,
                FOREVER,
                *(change.part[column] for column in columns),
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
                part, valid_from, version, _ = parts.get(source, ({}, None, 0, -1))
                row.extend(part.get(column) for column in columns)
                bookkeeping.append(valid_from)
                versions.append(version)
            rows.append(row + bookkeeping + versions)
        return rows

    def write(self, conn: Any, positions: dict[str, int]) -> None:
        """Replace every stats row with this projection and set the tracking rows."""
        truncate_all(conn)
        every = [column for columns in COLUMNS.values() for column in columns]
        fact_columns = [
            "case_id",
            *every,
            *(f"{source}_from" for source in COLUMNS),
            *(f"{source}_version" for source in COLUMNS),
        ]
        copy_rows(conn, "case_fact", fact_columns, self.fact_rows())
        for source, columns in COLUMNS.items():
            copy_rows(
                conn,
                f"{source}_history",
                ["case_id", "version", "valid_from", "valid_to", *columns],
                self.history[source],
            )
        copy_rows(conn, "deadline_case", ["deadline_id", "case_id"], self.deadlines.rows())
        conn.execute("DELETE FROM tracking")
        for name, position in positions.items():
            conn.execute("INSERT INTO tracking (name, position) VALUES (%s, %s)", (name, position))
        rollup.rebuild(conn)
        conn.execute("ANALYZE case_fact")
        conn.execute("ANALYZE month_cube")
        conn.execute("ANALYZE subtree_cube")
