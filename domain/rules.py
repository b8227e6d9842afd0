"""Configurable rules 规则参数: deadlines, warning thresholds, the conduct cut-off date.

The numbers the 2020 rules for handling accusations fix (《纪检监察机关处理检举控告工作规则》:
15 working days to tell a real-name reporter of acceptance, 15 to feed back a result, 5 to
pass a report between levels) are defaults here too, because provinces refine them. The
rest (handling deadline, warning thresholds) are configurable defaults. Every deadline
records the rules `version` it was computed under. Parsing YAML happens outside `domain/`;
`Rules.from_mapping` takes the plain data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

from domain.calendar import Deadline, WorkingCalendar
from domain.errors import InvalidInput
from domain.vocabulary import ConductPeriod, EvaluationGrade, LabelledEnum, WarningLevel

__all__ = ["DeadlineKind", "Rules", "WarningLevel"]


class DeadlineKind(LabelledEnum):
    """The deadlines the rules define 期限种类."""

    ACCEPTANCE_NOTICE = "acceptance_notice", "告知受理情况", "Tell the reporter of acceptance"
    RESULT_FEEDBACK = "result_feedback", "反馈处理结果", "Feed the result back to the reporter"
    LEVEL_TRANSFER = (
        "level_transfer",
        "转送、报送或受理转办件",
        "Pass on or accept a forwarded report",
    )
    HANDLING = "handling", "交办件办理", "Handle an assigned case"
    RECTIFICATION = "rectification", "负分问题整改", "Put right a negative-score item"


_DEFAULT_CUTOFF = date(2017, 10, 18)  # opening of the 19th Party Congress 党的十九大


@dataclass(frozen=True)
class Rules:
    """One versioned set of configurable defaults."""

    version: str = "builtin-2020.1"
    acceptance_notice_days: int = 15
    result_feedback_days: int = 15
    level_transfer_days: int = 5
    handling_days: int = 60
    # "15日内整改": calendar days unless configured otherwise.
    rectification_days: int = 15
    rectification_in_working_days: bool = False
    yellow_days_before: int | None = 5
    yellow_fraction: float | None = 0.7
    conduct_cutoff: date = _DEFAULT_CUTOFF
    excellent_score: float = 90
    pass_score: float = 70
    repeat_min_score: float = 0.5

    @classmethod
    def default(cls) -> Rules:
        return cls()

    @classmethod
    def from_mapping(cls, data: Any) -> Rules:
        """Build from plain data (nested as in deploy/data/rules.yaml); missing keys default."""
        if not isinstance(data, Mapping):
            raise _bad("rules", "配置必须是键值结构", "the configuration must be a mapping")
        flat = _flatten(data)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(flat) - known)
        if unknown:
            raise _bad(unknown[0], "未知的配置项", "unknown setting")
        if not isinstance(flat.get("version"), str) or not flat["version"].strip():
            raise _bad("version", "必须给出规则版本", "a rules version string is required")
        values: dict[str, Any] = {"version": flat["version"].strip()}
        for name in (
            "acceptance_notice_days",
            "result_feedback_days",
            "level_transfer_days",
            "handling_days",
            "rectification_days",
        ):
            if name in flat:
                values[name] = _positive_int(name, flat[name])
        if "rectification_in_working_days" in flat:
            if not isinstance(flat["rectification_in_working_days"], bool):
                raise _bad("rectification_in_working_days", "必须是布尔值", "must be true or false")
            values["rectification_in_working_days"] = flat["rectification_in_working_days"]
        if "yellow_days_before" in flat:
            raw = flat["yellow_days_before"]
            values["yellow_days_before"] = (
                None if raw is None else _int_at_least("yellow_days_before", raw, 0)
            )
        if "yellow_fraction" in flat:
            raw = flat["yellow_fraction"]
            values["yellow_fraction"] = None if raw is None else _fraction("yellow_fraction", raw)
        if "conduct_cutoff" in flat:
            values["conduct_cutoff"] = _date("conduct_cutoff", flat["conduct_cutoff"])
        for name in ("excellent_score", "pass_score"):
            if name in flat:
                values[name] = _score(name, flat[name])
        if "repeat_min_score" in flat:
            values["repeat_min_score"] = _fraction("repeat_min_score", flat["repeat_min_score"])
        rules = replace(cls(), **values)
        if rules.pass_score > rules.excellent_score:
            raise _bad("pass_score", "合格线不能高于优秀线", "must not exceed excellent_score")
        return rules

    def to_mapping(self) -> dict[str, Any]:
        """Flat plain data; `from_mapping(to_mapping())` gives the same rules."""
        data = asdict(self)
        data["conduct_cutoff"] = self.conduct_cutoff.isoformat()
        return data

    # --- deadlines -------------------------------------------------------------------

    def days_for(self, kind: DeadlineKind) -> int:
        return {
            DeadlineKind.ACCEPTANCE_NOTICE: self.acceptance_notice_days,
            DeadlineKind.RESULT_FEEDBACK: self.result_feedback_days,
            DeadlineKind.LEVEL_TRANSFER: self.level_transfer_days,
            DeadlineKind.HANDLING: self.handling_days,
            DeadlineKind.RECTIFICATION: self.rectification_days,
        }[kind]

    def counts_working_days(self, kind: DeadlineKind) -> bool:
        return kind is not DeadlineKind.RECTIFICATION or self.rectification_in_working_days

    def deadline(
        self,
        kind: DeadlineKind,
        start: date,
        calendar: WorkingCalendar,
        days: int | None = None,
    ) -> Deadline:
        """When a `kind` deadline falls for an event on `start`; `days` overrides the length."""
        # The start day never counts (see domain.calendar); a supervision order may set
        # its own length, hence `days`.
        n = self.days_for(kind) if days is None else days
        if self.counts_working_days(kind):
            return calendar.add_working_days(start, n)
        if n < 0:
            raise InvalidInput(
                "working_days_invalid", "天数不能为负", "The number of days cannot be negative"
            )
        return Deadline(
            date=start + timedelta(days=n),
            provisional=False,
            calendar_version=calendar.version,
            start=None,
            working_days=None,
        )

    def warning_level(
        self,
        calendar: WorkingCalendar,
        start: date,
        due: date | Deadline,
        today: date,
    ) -> WarningLevel:
        """Green, yellow (N working days before, or past the fraction of time) or red (overdue)."""
        # The due day itself is still on time, so red starts the day after. Time used and
        # time allowed are both counted in working days from `start`.
        due_date = due.date if isinstance(due, Deadline) else due
        if today > due_date:
            return WarningLevel.RED
        left = calendar.working_days_between(today, due_date)
        if self.yellow_days_before is not None and left <= self.yellow_days_before:
            return WarningLevel.YELLOW
        if self.yellow_fraction is not None:
            allowed = calendar.working_days_between(start, due_date)
            used = calendar.working_days_between(start, today)
            if allowed <= 0 or used >= math.ceil(self.yellow_fraction * allowed):
                return WarningLevel.YELLOW
        return WarningLevel.GREEN

    # --- other judgements ------------------------------------------------------------

    def conduct_period(self, when: date | None) -> ConductPeriod:
        """Before or after the cut-off; conduct on the cut-off day counts as after."""
        if when is None:
            return ConductPeriod.UNKNOWN
        return (
            ConductPeriod.BEFORE_CUTOFF
            if when < self.conduct_cutoff
            else (ConductPeriod.AFTER_CUTOFF)
        )

    def evaluation_grade(self, score: float) -> EvaluationGrade:
        """一案一评: at or above the excellent line is excellent, below the pass line fails."""
        if score >= self.excellent_score:
            return EvaluationGrade.EXCELLENT
        if score < self.pass_score:
            return EvaluationGrade.FAIL
        return EvaluationGrade.PASS


_SECTIONS = {
    "deadlines": {
        "acceptance_notice": "acceptance_notice_days",
        "result_feedback": "result_feedback_days",
        "level_transfer": "level_transfer_days",
        "handling": "handling_days",
        "rectification": "rectification_days",
        "rectification_in_working_days": "rectification_in_working_days",
    },
    "warnings": {
        "yellow_days_before": "yellow_days_before",
        "yellow_fraction": "yellow_fraction",
    },
    "evaluation": {"excellent_score": "excellent_score", "pass_score": "pass_score"},
    "repeats": {"min_score": "repeat_min_score"},
}


def _flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, Mapping):
                raise _bad(key, "必须是键值结构", "must be a mapping")
            for sub, sub_value in value.items():
                name = _SECTIONS[key].get(sub)
                if name is None:
                    raise _bad(f"{key}.{sub}", "未知的配置项", "unknown setting")
                flat[name] = sub_value
        else:
            flat[str(key)] = value
    return flat


def _bad(setting: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        "rules_invalid",
        f"规则配置 {setting} 无效:{zh}",
        f"Rules setting {setting} is invalid: {en}",
        setting=setting,
    )


def _int_at_least(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(name, f"必须是不小于{minimum}的整数", f"must be an integer >= {minimum}")
    return value


def _positive_int(name: str, value: Any) -> int:
    return _int_at_least(name, value, 1)


def _fraction(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise _bad(name, "必须是 0 到 1 之间的小数", "must be a number in (0, 1]")
    return float(value)


def _score(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise _bad(name, "必须是 0 到 100 之间的分数", "must be a score from 0 to 100")
    return float(value)


def _date(name: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _bad(name, "必须是日期(YYYY-MM-DD)", "must be a date (YYYY-MM-DD)")
