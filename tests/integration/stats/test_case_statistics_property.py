"""caseStatistics against a brute-force recount of a random history of 10,000 cases across
the demo tree: every answer, parent = children + own, and year on year across a leap day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.reference_data import load_org_tree
from services.stats.application import StatsApplication

from .history import CHINA, Case, HistoryBuilder
from .recount import VALUES, recount

pytestmark = pytest.mark.integration

TREE = load_org_tree()
ORGANS = [organ.code for organ in TREE.organs()]
FIRST_DAY = dt.date(2023, 1, 1)
DAYS = 3 * 365 + 1  # 2023 to 2025, with 29 February 2024


@pytest.fixture(scope="module")
def history() -> list[Case]:
    builder = HistoryBuilder(TREE, seed=2024)
    start = dt.datetime(2023, 1, 1, tzinfo=CHINA)
    days = sorted(builder.random.randrange(DAYS) for _ in range(9_900))
    cases = [builder.case(start + dt.timedelta(days=day), 1) for day in days]
    leap_day = dt.datetime(2024, 2, 29, tzinfo=CHINA)
    cases += [builder.case(leap_day, 1) for _ in range(100)]
    return cases


@pytest.fixture(scope="module")
def stats(database_url: str, history: list[Case]) -> Iterator[StatsApplication]:
    import uuid

    application = StatsApplication(database_url, schema=f"t_{uuid.uuid4().hex[:12]}", tree=TREE)
    envelopes = [envelope for case in history for envelope in case.events]
    assert application.load(envelopes, {}) == len(envelopes)
    yield application
    application.close()


def depth_of(organ: str) -> int:
    return len(TREE.ancestors(organ)) + 1


def check(stats: StatsApplication, history: list[Case], organ, start, end, dims, as_of=None):
    answer = stats.case_statistics(organ, start, end, dims, as_of)
    expected = recount(history, organ, depth_of(organ), start, end, dims, as_of)
    assert (answer["previousFrom"], answer["previousTo"]) == (
        expected["previousFrom"],
        expected["previousTo"],
    )
    assert answer["total"] == expected["total"]
    assert answer["visitors"] == expected["visitors"]
    assert answer["previousTotal"] == expected["previousTotal"]
    got = {
        tuple(g["keys"]): (g["count"], g["visitors"], g["previousCount"]) for g in answer["groups"]
    }
    assert got == expected["groups"]
    rates = {name: (r["numerator"], r["denominator"]) for name, r in answer["rates"].items()}
    assert rates == expected["rates"]
    return answer


dimension_lists = st.lists(st.sampled_from(sorted(VALUES)), max_size=3, unique=True)
moments = st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2026, 6, 30)).map(
    lambda moment: moment.replace(tzinfo=CHINA)
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    organ=st.sampled_from(ORGANS),
    start=st.dates(min_value=FIRST_DAY, max_value=dt.date(2026, 1, 31)),
    span=st.integers(min_value=0, max_value=800),
    dims=dimension_lists,
    as_of=st.none() | moments,
)
def test_every_answer_equals_a_brute_force_recount(stats, history, organ, start, span, dims, as_of):
    check(stats, history, organ, start, start + dt.timedelta(days=span), dims, as_of)


@pytest.mark.parametrize("organ", ["62", "6201", "620102", "33", "330683", "15"])
def test_a_parent_is_the_sum_of_its_children_and_its_own(stats, history, organ):
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    answer = check(stats, history, organ, start, end, ["SUBORDINATE"])
    by_child = {g["keys"][0]: g for g in answer["groups"]}
    assert sum(g["count"] for g in by_child.values()) == answer["total"] > 0
    assert sum(g["visitors"] for g in by_child.values()) == answer["visitors"]
    children = [child.code for child in TREE.children(organ)]
    assert set(by_child) <= {organ, *children}
    for child in children:
        figure = stats.case_statistics(child, start, end, [])
        assert by_child.get(child, {"count": 0})["count"] == figure["total"]
        assert by_child.get(child, {"previousCount": 0})["previousCount"] == figure["previousTotal"]


def test_year_on_year_across_a_leap_day(stats, history):
    # February 2025 against the whole of February 2024, 29th included, and back again.
    feb_2025 = check(stats, history, "62", dt.date(2025, 2, 1), dt.date(2025, 2, 28), ["MONTH"])
    assert (feb_2025["previousFrom"], feb_2025["previousTo"]) == (
        dt.date(2024, 2, 1),
        dt.date(2024, 2, 29),
    )
    feb_2024 = check(stats, history, "62", dt.date(2024, 2, 1), dt.date(2024, 2, 29), ["MONTH"])
    assert feb_2025["previousTotal"] == feb_2024["total"]
    assert feb_2024["previousTo"] == dt.date(2023, 2, 28)
    leap = [c for c in history if c.received_at.date() == dt.date(2024, 2, 29)]
    in_gansu = [c for c in leap if c.organ.startswith("62")]
    assert in_gansu, "the history must hold reports from the leap day"
    only_29th = stats.case_statistics("62", dt.date(2024, 2, 29), dt.date(2024, 2, 29), [])
    assert only_29th["total"] == len(in_gansu)
    assert only_29th["previousFrom"] == only_29th["previousTo"] == dt.date(2023, 2, 28)
    # 2024-02-01..2025-01-31 is compared with 2023-02-01..2024-01-31.
    year = check(stats, history, "62", dt.date(2024, 2, 1), dt.date(2025, 1, 31), ["MONTH"])
    months = {g["keys"][0]: g for g in year["groups"]}
    assert months["2024-02"]["count"] == feb_2024["total"]
    assert (
        months["2025-01"]["previousCount"]
        == check(stats, history, "62", dt.date(2024, 1, 1), dt.date(2024, 1, 31), [])["total"]
    )
