"""Supervision's own configurable defaults (deploy/data/supervision.yaml).

The deadlines themselves come from `domain.rules`; this adds what only supervision uses:
when an order is reminded automatically, how long a key-field case has to close, the
default sample size and the score sheet of 一案一评.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.errors import InvalidInput
from domain.supervision.scoring import ScoreSheet

__all__ = ["SupervisionConfig"]


def _bad(setting: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput("supervision_config_invalid", f"督查配置 {setting} 无效:{zh}",
                        f"Supervision setting {setting} is invalid: {en}", setting=setting)


def _count(data: Mapping[str, Any], key: str, default: int, minimum: int = 1) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(key, f"须为不小于{minimum}的整数", f"must be an integer >= {minimum}")
    return value


@dataclass(frozen=True)
class SupervisionConfig:
    """Order reminders, key-field closure, sample size and the score sheet."""

    version: str = "builtin"
    reminder_days_before: int = 3
    key_field_closure_days: int = 60
    sample_size: int = 5
    closed_loop_fields: frozenset[str] = frozenset({"poverty_alleviation"})
    sheet: ScoreSheet = field(default_factory=ScoreSheet.default)

    @classmethod
    def from_mapping(cls, data: Any, closed_loop_fields: frozenset[str] | None = None,
                     ) -> SupervisionConfig:
        """From supervision.yaml's plain data; the closed-loop fields come from key_fields."""
        if not isinstance(data, Mapping):
            raise _bad("supervision", "须为键值结构", "must be a mapping")
        version = data.get("version")
        if not isinstance(version, str) or not version.strip():
            raise _bad("version", "须给出版本", "a version string is required")
        orders, loop, evaluation = (
            {} if data.get(key) is None else data[key]
            for key in ("orders", "key_field_loop", "evaluation")
        )
        for name, section in (("orders", orders), ("key_field_loop", loop),
                              ("evaluation", evaluation)):
            if not isinstance(section, Mapping):
                raise _bad(name, "须为键值结构", "must be a mapping")
        sheet = (ScoreSheet.from_mapping(evaluation["dimensions"], version.strip())
                 if "dimensions" in evaluation else ScoreSheet.default())
        return cls(
            version=version.strip(),
            reminder_days_before=_count(orders, "reminder_days_before", 3, 0),
            key_field_closure_days=_count(loop, "closure_days", 60),
            sample_size=_count(evaluation, "sample_size", 5),
            closed_loop_fields=(frozenset({"poverty_alleviation"}) if closed_loop_fields is None
                                else closed_loop_fields),
            sheet=sheet,
        )


def closed_loop_fields(records: Any) -> frozenset[str]:
    """The codes of key_fields.yaml entries marked `closed_loop: true`."""
    if not isinstance(records, list):
        return frozenset()
    return frozenset(str(r["code"]) for r in records
                     if isinstance(r, Mapping) and r.get("closed_loop") is True and "code" in r)
