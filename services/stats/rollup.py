"""The monthly roll-up 月汇总: per organ, month and combination of dimension codes, the
counts, 人次 and rate figures of the fact rows, so that a province's year is summed from
thousands of rows instead of counted from a million.

Every dimension but KEY_FIELD (one case, several key fields) is a key column; MONTH is the
month itself and SUBORDINATE comes from the organ path. The live consumer moves a case's
contribution from its old key to its new one in the same transaction as the fact row; a
rebuild recomputes the table from the facts. Questions about whole months read it; the
days of a partial month and every `asOf` question read the facts.

`subtree_cube` holds the same sums per ancestor 上级 instead of per organ: a case counts
once under every organ of its path, so a question not grouped by SUBORDINATE reads only
its organ's rows (a province's year: a few thousand rows rather than every organ's).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.stats.dimensions import EXPRESSIONS, RATES, StatisticsDimension

D = StatisticsDimension
KEYED = [d for d in StatisticsDimension if d not in (D.KEY_FIELD, D.MONTH, D.SUBORDINATE)]
KEY_COLUMNS = [f"k_{d.value.lower()}" for d in KEYED]
MEASURES = ["cases", "visitors"] + [
    f"r_{name.lower()}_{side}" for name in RATES for side in ("n", "d")
]
_VISITORS = "CASE WHEN f.channel = 'visit' THEN f.visitors ELSE 0 END"


def _row_value(side: str) -> str:
    if side.startswith("sum:"):
        return f"({side[4:]})"
    return f"(CASE WHEN {side} THEN 1 ELSE 0 END)"


def _contribution_columns() -> list[str]:
    """What one fact row `f` adds to the roll-up: its key, then its measures."""
    values = ["1", _VISITORS]
    for numerator, denominator in RATES.values():
        values += [_row_value(numerator), _row_value(denominator)]
    return [
        "f.organ_code",
        "f.organ_path",
        "date_trunc('month', f.received_on)::date",
        *(EXPRESSIONS[d] for d in KEYED),
        *values,
    ]


COLUMNS = ["organ_code", "organ_path", "month", *KEY_COLUMNS, *MEASURES]
_KEY = ["organ_code", "month", *KEY_COLUMNS]
_SUBTREE_KEY = ["ancestor", "month", *KEY_COLUMNS]
_SUBTREE_COLUMNS = [*_SUBTREE_KEY, *MEASURES]


def ddl() -> str:
    keys = ",\n    ".join(f"{column} text NOT NULL" for column in KEY_COLUMNS)
    measures = ",\n    ".join(f"{column} bigint NOT NULL" for column in MEASURES)
    return f"""
CREATE TABLE IF NOT EXISTS month_cube (
    organ_code text NOT NULL,
    organ_path text[] NOT NULL,
    month date NOT NULL,
    {keys},
    {measures}
);
CREATE UNIQUE INDEX IF NOT EXISTS month_cube_key ON month_cube ({", ".join(_KEY)});
CREATE INDEX IF NOT EXISTS month_cube_subtree
    ON month_cube (organ_code text_pattern_ops, month);
CREATE TABLE IF NOT EXISTS subtree_cube (
    ancestor text NOT NULL,
    month date NOT NULL,
    {keys},
    {measures}
);
CREATE UNIQUE INDEX IF NOT EXISTS subtree_cube_key ON subtree_cube ({", ".join(_SUBTREE_KEY)});
"""


def rebuild(conn: Any) -> None:
    """Recompute the roll-up from the fact rows."""
    width = 3 + len(KEY_COLUMNS)
    contribution = _contribution_columns()
    sums = [f"sum({value})" for value in contribution[width:]]
    positions = ", ".join(str(n) for n in range(1, width + 1))
    conn.execute("TRUNCATE month_cube, subtree_cube")
    conn.execute(
        f"INSERT INTO month_cube ({', '.join(COLUMNS)}) "
        f"SELECT {', '.join(contribution[:width] + sums)} FROM case_fact f "
        f"WHERE f.received_on IS NOT NULL GROUP BY {positions}"
    )
    _fill_subtree(conn)


def _fill_subtree(conn: Any) -> None:
    """Each organ's sums once more under every organ of its path (itself included)."""
    conn.execute(
        f"INSERT INTO subtree_cube ({', '.join(_SUBTREE_COLUMNS)}) "
        f"SELECT a.ancestor, {', '.join(f'c.{k}' for k in _SUBTREE_KEY[1:])}, "
        f"{', '.join(f'sum(c.{m})' for m in MEASURES)} "
        "FROM month_cube c CROSS JOIN LATERAL unnest(c.organ_path) AS a (ancestor) "
        f"GROUP BY {', '.join(str(n) for n in range(1, len(_SUBTREE_KEY) + 1))}"
    )


def backfill(conn: Any) -> None:
    """Fill `subtree_cube` from `month_cube` once, in a store made before it existed."""
    missing = "SELECT NOT EXISTS (SELECT FROM subtree_cube) AND EXISTS (SELECT FROM month_cube)"
    if not conn.execute(missing).fetchone()[0]:
        return  # every start but the first after the upgrade: no lock taken
    with conn.transaction():
        # Consumers wait while it is filled; checked again under the lock.
        conn.execute("LOCK TABLE month_cube, subtree_cube IN SHARE ROW EXCLUSIVE MODE")
        if conn.execute(missing).fetchone()[0]:
            _fill_subtree(conn)


def contribution_sql() -> str:
    """The select list of what a fact row `f` adds to the roll-up, after a flag saying
    whether it adds anything (a row without a date of receipt adds nothing); read with
    `contribution_of` from the same statement that reads or writes the row."""
    return ", ".join(["f.received_on IS NOT NULL", *_contribution_columns()])


def contribution_of(values: tuple[Any, ...] | list[Any]) -> tuple[Any, ...] | None:
    """A case's contribution from the columns of `contribution_sql`, or None."""
    return tuple(values[1:]) if values[0] else None


def move(conn: Any, old: tuple[Any, ...] | None, new: tuple[Any, ...] | None) -> None:
    """Take a case's old contribution out of the roll-up and put its new one in."""
    if old == new:
        return
    width = 3 + len(KEY_COLUMNS)
    moves = [(row, sign) for row, sign in ((old, -1), (new, 1)) if row is not None]
    # Keys in one order in every transaction, so two consumers never wait on each other.
    moves.sort(key=lambda move: (move[0][0], *move[0][2:width]))
    for row, sign in moves:
        values = [*row[:width], *(sign * int(v) for v in row[width:])]
        updates = ", ".join(f"{m} = month_cube.{m} + EXCLUDED.{m}" for m in MEASURES)
        conn.execute(
            f"INSERT INTO month_cube ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
            f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET {updates}",
            values,
        )
        _move_subtree(conn, row[1], values[2:])
    if old is not None:
        conn.execute(
            f"DELETE FROM month_cube WHERE {' AND '.join(f'{k} = %s' for k in _KEY)} AND cases = 0",
            [old[0], *old[2:width]],
        )
        conn.execute(
            "DELETE FROM subtree_cube WHERE ancestor = ANY(%s) AND "
            f"{' AND '.join(f'{k} = %s' for k in _SUBTREE_KEY[1:])} AND cases = 0",
            [list(old[1]), *old[2:width]],
        )


def _move_subtree(conn: Any, path: list[str], values: list[Any]) -> None:
    """Add a signed contribution (month, keys, measures) under every organ of `path`."""
    updates = ", ".join(f"{m} = subtree_cube.{m} + EXCLUDED.{m}" for m in MEASURES)
    # One statement for the whole path, in path order (the same order in every transaction).
    conn.execute(
        f"INSERT INTO subtree_cube ({', '.join(_SUBTREE_COLUMNS)}) "
        f"SELECT a.ancestor, {', '.join(['%s'] * len(values))} "
        "FROM unnest(%s::text[]) WITH ORDINALITY AS a (ancestor, n) ORDER BY a.n "
        f"ON CONFLICT ({', '.join(_SUBTREE_KEY)}) DO UPDATE SET {updates}",
        [*values, list(path)],
    )


def answers(dimensions: list[StatisticsDimension]) -> bool:
    """Whether the roll-up holds these dimensions."""
    return D.KEY_FIELD not in dimensions


def whole_months(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the whole months inside a range, if any."""
    first = start if start.day == 1 else _next_month(start)
    last = _next_month(end) - dt.timedelta(days=1)
    if last != end:
        last = end.replace(day=1) - dt.timedelta(days=1)
    return (first, last) if first <= last else None


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def key_sql(dimension: StatisticsDimension) -> str:
    """A dimension's group key over a roll-up row `c` (MONTH is grouped as `c.month`)."""
    if dimension is D.SUBORDINATE:
        return "coalesce(c.organ_path[%(depth)s + 1], c.organ_code)"
    if dimension is D.MONTH:
        return "c.month"
    return f"c.k_{dimension.value.lower()}"


def scan(
    conn: Any,
    organ: str,
    months: tuple[dt.date, dt.date] | None,
    previous_months: tuple[dt.date, dt.date] | None,
    dimensions: list[StatisticsDimension],
    depth: int,
) -> dict[tuple[str, ...], list[int]]:
    """Measures per group over whole months of both periods, in the order of
    `queries.scan` (count, 人次, previous count, previous 人次, rate sides).

    The table is summed per group and month; which period a month falls in, and the
    month a year later under which a comparison month is shown, are sorted out here.
    """
    none = (dt.date.max, dt.date.min)
    now_from, now_to = months or none
    before_from, before_to = previous_months or none
    keys = [key_sql(d) for d in dimensions if d is not D.MONTH]
    sums = ", ".join(f"sum(c.{m})" for m in MEASURES)
    grouping = ", ".join(str(n) for n in range(1, len(keys) + 2))
    # Per organ only when the groups are its subordinates; otherwise its own subtree rows.
    source = (
        "month_cube c WHERE c.organ_code LIKE %(prefix)s"
        if D.SUBORDINATE in dimensions
        else "subtree_cube c WHERE c.ancestor = %(organ)s"
    )
    rows = conn.execute(
        f"SELECT {', '.join([*keys, 'c.month'])}, {sums} FROM {source} "
        "AND (c.month BETWEEN %(now_from)s AND %(now_to)s "
        f"OR c.month BETWEEN %(before_from)s AND %(before_to)s) GROUP BY {grouping}",
        {
            "organ": organ,
            "prefix": organ + "%",
            "now_from": now_from,
            "now_to": now_to,
            "before_from": before_from,
            "before_to": before_to,
            "depth": depth,
        },
    ).fetchall()
    month_at = dimensions.index(D.MONTH) if D.MONTH in dimensions else None
    width = len(keys)
    result: dict[tuple[str, ...], list[int]] = {}
    for row in rows:
        month: dt.date = row[width]
        values = [int(v or 0) for v in row[width + 1 :]]
        if now_from <= month <= now_to:
            entry = result.setdefault(_keys(row[:width], month_at, month), [0] * (len(values) + 2))
            entry[0] += values[0]
            entry[1] += values[1]
            for index, value in enumerate(values[2:]):
                entry[4 + index] += value
        if before_from <= month <= before_to:
            shown = month.replace(year=month.year + 1)
            entry = result.setdefault(_keys(row[:width], month_at, shown), [0] * (len(values) + 2))
            entry[2] += values[0]
            entry[3] += values[1]
    return result


def _keys(keys: tuple[Any, ...], month_at: int | None, month: dt.date) -> tuple[str, ...]:
    if month_at is None:
        return tuple(keys)
    return (*keys[:month_at], month.strftime("%Y-%m"), *keys[month_at:])
