"""Working days: the goldens, the counting convention, provisional years, overrides."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from chinese_calendar import constants
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import Deadline, WorkingCalendar, parse_override
from domain.errors import InvalidInput

CAL = WorkingCalendar.default()
# A test schedule shaped like a State Council notice; not the real 2027 one.
OVERRIDE_2027 = {
    "year": 2027,
    "holidays": [
        "2027-01-01",
        "2027-02-05",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
        "2027-02-11",
        "2027-02-12",
    ],
    "workdays": ["2027-02-20"],
}

KNOWN_WEEKEND_WORKDAYS = sorted(d for d in constants.workdays if d.weekday() >= 5)


def test_golden_fifteen_working_days_after_2026_09_18() -> None:
    deadline = CAL.add_working_days(date(2026, 9, 18), 15)
    assert deadline == Deadline(date(2026, 10, 15), False, CAL.version, date(2026, 9, 18), 15)
    assert CAL.working_days_between(date(2026, 9, 18), date(2026, 10, 15)) == 15


def test_the_receipt_day_does_not_count() -> None:
    monday = date(2026, 3, 2)
    assert CAL.add_working_days(monday, 1).date == date(2026, 3, 3)
    assert CAL.add_working_days(monday, 0).date == monday
    assert CAL.working_days_between(monday, monday) == 0
    friday = date(2026, 3, 6)
    assert CAL.add_working_days(friday, 1).date == date(2026, 3, 9)


def test_golden_2027_is_provisional_until_its_override_is_loaded() -> None:
    start = date(2027, 1, 29)
    first = CAL.add_working_days(start, 15)
    assert first.provisional and not CAL.is_known_year(2027)
    assert first.date == date(2027, 2, 19)  # weekends only
    loaded = WorkingCalendar.default({2027: OVERRIDE_2027})
    assert loaded.version != CAL.version and loaded.version.startswith(CAL.version)
    exact = loaded.recompute(first)
    assert not exact.provisional and exact.calendar_version == loaded.version
    # Six weekdays off inside the window; the working Saturday 2027-02-20 is the first
    # of the six days that make up for them.
    assert exact.date == date(2027, 2, 26)
    assert loaded.is_working_day(date(2027, 2, 20)) and not loaded.is_working_day(date(2027, 2, 8))


def test_a_deadline_spanning_into_an_unknown_year_is_provisional() -> None:
    assert CAL.add_working_days(date(2026, 12, 1), 60).provisional
    assert not CAL.add_working_days(date(2026, 12, 1), 10).provisional
    assert not CAL.add_working_days(date(2026, 12, 31), 0).provisional
    assert CAL.is_provisional(date(2026, 12, 31), date(2027, 1, 1))
    assert not CAL.is_provisional(date(2027, 1, 1), date(2026, 12, 1))


def test_years_without_data_never_raise() -> None:
    for start in (date(1999, 5, 1), date(2031, 10, 1), date(2099, 12, 30)):
        deadline = CAL.add_working_days(start, 30)
        assert deadline.provisional
        assert CAL.working_days_between(start, deadline.date) == 30
    assert CAL.is_working_day(date(2031, 10, 1))  # a Wednesday; no holiday data


def test_package_version_and_known_years() -> None:
    assert CAL.version == f"chinesecalendar-{chinese_calendar.__version__}"
    assert CAL.is_known_year(2004) and CAL.is_known_year(2026) and not CAL.is_known_year(2003)
    assert CAL.known_years() == list(range(2004, 2027))
    assert WorkingCalendar.default({}).version == CAL.version


def test_override_version_depends_on_content() -> None:
    a = WorkingCalendar.default({2027: OVERRIDE_2027})
    b = WorkingCalendar.default({2027: {**OVERRIDE_2027, "workdays": []}})
    c = WorkingCalendar.default({2027: dict(OVERRIDE_2027)})
    assert a.version != b.version and a.version == c.version
    assert "2027" in a.version


def test_an_override_replaces_a_known_year() -> None:
    cal = WorkingCalendar.default({2026: {"holidays": [date(2026, 3, 2)], "workdays": []}})
    assert not cal.is_working_day(date(2026, 3, 2))
    assert cal.is_working_day(date(2026, 10, 8)) and cal.is_working_day(date(2026, 10, 1))
    assert not cal.is_working_day(date(2026, 10, 10))  # package's working Saturday is gone


def test_weekends_only_calendar() -> None:
    cal = WorkingCalendar.weekends_only()
    assert cal.version == "weekends-only" and not cal.is_known_year(2026)
    assert cal.is_working_day(date(2026, 10, 1))
    assert cal.add_working_days(date(2026, 9, 18), 15).provisional


def test_datetimes_are_taken_as_dates() -> None:
    assert CAL.add_working_days(datetime(2026, 9, 18, 23, 59), 15).date == date(2026, 10, 15)


def test_negative_and_bad_counts_are_refused() -> None:
    for n in (-1, 1.5, True):
        with pytest.raises(InvalidInput) as err:
            CAL.add_working_days(date(2026, 1, 5), n)  # type: ignore[arg-type]
        assert err.value.code == "working_days_invalid"


def test_between_is_antisymmetric() -> None:
    a, b = date(2026, 1, 1), date(2026, 2, 1)
    assert CAL.working_days_between(b, a) == -CAL.working_days_between(a, b)


def test_recompute_needs_start_and_length() -> None:
    with pytest.raises(InvalidInput) as err:
        CAL.recompute(Deadline(date(2026, 1, 1), False, CAL.version))
    assert err.value.code == "deadline_not_recomputable"


def test_deadline_as_dict() -> None:
    assert CAL.add_working_days(date(2026, 9, 18), 15).as_dict() == {
        "date": "2026-10-15",
        "provisional": False,
        "calendar_version": CAL.version,
        "start": "2026-09-18",
        "working_days": 15,
    }
    assert Deadline(date(2026, 1, 1), False, "v").as_dict()["start"] is None


@pytest.mark.parametrize(
    "year, data, fragment",
    [
        (2027, "not a mapping", "mapping"),
        (2027, {"year": 2028}, "2028"),
        (2027, {"holidays": "2027-01-01"}, "list"),
        (2027, {"holidays": ["2027-13-01"]}, "not a date"),
        (2027, {"holidays": [20270101]}, "not a date"),
        (2027, {"holidays": ["2028-01-01"]}, "not in that year"),
        (2027, {"holidays": ["2027-02-20"], "workdays": ["2027-02-20"]}, "both"),
        ("twenty", {}, "year"),
        (True, {}, "year"),
        (1900, {}, "year"),
    ],
)
def test_bad_overrides_are_refused(year: object, data: object, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        WorkingCalendar.default({year: data})  # type: ignore[dict-item]
    assert err.value.code == "calendar_override_invalid"
    assert fragment in err.value.message_en


def test_override_parsing_accepts_dates_datetimes_and_string_years() -> None:
    parsed = parse_override(
        "2027", {"holidays": [datetime(2027, 1, 1, 8), date(2027, 1, 2)], "workdays": None}
    )
    assert parsed.year == 2027 and parsed.holidays == {date(2027, 1, 1), date(2027, 1, 2)}
    assert parsed.workdays == frozenset()


# --- properties ----------------------------------------------------------------------

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2032, 12, 31))


@settings(max_examples=150, deadline=None)
@given(start=dates, n=st.integers(0, 400))
def test_adding_then_counting_gives_n_back(start: date, n: int) -> None:
    deadline = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, deadline.date) == n
    if n:
        assert CAL.is_working_day(deadline.date)
        assert CAL.working_days_between(start, deadline.date - timedelta(days=1)) == n - 1


@settings(max_examples=60, deadline=None)
@given(a=dates, b=dates)
def test_counting_matches_a_day_by_day_walk(a: date, b: date) -> None:
    lo, hi = sorted((a, b))
    hi = min(hi, lo + timedelta(days=400))
    walked = sum(CAL.is_working_day(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    assert CAL.working_days_between(lo, hi) == walked


@settings(max_examples=40, deadline=None)
@given(day=st.sampled_from(KNOWN_WEEKEND_WORKDAYS))
def test_adjusted_weekend_workdays_count(day: date) -> None:
    assert CAL.is_working_day(day)
    assert CAL.working_days_between(day - timedelta(days=1), day) == 1
    assert chinese_calendar.is_workday(day)


@settings(max_examples=60, deadline=None)
@given(
    weekends=st.sets(
        st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 31)).filter(
            lambda d: d.weekday() >= 5
        ),
        max_size=8,
    ),
    start=st.dates(min_value=date(2026, 12, 1), max_value=date(2027, 11, 30)),
    n=st.integers(1, 120),
)
def test_overridden_weekend_workdays_count(weekends: set[date], start: date, n: int) -> None:
    cal = WorkingCalendar.default({2027: {"workdays": sorted(weekends)}})
    base = WorkingCalendar.default({2027: {}})
    end = start + timedelta(days=n)
    inside = sum(1 for d in weekends if start < d <= end)
    assert cal.working_days_between(start, end) == base.working_days_between(start, end) + inside
    deadline = cal.add_working_days(start, n)
    assert cal.working_days_between(start, deadline.date) == n
    assert deadline.provisional is (deadline.date.year > 2027)


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30)), n=st.integers(0, 80)
)
def test_agrees_with_chinese_calendar(start: date, n: int) -> None:
    deadline = CAL.add_working_days(start, n)
    if deadline.date.year <= 2026:
        expected = chinese_calendar.get_workdays(start + timedelta(days=1), deadline.date)
        assert len(expected) == n
        assert not deadline.provisional
