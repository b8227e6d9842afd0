"""Repeat-report candidates 重复举报候选 shown to the clerk.

A private stand-in until `domain/rules.py` offers repeat matching: same reported person
(name, and unit when both give one) scores 0.6, a matching unit 0.1 more, shared problem
categories up to 0.3. Only first cases that were accepted (in handling or concluded) can
be repeated; candidates below `min_score` are not shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.petition import Stage

_FIRST_STAGES = (Stage.ACCEPTED, Stage.IN_HANDLING, Stage.CONCLUDED)


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


def _key(text: Any) -> str:
    return "".join(str(text or "").split())


def score(petition: Mapping[str, Any], other: Mapping[str, Any]) -> tuple[float, str, str] | None:
    """How likely `other` is the first report of what `petition` says, with the reason."""
    best: tuple[float, str] | None = None
    for mine in petition["persons"]:
        for theirs in other["persons"]:
            if not _key(mine["name"]) or _key(mine["name"]) != _key(theirs["name"]):
                continue
            units = _key(mine.get("unit")), _key(theirs.get("unit"))
            if all(units) and units[0] != units[1]:
                continue
            points = 0.7 if all(units) else 0.6
            if best is None or points > best[0]:
                best = (points, theirs["name"])
    if best is None:
        return None
    points, name = best
    mine_c, theirs_c = set(petition["categories"]), set(other["categories"])
    shared = mine_c & theirs_c
    if mine_c | theirs_c:
        points += 0.3 * len(shared) / len(mine_c | theirs_c)
    reason_zh = f"被反映人“{name}”相同" + ("且问题类别相同" if shared else "")
    reason_en = f"Same reported person {name}" + (" and shared problem category" if shared else "")
    return round(points, 3), reason_zh, reason_en


def candidates(
    petition: Mapping[str, Any], others: Iterable[Mapping[str, Any]], min_score: float
) -> list[Candidate]:
    """Earlier accepted first cases matching `petition`, best first."""
    found = []
    for other in others:
        if other["case_id"] == petition["case_id"] or other["stage"] not in _FIRST_STAGES:
            continue
        if other["registered_at"] > petition["registered_at"]:
            continue
        scored = score(petition, other)
        if scored is None or scored[0] < min_score:
            continue
        found.append(
            Candidate(
                case_id=other["case_id"],
                registration_number=other["registration_number"],
                organ_code=other["organ_code"],
                summary=other["summary"],
                stage=other["stage"],
                score=scored[0],
                reason_zh=scored[1],
                reason_en=scored[2],
            )
        )
    found.sort(key=lambda c: (-c.score, c.registration_number))
    return found[:20]
