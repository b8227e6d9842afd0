"""The counting questions, as SQL over the fact rows (now) or their history (as of a moment).

Every question selects the cases registered in an organ's subtree (a code prefix) and
received in a date range; the same SQL runs over `case_fact` or, for `asOf`, over the
versions of each part valid at that moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from services.stats.dimensions import (
    EXPRESSIONS,
    KEY_FIELD_JOIN,
    MULTI_VALUED,
    RATES,
    VISITORS_SQL,
    StatisticsDimension,
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
    """Cases registered in `organ`'s subtree and received between two days, inclusive."""

    organ: str
    start: dt.date
    end: dt.date
    as_of: dt.datetime | None = None

    def params(self, **more: Any) -> dict[str, Any]:
        return {
            "prefix": self.organ + "%",
            "start": self.start,
            "end": self.end,
            "as_of": self.as_of,
            **more,
        }

    def where(self) -> str:
        return (
            "f.organ_code LIKE %(prefix)s AND f.received_on BETWEEN %(start)s AND %(end)s "
            "AND f.received_on IS NOT NULL"
        )


def totals(conn: Any, selection: Selection) -> dict[str, int]:
    """Count, 人次 and every rate's numerator and denominator over the selection."""
    return totals_by_subordinate(conn, selection, None).get("", empty_totals())


def totals_by_subordinate(
    conn: Any, selection: Selection, depth: int | None
) -> dict[str, dict[str, int]]:
    """The totals per child organ of the selection's organ (the organ's own cases under
    its own code), or under the key "" for the whole selection when `depth` is None."""
    measures = ["count(*)", f"coalesce({VISITORS_SQL}, 0)"]
    for numerator, denominator in RATES.values():
        measures += [numerator, denominator]
    key = EXPRESSIONS[StatisticsDimension.SUBORDINATE] if depth is not None else "''"
    rows = conn.execute(
        f"SELECT {key}, {', '.join(measures)} FROM {facts_source(selection.as_of)} "
        f"WHERE {selection.where()} GROUP BY 1",
        selection.params(depth=depth),
    ).fetchall()
    return {row[0]: _named([int(value or 0) for value in row[1:]]) for row in rows}


def _named(values: list[int]) -> dict[str, int]:
    result = {"total": values[0], "visitors": values[1]}
    for index, name in enumerate(RATES):
        result[f"{name}_n"] = values[2 + 2 * index]
        result[f"{name}_d"] = values[3 + 2 * index]
    return result


def empty_totals() -> dict[str, int]:
    return _named([0] * (2 + 2 * len(RATES)))


def groups(
    conn: Any, selection: Selection, dimensions: list[StatisticsDimension], depth: int
) -> dict[tuple[str, ...], tuple[int, int]]:
    """`{keys: (count, 人次)}` for every group of the dimensions over the selection."""
    keys = [EXPRESSIONS[d] for d in dimensions]
    join = KEY_FIELD_JOIN if any(d in MULTI_VALUED for d in dimensions) else ""
    positions = ", ".join(str(n) for n in range(1, len(keys) + 1))
    rows = conn.execute(
        f"SELECT {', '.join(keys)}, count(*), coalesce({VISITORS_SQL}, 0) "
        f"FROM {facts_source(selection.as_of)}{join} WHERE {selection.where()} "
        f"GROUP BY {positions}",
        selection.params(depth=depth),
    ).fetchall()
    return {tuple(row[:-2]): (int(row[-2]), int(row[-1])) for row in rows}


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
