"""Dimensions, ranges, the same period a year earlier, and the roll-up's whole months."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import InvalidInput
from services.stats.dimensions import (
    EXPRESSIONS,
    StatisticsDimension,
    change_percent,
    check_range,
    parse_dimensions,
    percent,
    year_earlier,
)
from services.stats.queries import _outside
from services.stats.rollup import KEYED, whole_months

D = dt.date


def test_every_dimension_has_its_sql_and_names_follow_the_vocabulary():
    assert set(EXPRESSIONS) == set(StatisticsDimension)
    assert parse_dimensions(["channel,MONTH", " SUBORDINATE "]) == [
        StatisticsDimension.CHANNEL,
        StatisticsDimension.MONTH,
        StatisticsDimension.SUBORDINATE,
    ]
    assert parse_dimensions([]) == []
    assert StatisticsDimension.KEY_FIELD not in KEYED


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (["COLOUR"], "statistics_dimension_unknown"),
        (["MONTH", "month"], "statistics_dimension_repeated"),
        (["CHANNEL,SCOPE,MONTH,OUTCOME,CATEGORY"], "statistics_dimensions_too_many"),
    ],
)
def test_bad_dimensions_are_refused_with_a_code(names, code):
    with pytest.raises(InvalidInput) as refused:
        parse_dimensions(names)
    assert refused.value.code == code and refused.value.message_zh


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (D(2025, 2, 1), D(2025, 1, 1), "date_range_invalid"),
        (D(2000, 1, 1), D(2025, 1, 1), "date_range_too_long"),
        (D(1900, 1, 1), D(1900, 12, 31), "date_out_of_range"),
        (D(3000, 1, 1), D(3000, 1, 2), "date_out_of_range"),
    ],
)
def test_bad_ranges_are_refused_with_a_code(start, end, code):
    with pytest.raises(InvalidInput) as refused:
        check_range(start, end)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("start", "end", "earlier"),
    [
        (D(2025, 2, 1), D(2025, 2, 28), (D(2024, 2, 1), D(2024, 2, 29))),
        (D(2024, 2, 1), D(2024, 2, 29), (D(2023, 2, 1), D(2023, 2, 28))),
        (D(2024, 2, 29), D(2024, 2, 29), (D(2023, 2, 28), D(2023, 2, 28))),
        (D(2024, 2, 10), D(2024, 2, 20), (D(2023, 2, 10), D(2023, 2, 20))),
        (D(2025, 1, 1), D(2025, 12, 31), (D(2024, 1, 1), D(2024, 12, 31))),
        (D(2025, 3, 15), D(2025, 4, 30), (D(2024, 3, 15), D(2024, 4, 30))),
    ],
)
def test_the_same_period_a_year_earlier_handles_leap_days(start, end, earlier):
    assert year_earlier(start, end) == earlier


def test_change_and_rates_in_percent():
    assert change_percent(102, 75) == 36.0
    assert change_percent(3, 0) is None
    assert change_percent(0, 4) == -100.0
    assert percent(1, 3) == 33.3 and percent(0, 0) is None


@pytest.mark.parametrize(
    ("start", "end", "whole", "outside"),
    [
        (D(2025, 1, 1), D(2025, 12, 31), (D(2025, 1, 1), D(2025, 12, 31)), []),
        (
            D(2025, 1, 15),
            D(2025, 3, 10),
            (D(2025, 2, 1), D(2025, 2, 28)),
            [(D(2025, 1, 15), D(2025, 1, 31)), (D(2025, 3, 1), D(2025, 3, 10))],
        ),
        (D(2025, 1, 15), D(2025, 1, 20), None, [(D(2025, 1, 15), D(2025, 1, 20))]),
        (D(2024, 2, 1), D(2024, 2, 29), (D(2024, 2, 1), D(2024, 2, 29)), []),
        (D(2024, 2, 1), D(2024, 2, 28), None, [(D(2024, 2, 1), D(2024, 2, 28))]),
    ],
)
def test_whole_months_and_the_days_outside_them(start, end, whole, outside):
    assert whole_months(start, end) == whole
    assert _outside((start, end), whole) == outside
