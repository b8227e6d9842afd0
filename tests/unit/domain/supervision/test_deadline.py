"""CaseDeadline: opened, met (how late), cancelled, warned once per colour, recomputed,
extended with a leader, suspended and resumed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from domain.calendar import WorkingCalendar
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.guards import CHINA_TZ
from domain.rules import DeadlineKind, Rules
from domain.supervision.deadline import CaseDeadline, DeadlineStatus
from domain.supervision.keys import deadline_id
from tests.actors import staff

CAL = WorkingCalendar.default()
RULES = Rules.default()
AT = datetime(2026, 9, 20, 10, tzinfo=CHINA_TZ)
CASE = "6f0c2d2e-0000-4000-8000-000000000001"
LEADER = staff("张书记", "620102", "supervision", "leader")
HANDLER = staff("李承办", "620102", "supervision", "handler")


def opened(kind: DeadlineKind = DeadlineKind.ACCEPTANCE_NOTICE, start: date = date(2026, 9, 20),
           **kw) -> CaseDeadline:
    return CaseDeadline.open(CASE, kind, start, responsible_organ="620102", calendar=CAL,
                             rules=RULES, at=AT, actor="supervision", **kw)


def test_the_acceptance_notice_counts_fifteen_working_days_across_national_day() -> None:
    d = opened()
    # 2026-09-20 is a Sunday; National Day (Oct 1-7) is off, so the 15th working day is Oct 16.
    assert d.due == date(2026, 10, 16)
    assert d.id == deadline_id(CASE, "acceptance_notice")
    assert not d.provisional and d.calendar_version == CAL.version
    assert d.rules_version == RULES.version and d.status == DeadlineStatus.OPEN


def test_met_late_records_how_many_working_days_late_and_only_once() -> None:
    d = opened()
    assert d.meet(date(2026, 10, 20), CAL, at=AT, actor="x")
    assert (d.status, d.days_late, d.met_on) == ("met", 2, date(2026, 10, 20))
    assert not d.meet(date(2026, 10, 21), CAL, at=AT, actor="x")
    on_time = opened()
    on_time.meet(date(2026, 10, 1), CAL, at=AT, actor="x")
    assert on_time.days_late == 0


def test_cancel_closes_and_a_closed_deadline_refuses_warnings() -> None:
    d = opened()
    assert d.cancel("已分流", at=AT, actor="x") and not d.cancel("again", at=AT, actor="x")
    with pytest.raises(Conflict) as closed:
        d.warn("red", date(2026, 11, 1), at=AT, actor="x")
    assert closed.value.code == "deadline_closed"
    assert d.warning_due(date(2026, 12, 1), CAL, RULES) is None


def test_warnings_fire_yellow_then_red_each_once() -> None:
    d = opened()
    assert d.warning_due(date(2026, 9, 21), CAL, RULES) is None
    assert d.warning_due(date(2026, 10, 10), CAL, RULES) == "yellow"
    d.warn("yellow", date(2026, 10, 10), at=AT, actor="s")
    assert d.warning_due(date(2026, 10, 12), CAL, RULES) is None
    assert d.warning_due(date(2026, 10, 17), CAL, RULES) == "red"
    d.warn("red", date(2026, 10, 17), at=AT, actor="s")
    assert d.warning_due(date(2026, 10, 30), CAL, RULES) is None
    with pytest.raises(Conflict) as twice:
        d.warn("red", date(2026, 10, 18), at=AT, actor="s")
    assert twice.value.code == "warning_already_given"
    with pytest.raises(InvalidInput) as bad:
        d.warn("green", date(2026, 10, 18), at=AT, actor="s")
    assert bad.value.code == "warning_level_invalid"
    assert d.warnings == {"yellow": "2026-10-10", "red": "2026-10-17"}


def test_an_extension_needs_a_leader_a_reason_and_sane_days() -> None:
    d = opened()
    with pytest.raises(Forbidden):
        d.extend(5, "案情复杂", HANDLER, CAL, RULES, at=AT)
    for bad in (0, -1, 251, True, "5"):
        with pytest.raises(InvalidInput):
            d.extend(bad, "案情复杂", LEADER, CAL, RULES, at=AT)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        d.extend(5, "  ", LEADER, CAL, RULES, at=AT)
    d.extend(5, "案情复杂", LEADER, CAL, RULES, at=AT)
    assert d.due == CAL.add_working_days(date(2026, 9, 20), 20).date
    assert d.extensions == [{"days": 5, "reason": "案情复杂", "approved_by": "张书记"}]


def test_suspension_stops_the_clock_and_resumption_counts_what_was_left() -> None:
    d = opened()
    d.suspend(date(2026, 9, 25), "等待外调材料", at=AT, actor=HANDLER)
    assert not d.is_running and d.warning_due(date(2026, 12, 1), CAL, RULES) is None
    with pytest.raises(Conflict):
        d.suspend(date(2026, 9, 26), "again", at=AT, actor=HANDLER)
    with pytest.raises(InvalidInput):
        d.resume(date(2026, 9, 24), CAL, RULES, at=AT, actor=HANDLER)
    d.resume(date(2026, 10, 12), CAL, RULES, at=AT, actor=HANDLER)
    used = CAL.working_days_between(date(2026, 9, 20), date(2026, 9, 25))
    assert d.due == CAL.add_working_days(date(2026, 10, 12), 15 - used).date
    with pytest.raises(Conflict) as not_suspended:
        d.resume(date(2026, 10, 13), CAL, RULES, at=AT, actor=HANDLER)
    assert not_suspended.value.code == "deadline_not_suspended"
    assert [h["event"] for h in d.as_dict()["history"]] == ["suspended", "resumed"]


def test_a_provisional_deadline_is_recomputed_once_the_year_is_known() -> None:
    weekends = WorkingCalendar.weekends_only()
    d = CaseDeadline.open(CASE, "handling", date(2027, 9, 20), responsible_organ="620102",
                          calendar=weekends, rules=RULES, at=AT, actor="s", ref="t1")
    assert d.provisional
    assert not d.recompute(weekends, RULES, at=AT, actor="s")
    known = WorkingCalendar.default({2027: {"holidays": ["2027-10-01", "2027-10-04",
                                                         "2027-10-05"], "workdays": []}})
    before = d.due
    assert d.recompute(known, RULES, at=AT, actor="s")
    assert d.due == known.add_working_days(date(2027, 9, 20), 60).date
    assert d.due > before and d.calendar_version == known.version
    assert not d.recompute(known, RULES, at=AT, actor="s")


def test_calendar_day_rectification_and_an_unknown_kind() -> None:
    d = opened(DeadlineKind.RECTIFICATION, date(2026, 9, 30), ref="item")
    assert d.due == date(2026, 10, 15) and not d.provisional
    with pytest.raises(InvalidInput):
        opened("no_such_kind")  # type: ignore[arg-type]


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInput) as naive:
        CaseDeadline.open(CASE, "handling", date(2026, 1, 5), responsible_organ="620102",
                          calendar=CAL, rules=RULES, at=datetime(2026, 1, 5), actor="s")
    assert naive.value.code == "datetime_without_timezone"


def test_as_dict_and_level_on() -> None:
    d = opened()
    data = d.as_dict()
    assert data["due"] == "2026-10-16" and data["kind"] == "acceptance_notice"
    assert d.level_on(AT.date() + timedelta(days=40), CAL, RULES).value == "red"


def test_a_corrected_receipt_moves_an_untouched_deadline_only() -> None:
    d = opened()
    assert not d.rebase(date(2026, 9, 20), CAL, RULES, "same", at=AT, actor="s")
    assert d.rebase(date(2026, 9, 14), CAL, RULES, "更正收件时间", at=AT, actor="s")
    assert d.due == CAL.add_working_days(date(2026, 9, 14), 15).date
    assert d.opened_on == date(2026, 9, 14)
    d.suspend(date(2026, 9, 20), "等待", at=AT, actor=HANDLER)
    assert not d.rebase(date(2026, 9, 10), CAL, RULES, "again", at=AT, actor="s")
