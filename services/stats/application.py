"""Stats: the case facts kept from intake, routing and supervision events, exactly once,
and the counting questions asked of them (`caseStatistics`, `subordinateStatus`).

Each event reaches the facts through the `{event type: handler}` tables of
`services.stats.facts`; the handler's effect and the tracking row move in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from domain.contracts import Envelope
from domain.guards import CHINA_TZ, require_organ_code
from domain.hierarchy import OrgTree
from infra.eventstore import connect, connection_pool, ensure_schema
from infra.reference_data import load_org_tree
from services.stats import deadlines, queries, rollup
from services.stats.bulk import Projection
from services.stats.dimensions import (
    StatisticsDimension,
    change_percent,
    check_range,
    parse_dimensions,
    percent,
    year_earlier,
)
from services.stats.facts import Context, Projector
from services.stats.store import read_part, schema_ddl, write_change


def _case_of(envelope: Envelope) -> str:
    return envelope.case_id


def ancestry_in(tree: OrgTree) -> Callable[[str], list[str]]:
    """The path root → organ of a code; an unknown code hangs under its longest known prefix."""

    # Every event of a case asks again: a rebuild asks thousands of times per organ.
    known: dict[str, tuple[str, ...]] = {}

    def ancestry(code: str) -> list[str]:
        if code not in known:
            known[code] = tuple(path(code))
        return list(known[code])

    def path(code: str) -> list[str]:
        if code in tree:
            return [o.code for o in reversed(tree.ancestors(code))] + [code]
        for length in range(len(code) - 1, 1, -1):
            if code[:length] in tree:
                return [*path(code[:length]), code]
        return [code]

    return ancestry


class StatsApplication:
    """Keeps the case facts and answers counting questions."""

    def __init__(self, database_url: str, schema: str = "stats", tree: OrgTree | None = None):
        self.database_url = database_url
        self.schema = schema
        self.tree = tree if tree is not None else load_org_tree()
        self.projector = Projector(Context(ancestry_in(self.tree)))
        ensure_schema(database_url, schema)
        with connect(database_url, schema) as conn:
            conn.execute(schema_ddl())
            rollup.backfill(conn)
        self.pool = connection_pool(database_url, schema)

    def close(self) -> None:
        self.pool.close()

    # --- keeping the facts -----------------------------------------------------------

    def handle(self, envelope: Envelope, tracking_name: str) -> None:
        """Apply one event and move the tracking row, in one transaction."""
        # Pipelined: statements whose results are not read go out with the next one that
        # is read (or the commit), so an event costs four round trips instead of ten. The
        # transaction is the pipeline's own, so its COMMIT goes out with the last of them.
        with self.pool.connection() as conn, conn.pipeline(), conn.transaction():
            row = conn.execute(
                "SELECT position FROM tracking WHERE name = %s FOR UPDATE", (tracking_name,)
            ).fetchone()
            if row is not None and envelope.notification_id <= row[0]:
                return
            if self.projector.handles(envelope):
                case_envelope = deadlines.addressed(conn, envelope)
                if case_envelope is not None:
                    self._apply(conn, case_envelope)
            conn.execute(
                "INSERT INTO tracking (name, position) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
                (tracking_name, envelope.notification_id),
            )

    def handle_batch(self, envelopes: Sequence[Envelope], tracking_name: str) -> None:
        """Apply a poll's events of one partition and move the tracking row once, in one
        transaction; a batch with nothing for the facts opens none."""
        wanted = [e for e in envelopes if self.projector.handles(e)]
        if not wanted:
            return
        # Pipelined as `handle`: the statements whose results are not read (history rows,
        # roll-up moves, the tracking row) go out with the next read or the commit.
        with self.pool.connection() as conn, conn.pipeline(), conn.transaction():
            # Committed without waiting for the disk (nor queueing with the registrations'
            # flushes): the facts and the tracking row are lost together with a crash of
            # the server, and the consumer commits its offsets only after the guard's chain
            # heads, a synchronous commit that flushes the log this batch is in
            # (`infra.consumer`), so a restart never resumes past a lost batch.
            conn.execute("SET LOCAL synchronous_commit TO OFF")
            row = conn.execute(
                "SELECT position FROM tracking WHERE name = %s FOR UPDATE", (tracking_name,)
            ).fetchone()
            done = row[0] if row is not None else 0
            last = max(e.notification_id for e in envelopes)
            if last <= done:
                return
            # Addressed to their cases in the order they came (a deadline's events name the
            # deadline), then by case: a stable sort keeps each case's order, and consumers
            # of the three sources lock case rows in the same order, so none deadlocks.
            addressed = [
                a
                for e in wanted
                if e.notification_id > done and (a := deadlines.addressed(conn, e)) is not None
            ]
            for case_envelope in sorted(addressed, key=_case_of):
                self._apply(conn, case_envelope)
            conn.execute(
                "INSERT INTO tracking (name, position) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
                (tracking_name, last),
            )

    def _apply(self, conn: Any, envelope: Envelope) -> None:
        # The row exists and is locked before anything is read from it, so the intake and
        # routing consumers, meeting on a new case, take turns.
        conn.execute(
            "INSERT INTO case_fact (case_id) VALUES (%s) ON CONFLICT (case_id) DO NOTHING",
            (envelope.case_id,),
        )
        current = read_part(conn, envelope.case_id, envelope.source)
        change = self.projector.apply(current.part, envelope, current.valid_from)
        if change is not None:
            write_change(conn, change, current)
            return
        conn.execute(
            "DELETE FROM case_fact WHERE case_id = %s AND intake_version = 0 "
            "AND routing_version = 0 AND supervision_version = 0",
            (envelope.case_id,),
        )

    def load(self, envelopes: Iterable[Envelope], positions: dict[str, int]) -> int:
        """Replace every fact with those of these events, set the tracking rows; one
        transaction. Returns how many events were applied."""
        projection = Projection(self.projector)
        for envelope in envelopes:
            projection.apply(envelope)
        with self.pool.connection() as conn:
            projection.write(conn, positions)
        return projection.applied

    # --- questions -------------------------------------------------------------------

    def _organ(self, organ: str) -> list[str]:
        """The organ's path from its root; coded refusals for a bad or unknown code."""
        require_organ_code(organ)
        self.tree.get(organ)
        return ancestry_in(self.tree)(organ)

    def case_statistics(
        self,
        organ: str,
        start: dt.date,
        end: dt.date,
        group_by: list[str],
        as_of: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Counts and 人次 over the organ's subtree, grouped, with the year-earlier figures
        and the rates 比率; as of a past moment when `as_of` is given."""
        depth = len(self._organ(organ))
        check_range(start, end)
        dimensions = parse_dimensions(group_by)
        if as_of is not None and as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=CHINA_TZ)
        previous_start, previous_end = year_earlier(start, end)
        selection = queries.Selection(organ, start, end, previous_start, previous_end, as_of)
        with self.pool.connection() as conn:
            counted, totals = queries.year_on_year(conn, selection, dimensions, depth)
        groups = [
            {
                "keys": list(keys),
                "count": measures[0],
                "visitors": measures[1],
                "previousCount": measures[2],
                "changePercent": change_percent(measures[0], measures[2]),
            }
            for keys, measures in sorted(counted.items())
        ]
        return {
            "organ": organ,
            "from": start,
            "to": end,
            "previousFrom": previous_start,
            "previousTo": previous_end,
            "asOf": as_of,
            "groupBy": [d.value for d in dimensions],
            "total": totals[0],
            "visitors": totals[1],
            "previousTotal": totals[2],
            "previousVisitors": totals[3],
            "changePercent": change_percent(totals[0], totals[2]),
            "groups": groups,
            "rates": {
                name: {"numerator": n, "denominator": d, "percent": percent(n, d)}
                for name, (n, d) in queries.rates_of(totals).items()
            },
        }

    def subordinate_status(self, organ: str, start: dt.date, end: dt.date) -> dict[str, Any]:
        """For the organ itself and each direct subordinate and stationed unit: what it
        holds now, with warnings, and what its subtree received and concluded in the period."""
        depth = len(self._organ(organ))
        check_range(start, end)
        children = self.tree.children(organ)
        codes = [child.code for child in children]
        selection = queries.Selection(organ, start, end)
        subordinate = [StatisticsDimension.SUBORDINATE]
        with self.pool.connection() as conn:
            figures_of = queries.scan(conn, selection, subordinate, depth)
            held = queries.holding_by_child(conn, organ, codes)
        rows = []
        for unit in [self.tree.get(organ), *children]:
            figures = queries.rates_of(figures_of.get((unit.code,)) or queries.empty_measures())
            closure, repeats = figures["closure"], figures["repeatShare"]
            holding = held.get(unit.code, {"holding": 0, "overdue": 0, "yellow": 0, "red": 0})
            rows.append(
                {
                    "organ": unit.code,
                    "name": unit.name,
                    "level": unit.level.value,
                    "kind": unit.kind.value,
                    "own": unit.code == organ,
                    "hasChildren": unit.code != organ and bool(self.tree.children(unit.code)),
                    **holding,
                    "received": figures["inScopeShare"][1],
                    "concluded": closure[0],
                    "closureRate": percent(*closure),
                    "repeatRate": percent(*repeats),
                }
            )
        return {"organ": organ, "from": start, "to": end, "units": rows}

    def organ_stats(self, organ: str, start: dt.date, end: dt.date) -> dict[str, Any]:
        """Reports received by the organ and its whole subtree between two days, inclusive."""
        require_organ_code(organ)
        check_range(start, end)
        selection = queries.Selection(organ, start, end)
        with self.pool.connection() as conn:
            counted = queries.scan(conn, selection, [StatisticsDimension.CHANNEL], 0)
        by_channel = [
            {"channel": keys[0], "count": measures[0]} for keys, measures in sorted(counted.items())
        ]
        return {
            "organ": organ,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "total": sum(item["count"] for item in by_channel),
            "by_channel": by_channel,
        }

    def case_count(self) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM case_fact WHERE received_on IS NOT NULL"
            ).fetchone()
        return int(row[0]) if row else 0
