"""The score sheet of 一案一评: five dimensions, their items and points, adding up to 100.

Configurable (`evaluation.dimensions` in supervision.yaml); the built-in sheet follows the
five dimensions of the 嵊州 practice. A lost point is recorded per item, and every item
that lost points becomes an entry of the negative-score list 负分问题清单.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidInput
from domain.vocabulary import EvaluationDimension

__all__ = ["ScoreItem", "ScoreSheet"]

TOTAL = 100


@dataclass(frozen=True)
class ScoreItem:
    """One scored item 评分项 of a dimension, worth `points`."""

    code: str
    dimension: str
    label_zh: str
    points: int


def _bad(zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput("score_sheet_invalid", f"评分表无效:{zh}", f"Invalid score sheet: {en}",
                        **details)


_DEFAULT: dict[str, dict[str, tuple[str, int]]] = {
    "responsibility": {"owner_clear": ("责任主体明确、按时签收", 10),
                       "leader_signed": ("领导批办落实", 10)},
    "procedure": {"registered_fully": ("登记要素齐全", 10),
                  "time_limits_kept": ("在规定时限内办理", 10)},
    "investigation": {"facts_verified": ("调查核实充分", 15),
                      "evidence_complete": ("证据材料完整", 10)},
    "disposal": {"disposal_fitting": ("处置方式恰当", 10),
                 "outcome_grounded": ("处理结论有据", 10)},
    "reply_feedback": {"reply_in_time": ("按时答复反馈", 10),
                       "reply_clear": ("答复内容清楚、群众认可", 5)},
}


class ScoreSheet:
    """The items of each dimension and their points; validated to add up to 100."""

    def __init__(self, items: list[ScoreItem], version: str = "builtin") -> None:
        self.version = version
        self.items = {item.code: item for item in items}
        if len(self.items) != len(items):
            raise _bad("评分项代码重复", "item codes repeat")
        dimensions = {item.dimension for item in items}
        expected = {d.value for d in EvaluationDimension}
        if dimensions != expected:
            raise _bad("须覆盖五个维度", "the five dimensions must each have items",
                       missing=sorted(expected - dimensions), unknown=sorted(dimensions - expected))
        total = sum(item.points for item in items)
        if total != TOTAL:
            raise _bad(f"各项分值合计须为{TOTAL},实为{total}",
                       f"the points must add up to {TOTAL}, not {total}", total=total)

    @classmethod
    def default(cls) -> ScoreSheet:
        return cls([ScoreItem(code, dim, zh, pts) for dim, items in _DEFAULT.items()
                    for code, (zh, pts) in items.items()])

    @classmethod
    def from_mapping(cls, data: Any, version: str = "configured") -> ScoreSheet:
        """From `{dimension: {item_code: {zh, points}}}` (plain data from YAML)."""
        if not isinstance(data, Mapping):
            raise _bad("须为键值结构", "must be a mapping")
        items = []
        for dimension, entries in data.items():
            if not isinstance(entries, Mapping) or not entries:
                raise _bad(f"维度 {dimension} 须列出评分项", f"{dimension} must list items")
            for code, entry in entries.items():
                points = entry.get("points") if isinstance(entry, Mapping) else None
                label = entry.get("zh") if isinstance(entry, Mapping) else None
                if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
                    raise _bad(f"{code} 的分值须为正整数", f"{code} needs positive points")
                if not isinstance(label, str) or not label.strip():
                    raise _bad(f"{code} 须有中文名称", f"{code} needs a zh label")
                items.append(ScoreItem(str(code), str(dimension), label.strip(), points))
        return cls(items, version)

    def weights(self) -> dict[str, int]:
        """The weight of each dimension: the sum of its items' points."""
        weights: dict[str, int] = {}
        for item in self.items.values():
            weights[item.dimension] = weights.get(item.dimension, 0) + item.points
        return weights

    def score(self, lost: Mapping[str, Any]) -> tuple[int, dict[str, int]]:
        """The total score and the points lost per item, checked against the sheet."""
        checked: dict[str, int] = {}
        for code, points in lost.items():
            item = self.items.get(code)
            if item is None:
                raise InvalidInput("score_item_unknown", f"评分项“{code}”不存在",
                                   f"No score item {code!r}", item=str(code))
            if isinstance(points, bool) or not isinstance(points, int) or not (
                0 <= points <= item.points
            ):
                raise InvalidInput("score_points_invalid",
                                   f"“{code}”扣分须为 0 到 {item.points} 的整数",
                                   f"Points lost on {code!r} must be 0 to {item.points}",
                                   item=code)
            if points:
                checked[code] = points
        return TOTAL - sum(checked.values()), checked

    def as_list(self) -> list[dict[str, Any]]:
        return [{"code": i.code, "dimension": i.dimension, "zh": i.label_zh, "points": i.points}
                for i in self.items.values()]
