"""Case-quality evaluation 一案一评 of one month by one evaluating organ.

The draw records its seed and population, so anyone can draw again and get the same
sample. Each sampled case is scored once on the sheet; every item that lost points goes
on the negative-score list 负分问题清单 with a rectification deadline; the organ that
concluded the case records its rectification with evidence, the evaluator accepts or
rejects it, and an item not put right by its deadline is escalated to a duty
investigation 履职调查.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.calendar import WorkingCalendar
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.guards import aware, require_text
from domain.rules import DeadlineKind, Rules
from domain.supervision.keys import evaluation_id
from domain.supervision.sampling import draw_sample
from domain.supervision.scoring import ScoreSheet
from domain.vocabulary import Role

__all__ = ["ItemStatus", "MonthlyEvaluation"]

MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
MAX_SAMPLE = 200
SYSTEM = "supervision"


class ItemStatus:
    OPEN = "open"
    SUBMITTED = "submitted"
    RECTIFIED = "rectified"
    ESCALATED = "escalated"


def _require_evaluator(actor: Actor) -> None:
    if not (actor.has_role(Role.EVALUATOR) or actor.has_role(Role.LEADER)):
        raise Forbidden("evaluator_only", "只有评查人员可以评查", "Only an evaluator may do this")


class MonthlyEvaluation(Aggregate):
    """One month's sample, scores, negative-score items and their rectification."""

    @event("Drawn")
    def __init__(self, *, id: UUID, evaluator_organ: str, month: str,  # noqa: A002
                 organs: list[str], seed: str, size: int, population: list[dict[str, str]],
                 sample: list[str], sheet_version: str, at: datetime, organ_code: str,
                 actor: str) -> None:
        self.evaluator_organ = evaluator_organ
        self.month = month
        self.organs = list(organs)
        self.seed = seed
        self.size = size
        self.population = [dict(p) for p in population]
        self.sample = list(sample)
        self.sheet_version = sheet_version
        self.organ_of = {p["case_id"]: p["organ"] for p in population}
        self.scores: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}

    @classmethod
    def draw(cls, evaluator: Actor, month: str, organs: Sequence[str],
             population: Sequence[Mapping[str, str]], size: int, seed: str,
             sheet: ScoreSheet, *, at: datetime) -> MonthlyEvaluation:
        """Draw `size` of the month's first conclusions by `organs` (population given)."""
        _require_evaluator(evaluator)
        if not isinstance(month, str) or not MONTH.match(month):
            raise InvalidInput("month_invalid", "月份格式应为 YYYY-MM", "A month is YYYY-MM",
                               month=str(month)[:16])
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_SAMPLE:
            raise InvalidInput("sample_size_invalid", f"抽样数须为 1 到 {MAX_SAMPLE}",
                               f"The sample size must be 1 to {MAX_SAMPLE}")
        seed = require_text(seed, "seed", 100)
        chosen = sorted(set(organs))
        if not chosen:
            raise InvalidInput("organs_required", "须选择被评查机关", "Choose the organs to sample")
        outside = [o for o in chosen if not o.startswith(evaluator.organ_code)]
        if outside:
            raise Forbidden("evaluation_outside_subtree", "只能评查本级及下级机关的案件",
                            "Only organs in the evaluator's subtree can be sampled",
                            organs=outside)
        rows = sorted(({"case_id": str(p["case_id"]), "organ": str(p["organ"])}
                       for p in population), key=lambda p: p["case_id"])
        sample = draw_sample([p["case_id"] for p in rows], size, seed)
        return cls(id=evaluation_id(evaluator.organ_code, month),
                   evaluator_organ=evaluator.organ_code, month=month, organs=chosen, seed=seed,
                   size=size, population=rows, sample=sample, sheet_version=sheet.version,
                   at=aware(at), organ_code=evaluator.organ_code, actor=evaluator.name)

    # --- reading ---------------------------------------------------------------------

    def failing_cases(self) -> list[dict[str, Any]]:
        """The bulletin 通报: scored cases below the pass line."""
        return [{"case_id": c, **s} for c, s in self.scores.items() if s["grade"] == "fail"]

    def items_overdue(self, today: date) -> list[str]:
        """Items not put right whose rectification deadline has passed."""
        return [i for i, item in self.items.items()
                if item["status"] in (ItemStatus.OPEN, ItemStatus.SUBMITTED)
                and date.fromisoformat(item["due"]) < today]

    def _item(self, item_id: str) -> dict[str, Any]:
        item = self.items.get(item_id)
        if item is None:
            raise NotFound("negative_item_unknown", "负分问题不存在", "No such negative-score item",
                           item_id=item_id)
        return item

    # --- commands --------------------------------------------------------------------

    def score(self, evaluator: Actor, case_id: str, lost: Mapping[str, Any], sheet: ScoreSheet,
              rules: Rules, calendar: WorkingCalendar, on: date, *, at: datetime) -> int:
        """Score a sampled case once; every lost point becomes a negative-score item."""
        _require_evaluator(evaluator)
        if evaluator.organ_code != self.evaluator_organ:
            raise Forbidden("evaluator_organ_only", "只有抽样机关可以评分",
                            "Only the drawing organ scores its sample")
        if case_id not in self.sample:
            raise NotFound("case_not_sampled", "该案件不在本月样本中",
                           "The case is not in this month's sample", case_id=case_id)
        if case_id in self.scores:
            raise Conflict("case_already_scored", "该案件已评分", "The case is already scored")
        if sheet.version != self.sheet_version:
            raise Conflict("score_sheet_changed", "评分表已变更", "The score sheet has changed")
        total, checked = sheet.score(lost)
        due = rules.deadline(DeadlineKind.RECTIFICATION, on, calendar).date.isoformat()
        items = [{"item_id": f"{case_id}:{code}", "item": code,
                  "dimension": sheet.items[code].dimension, "points_lost": pts, "due": due}
                 for code, pts in sorted(checked.items())]
        self._scored(case_id=case_id, lost=checked, score=total,
                     grade=rules.evaluation_grade(total).value, items=items,
                     rules_version=rules.version, at=aware(at),
                     organ_code=evaluator.organ_code, actor=evaluator.name)
        return total

    def submit_rectification(self, actor: Actor, item_id: str, evidence: str, *,
                             at: datetime) -> None:
        """The organ that concluded the case records what it put right, with evidence."""
        item = self._item(item_id)
        evidence = require_text(evidence, "evidence", 2000)
        if actor.organ_code != self.organ_of.get(item["case_id"]):
            raise Forbidden("rectifying_organ_only", "只有被评查机关可以提交整改",
                            "Only the evaluated organ submits the rectification")
        if item["status"] != ItemStatus.OPEN:
            raise Conflict("item_not_open", "该问题不在待整改状态",
                           "The item is not waiting for rectification", state=item["status"])
        self._rectification_submitted(item_id=item_id, evidence=evidence, at=aware(at),
                                      organ_code=actor.organ_code, actor=actor.username)

    def review_rectification(self, evaluator: Actor, item_id: str, accept: bool,
                             reason: str | None = None, *, at: datetime) -> None:
        """The evaluator accepts the rectification, or rejects it with a reason."""
        _require_evaluator(evaluator)
        if evaluator.organ_code != self.evaluator_organ:
            raise Forbidden("evaluator_organ_only", "只有抽样机关可以审核整改",
                            "Only the drawing organ reviews rectification")
        item = self._item(item_id)
        if item["status"] != ItemStatus.SUBMITTED:
            raise Conflict("item_not_submitted", "该问题尚未提交整改",
                           "No rectification is waiting for review", state=item["status"])
        if accept:
            self._rectification_accepted(item_id=item_id, at=aware(at),
                                         organ_code=evaluator.organ_code, actor=evaluator.name)
        else:
            self._rectification_rejected(item_id=item_id,
                                         reason=require_text(reason, "reason", 2000),
                                         at=aware(at), organ_code=evaluator.organ_code,
                                         actor=evaluator.name)

    def escalate_overdue(self, today: date, *, at: datetime) -> list[str]:
        """Escalate each item past its deadline to a duty investigation 履职调查."""
        overdue = self.items_overdue(today)
        for item_id in overdue:
            self._item_escalated(item_id=item_id, on=today.isoformat(), at=aware(at),
                                 organ_code=self.evaluator_organ, actor=SYSTEM)
        return overdue

    # --- events ----------------------------------------------------------------------

    @event("Scored")
    def _scored(self, case_id: str, lost: dict[str, int], score: int, grade: str,
                items: list[dict[str, Any]], rules_version: str, at: datetime,
                organ_code: str, actor: str) -> None:
        self.scores[case_id] = {"score": score, "grade": grade, "lost": dict(lost),
                                "organ": self.organ_of.get(case_id), "scored_by": actor}
        for item in items:
            self.items[item["item_id"]] = {**item, "case_id": case_id, "status": ItemStatus.OPEN,
                                           "evidence": None, "rejections": []}

    @event("RectificationSubmitted")
    def _rectification_submitted(self, item_id: str, evidence: str, at: datetime,
                                 organ_code: str, actor: str) -> None:
        self.items[item_id].update(status=ItemStatus.SUBMITTED, evidence=evidence)

    @event("RectificationAccepted")
    def _rectification_accepted(self, item_id: str, at: datetime, organ_code: str,
                                actor: str) -> None:
        self.items[item_id]["status"] = ItemStatus.RECTIFIED

    @event("RectificationRejected")
    def _rectification_rejected(self, item_id: str, reason: str, at: datetime,
                                organ_code: str, actor: str) -> None:
        self.items[item_id]["status"] = ItemStatus.OPEN
        self.items[item_id]["rejections"].append(reason)

    @event("ItemEscalated")
    def _item_escalated(self, item_id: str, on: str, at: datetime, organ_code: str,
                        actor: str) -> None:
        self.items[item_id].update(status=ItemStatus.ESCALATED, escalated_on=on)

    def as_dict(self) -> dict[str, Any]:
        return {
            "evaluation_id": str(self.id), "evaluator_organ": self.evaluator_organ,
            "month": self.month, "organs": self.organs, "seed": self.seed, "size": self.size,
            "population": [p["case_id"] for p in self.population], "sample": self.sample,
            "sheet_version": self.sheet_version, "scores": self.scores,
            "items": list(self.items.values()), "failing": self.failing_cases(),
            "version": self.version,
        }
