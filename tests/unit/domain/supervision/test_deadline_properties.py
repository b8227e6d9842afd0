"""Properties of deadlines: never on a day off; adding and counting agree; a provisional
deadline becomes exact once its year is published, and replaying it gives the same dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from eventsourcing.application import Application
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WorkingCalendar
from domain.guards import CHINA_TZ
from domain.rules import DeadlineKind, Rules
from domain.supervision.deadline import CaseDeadline

CAL = WorkingCalendar.default()
RULES = Rules.default()
AT = datetime(2026, 12, 1, 9, tzinfo=CHINA_TZ)
KINDS = [k for k in DeadlineKind if k is not DeadlineKind.RECTIFICATION]
starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31))


@given(starts, st.sampled_from(KINDS), st.integers(1, 250))
def test_a_deadline_never_falls_on_a_day_off(start, kind, days) -> None:
    d = CaseDeadline.open("c", kind, start, responsible_organ="62", calendar=CAL, rules=RULES,
                          at=AT, actor="s", days=days)
    assert CAL.is_working_day(d.due)
    assert d.due > start


@given(starts, st.integers(0, 400))
def test_adding_and_counting_working_days_agree(start, days) -> None:
    due = CAL.add_working_days(start, days).date
    assert CAL.working_days_between(start, due) == days
    if days:
        assert CAL.working_days_between(start, due - timedelta(days=1)) == days - 1


def _schedule_2027(data: st.DataObject) -> dict[str, list[str]]:
    year = [date(2027, 1, 1) + timedelta(days=n) for n in range(365)]
    weekdays = [d for d in year if d.weekday() < 5]
    weekends = [d for d in year if d.weekday() >= 5]
    holidays = data.draw(st.sets(st.sampled_from(weekdays), max_size=20))
    workdays = data.draw(st.sets(st.sampled_from(weekends), max_size=6))
    return {"holidays": sorted(d.isoformat() for d in holidays),
            "workdays": sorted(d.isoformat() for d in workdays)}


@settings(max_examples=40, deadline=None)
@given(st.data(), st.dates(min_value=date(2026, 10, 1), max_value=date(2027, 6, 30)),
       st.integers(1, 120))
def test_a_provisional_deadline_becomes_exact_and_replays_the_same(data, start, days) -> None:
    d = CaseDeadline.open("c", "handling", start, responsible_organ="62", calendar=CAL,
                          rules=RULES, at=AT, actor="s", days=days)
    assert d.provisional == (d.due.year == 2027 or start.year == 2027)
    published = WorkingCalendar.default({2027: _schedule_2027(data)})
    changed = d.recompute(published, RULES, at=AT, actor="s")
    assert changed == CAL.is_provisional(start, CAL.add_working_days(start, days).date)
    assert not d.provisional
    assert d.due == published.add_working_days(start, days).date
    assert published.is_working_day(d.due)
    app: Application = Application()
    app.save(d)
    replayed = app.repository.get(d.id)
    assert (replayed.due, replayed.provisional, replayed.calendar_version) == (
        d.due, d.provisional, d.calendar_version)
    assert replayed.as_dict()["history"] == d.as_dict()["history"]
