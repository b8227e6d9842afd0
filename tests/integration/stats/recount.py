"""The brute-force recount: `caseStatistics` computed case by case in Python from the
synthetic history, written from the documented rules and not from the stats code."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections import Counter
from typing import Any

from .history import SANCTIONS, Case

VALUES = {
    "CHANNEL": lambda v, d: [v["channel"]],
    "SCOPE": lambda v, d: [v["scope"] or "unscreened"],
    "REPORT_TYPE": lambda v, d: [v["report_type"] or "none"],
    "FIRST_OR_REPEAT": lambda v, d: ["repeat" if v["screening"] == "repeat" else "first"],
    "REAL_NAME": lambda v, d: ["real_name" if v["real_name"] else "anonymous"],
    "CATEGORY": lambda v, d: [v["category"]],
    "KEY_FIELD": lambda v, d: v["key_fields"] or ["none"],
    "CADRE_LEVEL": lambda v, d: [v["cadre_level"] or "none"],
    "OUTCOME": lambda v, d: [v["outcome"] or "none"],
    "SUBSTANTIATION": lambda v, d: [v["substantiation"] or "none"],
    "SUBORDINATE": lambda v, d: [v["path"][d] if len(v["path"]) > d else v["organ"]],
    "MONTH": lambda v, d: [v["received_on"].strftime("%Y-%m")],
    "ORIGIN": lambda v, d: [
        v["channel"] if v["channel"] in ("body_handover", "upper_handover") else "own"
    ],
    "CONDUCT_PERIOD": lambda v, d: [v["conduct_period"]],
    "DISPOSAL": lambda v, d: [v["disposal"] or "none"],
    "STAGE": lambda v, d: [v["screening"] or "received"],
    "SATISFACTION": lambda v, d: [v["satisfaction"] or "none"],
    "WARNING": lambda v, d: ["none"],
}


def a_year_before(day: dt.date, is_end: bool) -> dt.date:
    """The same day a year before; a month's last day stays its month's last day."""
    year = day.year - 1
    last = calendar.monthrange(day.year, day.month)[1]
    if is_end and day.day == last:
        return dt.date(year, day.month, calendar.monthrange(year, day.month)[1])
    return dt.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def select(
    cases: list[Case], organ: str, start: dt.date, end: dt.date, as_of: dt.datetime | None
) -> list[dict[str, Any]]:
    views = (case.view(as_of) for case in cases)
    return [
        v
        for v in views
        if v is not None and v["organ"].startswith(organ) and start <= v["received_on"] <= end
    ]


def rates(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    concluded = [v for v in rows if v["outcome"] is not None]
    accepted = [v for v in rows if v["screening"] == "accepted"]
    in_scope = [v for v in rows if v["scope"] == "in_scope"]
    asked = [v for v in rows if v["satisfaction"] is not None]
    return {
        "inScopeShare": (len(in_scope), len(rows)),
        "repeatShare": (sum(v["screening"] == "repeat" for v in rows), len(in_scope)),
        "closure": (sum(v["outcome"] is not None for v in accepted), len(accepted)),
        "substantiation": (
            sum(v["substantiation"] in ("true", "partly_true") for v in concluded),
            len(concluded),
        ),
        "sanction": (sum(v["outcome"] in SANCTIONS for v in concluded), len(concluded)),
        "satisfaction": (
            sum(v["satisfaction"] in ("satisfied", "basically_satisfied") for v in asked),
            len(asked),
        ),
        "onTime": (0, 0),
    }


def groups(rows: list[dict[str, Any]], dims: list[str], depth: int) -> dict[tuple, list[int]]:
    counted: dict[tuple, list[int]] = {}
    for v in rows:
        for keys in itertools.product(*(VALUES[d](v, depth) for d in dims)):
            entry = counted.setdefault(keys, [0, 0])
            entry[0] += 1
            entry[1] += v["visitors"]
    return counted


def recount(
    cases: list[Case],
    organ: str,
    depth: int,
    start: dt.date,
    end: dt.date,
    dims: list[str],
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """The answer `caseStatistics` must give, counted case by case."""
    previous_start, previous_end = a_year_before(start, False), a_year_before(end, True)
    now = select(cases, organ, start, end, as_of)
    before = select(cases, organ, previous_start, previous_end, as_of)
    current = groups(now, dims, depth) if dims else {}
    previous_raw = groups(before, dims, depth) if dims else {}
    previous: Counter[tuple] = Counter()
    for keys, (count, _) in previous_raw.items():
        shifted = tuple(
            f"{int(k[:4]) + 1:04d}{k[4:]}" if d == "MONTH" else k
            for d, k in zip(dims, keys, strict=True)
        )
        previous[shifted] += count
    return {
        "previousFrom": previous_start,
        "previousTo": previous_end,
        "total": len(now),
        "visitors": sum(v["visitors"] for v in now),
        "previousTotal": len(before),
        "groups": {
            keys: (*current.get(keys, (0, 0)), previous.get(keys, 0))
            for keys in set(current) | set(previous)
        },
        "rates": rates(now),
    }
