"""`baton rebuild intake`: intake's read models rebuilt from the event stores.

- `petition_index` from intake's own log, through the index worker's own projection;
- `handling_view` and `case_holders` from routing's log, through the routing consumer's
  own handlers (`RoutingEventHandlers`) over an in-memory side store, each event of a case
  intake holds, in the order the relay publishes them.

The handlers are handed a stand-in petition that no rule applies to, so they only note
what the side tables keep; what they do to petitions is in intake's log already.

`rebuild` replaces the live tables in one transaction, after locking what the live
writers take first (the index position row, the two routing tables), so a running intake
waits and then goes on exactly after the rebuild: the index worker from the position
read, the routing consumer with writes that are idempotent by case sequence.
`compare` rebuilds into a scratch schema instead and returns both sides' digests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from psycopg.sql import SQL, Identifier

from domain.petition import Petition
from infra.dbroles import owner_url
from infra.eventstore import ServiceApplication, service_store
from infra.readmodels import fresh_schema, table_digests
from infra.relay import decode_stored, envelope_for
from services.intake.index import catch_up_index
from services.intake.routing_events import RoutingEventHandlers
from services.intake.sidestore import SCHEMA_SQL, MemorySideStore

__all__ = ["TABLES", "IntakeModels", "compare", "project", "rebuild", "rebuild_in"]

TABLES = ("petition_index", "handling_view", "case_holders")
BATCH = 5000


class _Untouched:
    """A petition at no stage: no handler changes it, each notes only its side rows."""

    stage = None

    def __init__(self, case_id: str) -> None:
        self.id = UUID(case_id)


@dataclass
class IntakeModels:
    """The three read models, in memory, and how far each store was read."""

    side: MemorySideStore
    routing_read: int
    events: int

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        side = self.side
        return {
            "petition_index": [
                (UUID(case_id), row["organ_code"], row) for case_id, row in side.index.items()
            ],
            "handling_view": [
                (UUID(case_id), sequence, row) for case_id, (sequence, row) in side.handling.items()
            ],
            "case_holders": [
                (UUID(case_id), organ)
                for case_id, organs in side.holders.items()
                for organ in sorted(organs)
            ],
        }


def _notifications(app: ServiceApplication) -> Iterator[Any]:
    position = 0
    while True:
        batch = app.recorder.select_notifications(start=position + 1, limit=BATCH)
        yield from batch
        if len(batch) < BATCH:
            return
        position = batch[-1].id


def project(intake: ServiceApplication, routing: ServiceApplication) -> IntakeModels:
    """Intake's read models from the two stores as they stand."""
    side = MemorySideStore()
    catch_up_index(intake, side)
    handlers = RoutingEventHandlers(side, lambda: datetime.now(UTC))
    read = 0
    for notification in _notifications(routing):
        read = notification.id
        case_id = str(notification.originator_id)
        if notification.topic.rpartition(":")[2] not in handlers.table:
            continue
        if case_id not in side.index:  # the live consumer finds no petition: nothing noted
            continue
        state, _ = decode_stored(routing, notification)
        envelope = envelope_for("routing", notification, state, with_event_id=False)
        handlers.handle(envelope, cast(Petition, _Untouched(case_id)))
    return IntakeModels(side, read, side.position + read)


def _write(conn: Any, schema: str, models: IntakeModels) -> None:
    types = {
        "petition_index": ("case_id", "organ_code", "row"),
        "handling_view": ("case_id", "sequence", "row"),
        "case_holders": ("case_id", "organ_code"),
    }
    oids = {"case_id": "uuid", "organ_code": "text", "row": "jsonb", "sequence": "int8"}
    for table, rows in models.rows().items():
        columns = types[table]
        statement = SQL("COPY {}.{} ({}) FROM STDIN (FORMAT BINARY)").format(
            Identifier(schema),
            Identifier(table),
            SQL(", ").join(Identifier(c) for c in columns),
        )
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types([oids[c] for c in columns])
            for row in rows:
                copy.write_row(row)


@dataclass(frozen=True)
class RebuildReport:
    events: int
    cases: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


def rebuild_in(
    conn: Any, schema: str, intake: ServiceApplication, routing: ServiceApplication
) -> RebuildReport:
    """Replace intake's read models in `schema` (its live schema) in `conn`'s transaction."""
    started = time.perf_counter()
    table = SQL("{}.{}").format
    # The index worker's batch takes this row first; the routing consumer writes the two
    # tables one statement at a time: both wait for this transaction, and only then write.
    conn.execute(
        SQL("SELECT position FROM {} WHERE name = 'petition_index' FOR UPDATE").format(
            table(Identifier(schema), Identifier("index_position"))
        )
    )
    conn.execute(
        SQL("LOCK TABLE {}, {} IN EXCLUSIVE MODE").format(
            table(Identifier(schema), Identifier("handling_view")),
            table(Identifier(schema), Identifier("case_holders")),
        )
    )
    models = project(intake, routing)
    for name in TABLES:
        # DELETE, not TRUNCATE: searches go on reading the old rows until the commit.
        conn.execute(SQL("DELETE FROM {}").format(table(Identifier(schema), Identifier(name))))
    _write(conn, schema, models)
    conn.execute(
        SQL("UPDATE {} SET position = %s WHERE name = 'petition_index'").format(
            table(Identifier(schema), Identifier("index_position"))
        ),
        (models.side.position,),
    )
    return RebuildReport(models.events, len(models.side.index), time.perf_counter() - started)


def rebuild(database_url: str, intake_schema: str, routing_schema: str) -> RebuildReport:
    """`baton rebuild intake`: the live tables of intake's schema replaced."""
    import psycopg

    intake = service_store("intake", database_url, intake_schema)
    routing = service_store("routing", database_url, routing_schema)
    try:
        # The runtime role may not delete intake's rows: an operator's command runs as the
        # owner when there is one.
        with psycopg.connect(owner_url() or database_url) as conn:
            return rebuild_in(conn, intake_schema, intake, routing)
    finally:
        intake.close()
        routing.close()


def compare(
    database_url: str, intake_schema: str, routing_schema: str, scratch: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """(live digests, rebuilt digests) per table: rebuilt into a scratch schema, which is
    dropped afterwards; the live tables are only read."""
    import psycopg

    scratch = scratch or f"{intake_schema}_rebuild"
    intake = service_store("intake", database_url, intake_schema)
    routing = service_store("routing", database_url, routing_schema)
    try:
        models = project(intake, routing)
    finally:
        intake.close()
        routing.close()
    # The scratch schema is declared, like every schema, by the owner when there is one.
    with psycopg.connect(owner_url() or database_url) as conn:
        fresh_schema(conn, scratch, SCHEMA_SQL)
        _write(conn, scratch, models)
        rebuilt = table_digests(conn, scratch, TABLES)
        live = table_digests(conn, intake_schema, TABLES)
        conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(scratch)))
    return live, rebuilt
