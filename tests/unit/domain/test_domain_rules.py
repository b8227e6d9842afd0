"""Rules: defaults, parsing of the configuration, deadlines and warning colours."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from domain.calendar import Deadline, WorkingCalendar
from domain.errors import InvalidInput
from domain.rules import DeadlineKind, Rules
from domain.vocabulary import ConductPeriod, EvaluationGrade, WarningLevel

CAL = WorkingCalendar.default()


def test_defaults() -> None:
    rules = Rules.default()
    assert (rules.acceptance_notice_days, rules.result_feedback_days) == (15, 15)
    assert rules.level_transfer_days == 5 and rules.handling_days == 60
    assert rules.rectification_days == 15 and not rules.rectification_in_working_days
    assert rules.yellow_fraction == 0.7 and rules.conduct_cutoff == date(2017, 10, 18)
    assert rules.version
    assert [rules.days_for(k) for k in DeadlineKind] == [15, 15, 5, 60, 15]


def test_from_mapping_nested_and_round_trip() -> None:
    rules = Rules.from_mapping(
        {
            "version": " gansu-2024 ",
            "deadlines": {
                "handling": 90,
                "rectification": 10,
                "rectification_in_working_days": True,
            },
            "warnings": {"yellow_days_before": 0, "yellow_fraction": None},
            "conduct_cutoff": "2012-12-04",
            "evaluation": {"excellent_score": 95, "pass_score": 60},
            "repeats": {"min_score": 0.7},
            "level_transfer_days": 7,
        }
    )
    assert rules.version == "gansu-2024" and rules.handling_days == 90
    assert rules.level_transfer_days == 7 and rules.rectification_in_working_days
    assert rules.yellow_days_before == 0 and rules.yellow_fraction is None
    assert rules.conduct_cutoff == date(2012, 12, 4) and rules.repeat_min_score == 0.7
    assert Rules.from_mapping(rules.to_mapping()) == rules
    assert Rules.from_mapping(
        {"version": "x", "conduct_cutoff": date(2020, 1, 1)}
    ).conduct_cutoff == date(2020, 1, 1)
    assert Rules.from_mapping(
        {"version": "x", "conduct_cutoff": datetime(2020, 1, 1, 5)}
    ).conduct_cutoff == date(2020, 1, 1)
    assert (
        Rules.from_mapping(
            {"version": "x", "warnings": {"yellow_days_before": None}}
        ).yellow_days_before
        is None
    )


@pytest.mark.parametrize(
    "data, setting",
    [
        ([], "rules"),
        ({}, "version"),
        ({"version": ""}, "version"),
        ({"version": "x", "surprise": 1}, "surprise"),
        ({"version": "x", "deadlines": {"handlin": 5}}, "deadlines.handlin"),
        ({"version": "x", "deadlines": [1]}, "deadlines"),
        ({"version": "x", "deadlines": {"handling": 0}}, "handling_days"),
        ({"version": "x", "deadlines": {"handling": "60"}}, "handling_days"),
        ({"version": "x", "deadlines": {"handling": True}}, "handling_days"),
        (
            {"version": "x", "deadlines": {"rectification_in_working_days": "yes"}},
            "rectification_in_working_days",
        ),
        ({"version": "x", "warnings": {"yellow_days_before": -1}}, "yellow_days_before"),
        ({"version": "x", "warnings": {"yellow_fraction": 1.5}}, "yellow_fraction"),
        ({"version": "x", "warnings": {"yellow_fraction": 0}}, "yellow_fraction"),
        ({"version": "x", "conduct_cutoff": "19th congress"}, "conduct_cutoff"),
        ({"version": "x", "conduct_cutoff": 2017}, "conduct_cutoff"),
        ({"version": "x", "evaluation": {"pass_score": 120}}, "pass_score"),
        ({"version": "x", "evaluation": {"pass_score": 95}}, "pass_score"),
        ({"version": "x", "repeats": {"min_score": "high"}}, "repeat_min_score"),
    ],
)
def test_bad_configuration_is_refused(data: Any, setting: str) -> None:
    with pytest.raises(InvalidInput) as err:
        Rules.from_mapping(data)
    assert err.value.code == "rules_invalid"
    assert err.value.details["setting"] == setting


def test_deadlines_in_working_and_calendar_days() -> None:
    rules = Rules.default()
    notice = rules.deadline(DeadlineKind.ACCEPTANCE_NOTICE, date(2026, 9, 18), CAL)
    assert notice.date == date(2026, 10, 15) and notice.calendar_version == CAL.version
    # 10-08, 10-09, the working Saturday 10-10, 10-12, 10-13.
    assert rules.deadline(DeadlineKind.LEVEL_TRANSFER, date(2026, 9, 30), CAL).date == date(
        2026, 10, 13
    )
    rect = rules.deadline(DeadlineKind.RECTIFICATION, date(2026, 9, 30), CAL)
    assert rect.date == date(2026, 10, 15) and not rect.provisional and rect.start is None
    assert rules.deadline(DeadlineKind.HANDLING, date(2026, 9, 18), CAL, days=3).date == date(
        2026, 9, 22
    )
    working = Rules.from_mapping(
        {"version": "w", "deadlines": {"rectification_in_working_days": True}}
    )
    assert working.deadline(DeadlineKind.RECTIFICATION, date(2026, 9, 18), CAL).date == date(
        2026, 10, 15
    )
    with pytest.raises(InvalidInput):
        rules.deadline(DeadlineKind.RECTIFICATION, date(2026, 9, 18), CAL, days=-1)


def test_warning_levels() -> None:
    rules = Rules.default()
    start = date(2026, 3, 2)  # Monday; 20 working days → 2026-03-30
    due = rules.deadline(DeadlineKind.HANDLING, start, CAL, days=20)
    assert due.date == date(2026, 3, 30)
    assert rules.warning_level(CAL, start, due, date(2026, 3, 3)) is WarningLevel.GREEN
    # 14 of 20 used (70%): yellow by fraction, with 6 left.
    assert rules.warning_level(CAL, start, due, date(2026, 3, 19)) is WarningLevel.GREEN
    assert rules.warning_level(CAL, start, due, date(2026, 3, 20)) is WarningLevel.YELLOW
    assert rules.warning_level(CAL, start, due.date, date(2026, 3, 30)) is WarningLevel.YELLOW
    assert rules.warning_level(CAL, start, due, date(2026, 3, 31)) is WarningLevel.RED
    only_days = Rules.from_mapping({"version": "d", "warnings": {"yellow_fraction": None}})
    assert only_days.warning_level(CAL, start, due, date(2026, 3, 20)) is WarningLevel.GREEN
    assert only_days.warning_level(CAL, start, due, date(2026, 3, 23)) is WarningLevel.YELLOW
    only_fraction = Rules.from_mapping({"version": "f", "warnings": {"yellow_days_before": None}})
    assert only_fraction.warning_level(CAL, start, due, date(2026, 3, 19)) is WarningLevel.GREEN
    assert only_fraction.warning_level(CAL, start, due, date(2026, 3, 20)) is WarningLevel.YELLOW
    same_day = Deadline(start, False, CAL.version)
    assert only_fraction.warning_level(CAL, start, same_day, start) is WarningLevel.YELLOW
    assert isinstance(rules.warning_level(CAL, start, due, start), str)


def test_conduct_period_and_evaluation_grade() -> None:
    rules = Rules.default()
    assert rules.conduct_period(date(2017, 10, 17)) is ConductPeriod.BEFORE_CUTOFF
    assert rules.conduct_period(date(2017, 10, 18)) is ConductPeriod.AFTER_CUTOFF
    assert rules.conduct_period(None) is ConductPeriod.UNKNOWN
    assert rules.evaluation_grade(90) is EvaluationGrade.EXCELLENT
    assert rules.evaluation_grade(89.5) is EvaluationGrade.PASS
    assert rules.evaluation_grade(70) is EvaluationGrade.PASS
    assert rules.evaluation_grade(69.9) is EvaluationGrade.FAIL
