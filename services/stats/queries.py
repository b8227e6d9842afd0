"""The counting questions, as SQL over the fact rows (now) or their history (as of a moment).

Every question selects the cases registered in an organ's subtree (a code prefix) and
received in a date range; the same SQL runs over `case_fact` or, for `asOf`, over the
versions of each part valid at that moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from services.stats import rollup
from services.stats.dimensions import (
    EXPRESSIONS,
    KEY_FIELD_JOIN,
    MULTI_VALUED,
    RATES,
    StatisticsDimension,
    aggregate,
    next_year_month,
)
from services.stats.facts import COLUMNS

_PART_ALIASES = {"intake": "i", "routing": "r", "supervision": "s"}


def facts_source(as_of: dt.datetime | None) -> str:
    """The fact rows to count: the current ones, or those valid at `as_of`."""
    if as_of is None:
        return "case_fact f"
    selected = ["i.case_id"]
    joins = []
    for source, columns in COLUMNS.items():
        alias = _PART_ALIASES[source]
        selected.extend(f"{alias}.{column}" for column in columns)
        if source != "intake":
            joins.append(
                f"LEFT JOIN {source}_history {alias} ON {alias}.case_id = i.case_id "
                f"AND {alias}.valid_from <= %(as_of)s AND {alias}.valid_to > %(as_of)s"
            )
    return (
        f"(SELECT {', '.join(selected)} FROM intake_history i {' '.join(joins)} "
        "WHERE i.valid_from <= %(as_of)s AND i.valid_to > %(as_of)s) f"
    )


@dataclass(frozen=True)
class Selection:
    """Cases registered in `organ`'s subtree and received between two days, inclusive,
    compared with those received between two earlier days (the same period a year before).
    """

    organ: str
    start: dt.date
    end: dt.date
    previous_start: dt.date | None = None
    previous_end: dt.date | None = None
    as_of: dt.datetime | None = None

    @property
    def compared(self) -> bool:
        return self.previous_start is not None and self.previous_end is not None

    def alone(self) -> Selection:
        """The same selection without its comparison."""
        return Selection(self.organ, self.start, self.end, as_of=self.as_of)

    def earlier(self) -> Selection:
        """The comparison period as a selection of its own."""
        assert self.previous_start is not None and self.previous_end is not None
        return Selection(self.organ, self.previous_start, self.previous_end, as_of=self.as_of)


Measures = list[int]
"""count, 人次, previous count, previous 人次, then each rate's numerator and denominator."""


def _measures(now: str, before: str) -> list[str]:
    """The measures of the rows received in the period (`now`) and in its comparison."""
    visitors = "CASE WHEN f.channel = 'visit' THEN f.visitors ELSE 0 END"
    columns = [
        f"count(*) FILTER (WHERE {now})",
        f"coalesce(sum({visitors}) FILTER (WHERE {now}), 0)",
        f"count(*) FILTER (WHERE {before})",
        f"coalesce(sum({visitors}) FILTER (WHERE {before}), 0)",
    ]
    for numerator, denominator in RATES.values():
        columns += [aggregate(numerator, now), aggregate(denominator, now)]
    return columns


def scan(
    conn: Any, selection: Selection, dimensions: list[StatisticsDimension], depth: int
) -> dict[tuple[str, ...], Measures]:
    """`{group keys: measures}` over the selection and its comparison.

    Whole months come from the monthly roll-up when it holds the dimensions; the other
    days (and every `asOf` question) are counted from the fact rows. A row of the
    comparison period is grouped under the month a year later, so months line up.
    """
    periods = [(selection.start, selection.end)]
    if selection.compared:
        assert selection.previous_start is not None and selection.previous_end is not None
        periods.append((selection.previous_start, selection.previous_end))
    if selection.as_of is not None or not rollup.answers(dimensions):
        return _scan_facts(conn, selection, dimensions, depth, periods[:1], periods[1:])
    months = [rollup.whole_months(a, b) for a, b in periods]
    result = rollup.scan(
        conn,
        selection.organ,
        months[0],
        months[1] if len(months) > 1 else None,
        dimensions,
        depth,
    )
    edges = [_outside(period, whole) for period, whole in zip(periods, months, strict=True)]
    if any(edges):
        days_before = edges[1] if len(edges) > 1 else []
        partial = _scan_facts(conn, selection, dimensions, depth, edges[0], days_before)
        for keys, measures in partial.items():
            entry = result.setdefault(keys, [0] * len(measures))
            for index, value in enumerate(measures):
                entry[index] += value
    return result


def _outside(
    period: tuple[dt.date, dt.date], whole: tuple[dt.date, dt.date] | None
) -> list[tuple[dt.date, dt.date]]:
    """The days of a period outside its whole months."""
    start, end = period
    if whole is None:
        return [period]
    before = [(start, whole[0] - dt.timedelta(days=1))] if start < whole[0] else []
    after = [(whole[1] + dt.timedelta(days=1), end)] if whole[1] < end else []
    return before + after


def _scan_facts(
    conn: Any,
    selection: Selection,
    dimensions: list[StatisticsDimension],
    depth: int,
    days: list[tuple[dt.date, dt.date]],
    days_before: list[tuple[dt.date, dt.date]],
) -> dict[tuple[str, ...], Measures]:
    """The measures counted from the fact rows received on `days` (of the period) and
    on `days_before` (of its comparison), each a list of ranges."""
    keys = [EXPRESSIONS[d] for d in dimensions]
    if StatisticsDimension.MONTH in dimensions:
        keys[dimensions.index(StatisticsDimension.MONTH)] = (
            "to_char(CASE WHEN f.received_on < %(start)s "
            "THEN f.received_on + interval '1 year' ELSE f.received_on END, 'YYYY-MM')"
        )
    join = KEY_FIELD_JOIN if any(d in MULTI_VALUED for d in dimensions) else ""
    params: dict[str, Any] = {
        "prefix": selection.organ + "%",
        "start": selection.start,
        "as_of": selection.as_of,
        "depth": depth,
    }
    conditions = []
    for name, ranges in (("now", days), ("before", days_before)):
        between = []
        for index, (first, last) in enumerate(ranges):
            params[f"{name}_from_{index}"], params[f"{name}_to_{index}"] = first, last
            between.append(
                f"f.received_on BETWEEN %({name}_from_{index})s AND %({name}_to_{index})s"
            )
        conditions.append(f"({' OR '.join(between)})" if between else "false")
    now, before = conditions
    grouping = f" GROUP BY {', '.join(str(n) for n in range(1, len(keys) + 1))}" if keys else ""
    rows = conn.execute(
        f"SELECT {', '.join([*keys, *_measures(now, before)])} "
        f"FROM {facts_source(selection.as_of)}{join} "
        f"WHERE f.organ_code LIKE %(prefix)s AND ({now} OR {before}){grouping}",
        params,
    ).fetchall()
    width = len(keys)
    return {
        tuple(row[:width]): [int(v or 0) for v in row[width:]] for row in rows if any(row[width:])
    }


def year_on_year(
    conn: Any, selection: Selection, dimensions: list[StatisticsDimension], depth: int
) -> tuple[dict[tuple[str, ...], Measures], Measures]:
    """The groups and the totals of a compared selection.

    One pass when it can; two when the periods overlap and months must line up, and a
    separate total when one case can fall in several groups.
    """
    overlapping = selection.compared and selection.previous_end >= selection.start  # type: ignore[operator]
    if overlapping and StatisticsDimension.MONTH in dimensions:
        groups = scan(conn, selection.alone(), dimensions, depth)
        month = dimensions.index(StatisticsDimension.MONTH)
        for keys, measures in scan(conn, selection.earlier(), dimensions, depth).items():
            shifted = (*keys[:month], next_year_month(keys[month]), *keys[month + 1 :])
            entry = groups.setdefault(shifted, [0] * len(measures))
            entry[2:4] = measures[0:2]
    else:
        groups = scan(conn, selection, dimensions, depth) if dimensions else {}
    if not dimensions or any(d in MULTI_VALUED for d in dimensions):
        totals = scan(conn, selection, [], depth).get((), empty_measures())
    else:
        totals = [sum(column) for column in zip(*groups.values(), strict=True)]
        totals = totals or empty_measures()
    return groups, totals


def empty_measures() -> Measures:
    return [0] * (4 + 2 * len(RATES))


def rates_of(measures: Measures) -> dict[str, tuple[int, int]]:
    """Each rate's (numerator, denominator) from a row of measures."""
    return {
        name: (measures[4 + 2 * index], measures[5 + 2 * index]) for index, name in enumerate(RATES)
    }


def holding_by_child(conn: Any, organ: str, children: list[str]) -> dict[str, dict[str, int]]:
    """What each child's subtree (and the organ itself) holds now 在办, and its warnings.

    A case is held while being handled or reviewed; a report not yet screened is held by
    the petition office that registered it.
    """
    cases = []
    params: dict[str, Any] = {"organ": organ, "prefix": organ + "%"}
    for index, child in enumerate(children):
        params[f"c{index}"] = child + "%"
        cases.append(f"WHEN holder LIKE %(c{index})s THEN %(k{index})s")
        params[f"k{index}"] = child
    key = f"CASE {' '.join(cases)} ELSE %(organ)s END" if cases else "%(organ)s"
    rows = conn.execute(
        f"""
        SELECT {key} AS child, count(*),
               count(*) FILTER (WHERE overdue),
               count(*) FILTER (WHERE warning = 'yellow'),
               count(*) FILTER (WHERE warning = 'red')
        FROM (
            SELECT coalesce(f.holder_organ, f.organ_code) AS holder,
                   coalesce(f.overdue, false) AS overdue, f.warning
            FROM case_fact f
            WHERE (f.handling_status IN ('open', 'under_review')
                   AND f.holder_organ LIKE %(prefix)s AND f.holder_external IS NULL)
               OR (f.handling_status IS NULL AND f.screening IS NULL
                   AND f.organ_code LIKE %(prefix)s AND f.received_on IS NOT NULL)
        ) held
        GROUP BY 1
        """,
        params,
    ).fetchall()
    return {
        row[0]: {"holding": row[1], "overdue": row[2], "yellow": row[3], "red": row[4]}
        for row in rows
    }
