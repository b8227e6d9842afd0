"""Side tables next to the intake event store 辅助表.

- `registration_counter`: the running registration number per organ and year. The number
  is taken in its own committed transaction *before* the petition is saved, so a failed
  registration leaves a gap in the sequence (numbers are unique, not dense).
- `receipt_codes`: HMAC of a receipt code → case id, written before the petition is saved;
  a row whose case was never saved answers like a wrong code.
- `petition_index` and `index_position`: a catch-up projection of the event store used to
  find repeat-report candidates; its position is committed with its rows, so replaying
  notifications twice changes nothing.
- `handling_view`: what intake knows of each case from routing.events (who holds it, the
  outcome awaiting review). A row changes only for a later routing sequence of its case,
  so a redelivered event changes nothing even before its tracking row is stored.
- `case_holders`: every organ routing said held each case (one row per case and organ,
  inserted once), so scope (`domain.access`: who holds or has held it) is decided, and
  searches are filtered, from intake's own data.

`PostgresSideStore` keeps them in the service's schema; `MemorySideStore` in memory, for
unit tests of the application.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from psycopg.types.json import Jsonb

from services.intake.search import SearchQuery, matches, search_sql

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS registration_counter (
    organ_code text NOT NULL,
    year integer NOT NULL,
    last_number integer NOT NULL,
    PRIMARY KEY (organ_code, year)
);
CREATE TABLE IF NOT EXISTS receipt_codes (
    code_hash text PRIMARY KEY,
    case_id uuid NOT NULL
);
CREATE TABLE IF NOT EXISTS petition_index (
    case_id uuid PRIMARY KEY,
    organ_code text NOT NULL,
    row jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS petition_index_organ ON petition_index (organ_code text_pattern_ops);
CREATE TABLE IF NOT EXISTS index_position (
    name text PRIMARY KEY,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS handling_view (
    case_id uuid PRIMARY KEY,
    sequence bigint NOT NULL,
    row jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS case_holders (
    case_id uuid NOT NULL,
    organ_code text NOT NULL,
    PRIMARY KEY (case_id, organ_code)
);
CREATE INDEX IF NOT EXISTS case_holders_organ ON case_holders (organ_code text_pattern_ops);
"""

IndexRow = dict[str, Any]


class IndexBatch(Protocol):
    position: int

    def get(self, case_id: str) -> IndexRow | None: ...

    def put(self, row: IndexRow) -> None: ...


YearKey = tuple[str, int]
"""(organ code, year): the key of a registration number sequence."""


class SideStore(Protocol):
    def next_number(self, organ_code: str, year: int) -> int: ...

    def reserve_numbers(self, counts: Mapping[YearKey, int]) -> dict[YearKey, int]: ...

    def put_receipt(self, code_hash: str, case_id: UUID) -> None: ...

    def find_receipt(self, code_hash: str) -> tuple[str, UUID] | None: ...

    def index_batch(self) -> AbstractContextManager[IndexBatch]: ...

    def index_rows(self, organ_prefix: str) -> list[IndexRow]: ...

    def index_position(self) -> int: ...

    def note_handling(self, case_id: UUID, sequence: int, changes: dict[str, Any]) -> None: ...

    def handling_of(self, case_ids: list[UUID]) -> dict[str, dict[str, Any]]: ...

    def note_holder(self, case_id: UUID, organ_code: str) -> None: ...

    def holders_of(self, case_id: UUID) -> list[str]: ...

    def search(self, query: SearchQuery) -> list[tuple[IndexRow, dict[str, Any]]]: ...


class _MemoryBatch:
    def __init__(self, store: MemorySideStore) -> None:
        self.store = store
        self.position = store.position
        self.rows: dict[str, IndexRow] = {}

    def get(self, case_id: str) -> IndexRow | None:
        row = self.rows.get(case_id) or self.store.index.get(case_id)
        return dict(row) if row else None

    def put(self, row: IndexRow) -> None:
        self.rows[row["case_id"]] = row


class MemorySideStore:
    """Side tables in memory."""

    def __init__(self) -> None:
        self.counters: dict[tuple[str, int], int] = {}
        self.receipts: dict[str, UUID] = {}
        self.index: dict[str, IndexRow] = {}
        self.position = 0
        self.handling: dict[str, tuple[int, dict[str, Any]]] = {}
        self.holders: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def next_number(self, organ_code: str, year: int) -> int:
        with self._lock:
            n = self.counters.get((organ_code, year), 0) + 1
            self.counters[(organ_code, year)] = n
            return n

    def reserve_numbers(self, counts: Mapping[YearKey, int]) -> dict[YearKey, int]:
        with self._lock:
            firsts = {}
            for key, count in counts.items():
                firsts[key] = self.counters.get(key, 0) + 1
                self.counters[key] = firsts[key] + count - 1
            return firsts

    def put_receipt(self, code_hash: str, case_id: UUID) -> None:
        self.receipts[code_hash] = case_id

    def find_receipt(self, code_hash: str) -> tuple[str, UUID] | None:
        case_id = self.receipts.get(code_hash)
        return None if case_id is None else (code_hash, case_id)

    @contextmanager
    def index_batch(self) -> Iterator[_MemoryBatch]:
        with self._lock:
            batch = _MemoryBatch(self)
            yield batch
            self.index.update(batch.rows)
            self.position = batch.position

    def index_rows(self, organ_prefix: str) -> list[IndexRow]:
        return [dict(r) for r in self.index.values() if r["organ_code"].startswith(organ_prefix)]

    def index_position(self) -> int:
        return self.position

    def note_handling(self, case_id: UUID, sequence: int, changes: dict[str, Any]) -> None:
        with self._lock:
            stored, row = self.handling.get(str(case_id), (0, {}))
            if sequence > stored:
                self.handling[str(case_id)] = (sequence, {**row, **changes})

    def handling_of(self, case_ids: list[UUID]) -> dict[str, dict[str, Any]]:
        wanted = {str(c) for c in case_ids}
        return {c: dict(row) for c, (_, row) in self.handling.items() if c in wanted}

    def note_holder(self, case_id: UUID, organ_code: str) -> None:
        with self._lock:
            self.holders.setdefault(str(case_id), set()).add(organ_code)

    def holders_of(self, case_id: UUID) -> list[str]:
        return sorted(self.holders.get(str(case_id), ()))

    def search(self, query: SearchQuery) -> list[tuple[IndexRow, dict[str, Any]]]:
        found = [
            (dict(row), dict(self.handling.get(case_id, (0, {}))[1]))
            for case_id, row in self.index.items()
            if matches(query, row, self.holders.get(case_id, set()))
        ]
        found.sort(
            key=lambda r: (datetime.fromisoformat(r[0]["registered_at"]), r[0]["case_id"]),
            reverse=True,
        )
        return found[: query.first + 1]


class _PostgresBatch:
    """Rows read once and written together at the end of the batch (one statement), with
    the position, in the batch's transaction."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        row = conn.execute(
            "SELECT position FROM index_position WHERE name = 'petition_index' FOR UPDATE"
        ).fetchone()
        self.position = int(row[0]) if row else 0
        self.rows: dict[str, IndexRow] = {}

    def get(self, case_id: str) -> IndexRow | None:
        if case_id in self.rows:
            return dict(self.rows[case_id])
        found = self.conn.execute(
            "SELECT row FROM petition_index WHERE case_id = %s", (case_id,)
        ).fetchone()
        return dict(found[0]) if found else None

    def put(self, row: IndexRow) -> None:
        self.rows[row["case_id"]] = row

    def flush(self) -> None:
        if not self.rows:
            return
        rows = list(self.rows.values())
        self.conn.execute(
            "INSERT INTO petition_index (case_id, organ_code, row) "
            "SELECT * FROM unnest(%s::uuid[], %s::text[], %s::jsonb[]) "
            "ON CONFLICT (case_id) DO UPDATE SET organ_code = EXCLUDED.organ_code, "
            "row = EXCLUDED.row",
            (
                [r["case_id"] for r in rows],
                [r["organ_code"] for r in rows],
                [Jsonb(r) for r in rows],
            ),
        )


class PostgresSideStore:
    """Side tables in the service's PostgreSQL schema."""

    def __init__(self, connect: Callable[[], AbstractContextManager[Any]]) -> None:
        self._connect = connect
        with self._connect() as conn:
            conn.execute(SCHEMA_SQL)
            conn.execute(
                "INSERT INTO index_position (name, position) VALUES ('petition_index', 0) "
                "ON CONFLICT (name) DO NOTHING"
            )

    def next_number(self, organ_code: str, year: int) -> int:
        # Pipelined: BEGIN, SET, the increment and COMMIT go out together, one round trip
        # (four otherwise), so the counter row's lock is held for as short as can be.
        with self._connect() as conn:
            with conn.pipeline(), conn.transaction():
                _commit_with_the_registration(conn)
                taken = conn.execute(
                    "INSERT INTO registration_counter (organ_code, year, last_number) "
                    "VALUES (%s, %s, 1) ON CONFLICT (organ_code, year) DO UPDATE "
                    "SET last_number = registration_counter.last_number + 1 "
                    "RETURNING last_number",
                    (organ_code, year),
                    prepare=True,
                )
            row = taken.fetchone()
            assert row is not None
            return int(row[0])

    def reserve_numbers(self, counts: Mapping[YearKey, int]) -> dict[YearKey, int]:
        """Take `count` consecutive numbers of each (organ, year) at once, in one statement
        (history import); returns the first of each."""
        if not counts:
            return {}
        keys = sorted(counts)  # one order in every transaction: importers never deadlock
        with self._connect() as conn:
            rows = conn.execute(
                "INSERT INTO registration_counter (organ_code, year, last_number) "
                "SELECT * FROM unnest(%s::text[], %s::int[], %s::int[]) "
                "ON CONFLICT (organ_code, year) DO UPDATE "
                "SET last_number = registration_counter.last_number + EXCLUDED.last_number "
                "RETURNING organ_code, year, last_number",
                ([k[0] for k in keys], [k[1] for k in keys], [counts[k] for k in keys]),
            ).fetchall()
        return {(organ, year): int(last) - counts[organ, year] + 1 for organ, year, last in rows}

    def put_receipt(self, code_hash: str, case_id: UUID) -> None:
        with self._connect() as conn:
            _commit_with_the_registration(conn)
            conn.execute(
                "INSERT INTO receipt_codes (code_hash, case_id) VALUES (%s, %s)",
                (code_hash, case_id),
            )

    def find_receipt(self, code_hash: str) -> tuple[str, UUID] | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT code_hash, case_id FROM receipt_codes WHERE code_hash = %s", (code_hash,)
            ).fetchone()
        return None if row is None else (str(row[0]), row[1])

    @contextmanager
    def index_batch(self) -> Iterator[_PostgresBatch]:
        with self._connect() as conn:
            # Committed without waiting for the disk: the index and its position are lost
            # together with a crash of the server, and it follows the store on from there;
            # its flushes no longer queue with the registrations' for the write-ahead log.
            conn.execute("SET LOCAL synchronous_commit TO OFF")
            batch = _PostgresBatch(conn)
            yield batch
            batch.flush()
            conn.execute(
                "UPDATE index_position SET position = %s WHERE name = 'petition_index'",
                (batch.position,),
            )

    def index_rows(self, organ_prefix: str) -> list[IndexRow]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT row FROM petition_index WHERE organ_code LIKE %s",
                (_like_prefix(organ_prefix),),
            ).fetchall()
        return [dict(r[0]) for r in rows]

    def index_position(self) -> int:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT position FROM index_position WHERE name = 'petition_index'"
            ).fetchone()
        return int(row[0]) if row else 0

    def note_handling(self, case_id: UUID, sequence: int, changes: dict[str, Any]) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO handling_view (case_id, sequence, row) VALUES (%s, %s, %s) "
                "ON CONFLICT (case_id) DO UPDATE SET sequence = EXCLUDED.sequence, "
                "row = handling_view.row || EXCLUDED.row "
                "WHERE handling_view.sequence < EXCLUDED.sequence",
                (case_id, sequence, Jsonb(changes)),
            )

    def handling_of(self, case_ids: list[UUID]) -> dict[str, dict[str, Any]]:
        if not case_ids:
            return {}
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT case_id, row FROM handling_view WHERE case_id = ANY(%s)",
                (list(case_ids),),
            ).fetchall()
        return {str(r[0]): dict(r[1]) for r in rows}

    def note_holder(self, case_id: UUID, organ_code: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO case_holders (case_id, organ_code) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (case_id, organ_code),
            )

    def holders_of(self, case_id: UUID) -> list[str]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT organ_code FROM case_holders WHERE case_id = %s ORDER BY organ_code",
                (case_id,),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def search(self, query: SearchQuery) -> list[tuple[IndexRow, dict[str, Any]]]:
        sql, params = search_sql(query)
        with self._connect() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [(dict(r[0]), dict(r[1] or {})) for r in rows]


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _commit_with_the_registration(conn: Any) -> None:
    """Commit without waiting for the disk: the registration's own event is stored next,
    with a synchronous commit, and the write-ahead log is flushed in order, so whatever
    outlives a crash of the server includes this row. A row lost with the crash belonged
    to a registration that was never stored: its number is free to be given again."""
    conn.execute("SET LOCAL synchronous_commit TO OFF")
