"""Repeat-report candidates 重复举报候选 shown to the clerk, scored by `domain.repeats`.

Intake only decides which index rows may be a first report (accepted, in handling or
concluded, registered no later than this one, anywhere in the same province) and adds
what the clerk sees of each candidate, its holder included; names, units and categories
are compared and scored by the domain rules (width folding, traditional→simplified
through the injected normaliser). Nothing is merged: the clerk links a repeat explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.petition import Stage
from domain.repeats import PersonKey, RepeatProbe, TextNormaliser, find_repeat_candidates
from domain.vocabulary import ProblemCategory

_FIRST_STAGES = Stage.HANDLED
_MAX_SHOWN = 20


@dataclass(frozen=True)
class Candidate:
    """An earlier case that may be the first report of the same matter."""

    case_id: str
    registration_number: str
    organ_code: str
    summary: str
    stage: str
    score: float
    reason_zh: str
    reason_en: str
    # Who holds the case now 当前持有机关, as intake knows it from routing.events.
    holder_organ: str = ""
    holder_organ_name: str = ""
    holder_office: str = ""


def _categories(values: Iterable[Any]) -> frozenset[ProblemCategory]:
    found = set()
    for value in values:
        try:
            found.add(ProblemCategory(value))
        except ValueError:  # pragma: no cover - categories are checked on registration
            continue
    return frozenset(found)


def to_probe(row: Mapping[str, Any]) -> RepeatProbe:
    """An index row as the domain's repeat matching sees it."""
    return RepeatProbe(
        case_id=row["case_id"],
        persons=tuple(
            PersonKey(str(p.get("name") or ""), str(p.get("unit") or "")) for p in row["persons"]
        ),
        categories=_categories(row["categories"]),
    )


def candidates(
    petition: Mapping[str, Any],
    others: Iterable[Mapping[str, Any]],
    min_score: float,
    normaliser: TextNormaliser | None = None,
) -> list[Candidate]:
    """Earlier accepted first cases the domain rules match to `petition`, best first."""
    eligible = {
        other["case_id"]: other
        for other in others
        if other["case_id"] != petition["case_id"]
        and other["stage"] in _FIRST_STAGES
        and other["registered_at"] <= petition["registered_at"]
    }
    found = find_repeat_candidates(
        to_probe(petition),
        (to_probe(row) for row in eligible.values()),
        normaliser=normaliser,
        min_score=min_score,
    )
    shown = [
        Candidate(
            case_id=c.case_id,
            registration_number=eligible[c.case_id]["registration_number"],
            organ_code=eligible[c.case_id]["organ_code"],
            summary=eligible[c.case_id]["summary"],
            stage=eligible[c.case_id]["stage"],
            score=c.score,
            reason_zh=c.reason_zh,
            reason_en=c.reason_en,
        )
        for c in found
    ]
    shown.sort(key=lambda c: (-c.score, c.registration_number))
    return shown[:_MAX_SHOWN]
