"""The parts of a case fact 案件事实 and what handlers may use to compute them.

A case's fact is kept in one part per source topic: intake's (what came in and how it was
screened), routing's (who holds it and how it ended) and supervision's (deadlines and
warnings). Each part changes only through its own topic, whose events of one case arrive
in order, so the parts never depend on how the topics interleave.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.contracts import Envelope
from domain.guards import CHINA_TZ
from domain.vocabulary import CadreLevel, ProblemCategory

Part = dict[str, Any]

# The columns of each part, in table order. A part's history rows hold the same columns.
INTAKE_COLUMNS = (
    "organ_code",
    "organ_path",
    "channel",
    "received_at",
    "received_on",
    "registered_at",
    "visitors",
    "real_name",
    "categories",
    "category",
    "key_fields",
    "cadre_levels",
    "cadre_level",
    "conduct_period",
    "screening",
    "scope",
    "report_type",
    "is_repeat",
    "first_case_id",
    "diverted_to",
    "stage",
)
ROUTING_COLUMNS = (
    "holder_organ",
    "holder_office",
    "holder_external",
    "handling_status",
    "disposal",
    "outcome",
    "substantiation",
    "concluded_at",
    "satisfaction",
    "assigned_from_above",
    "report_back_required",
    "pending_kind",
    "pending_to_organ",
    "pending_to_office",
    "pending_external",
    "reporter_organ",
    "reporter_office",
)
SUPERVISION_COLUMNS = (
    "deadlines_open",
    "deadlines_met",
    "deadlines_missed",
    "warning",
    "overdue",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "intake": INTAKE_COLUMNS,
    "routing": ROUTING_COLUMNS,
    "supervision": SUPERVISION_COLUMNS,
}

_CADRE_ORDER = {level.value: index for index, level in enumerate(CadreLevel)}
# Business times a payload may carry, most specific first; else when it was stored.
_TIME_KEYS = (
    "at",
    "decided_at",
    "registered_at",
    "concluded_at",
    "corrected_at",
    "started_at",
)
WARNING_ORDER = {"yellow": 1, "red": 2}


@dataclass(frozen=True)
class Context:
    """What handlers may know beyond the event: where an organ sits in the tree."""

    ancestry: Callable[[str], list[str]]


Handler = Callable[[Part | None, Envelope, Context], Part | None]


def parse_time(value: Any) -> dt.datetime:
    """An aware datetime from an ISO string; naive times are Beijing time."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_TZ)


def china_day(value: Any) -> dt.date:
    """The commissions' calendar day of a moment 统计日."""
    return parse_time(value).astimezone(CHINA_TZ).date()


def event_time(envelope: Envelope) -> dt.datetime:
    """When the event happened in the business's own time (historical for imports)."""
    payload = envelope.payload
    for key in _TIME_KEYS:
        if payload.get(key):
            return parse_time(payload[key])
    return parse_time(envelope.occurred_at)


def most_senior(levels: list[str]) -> str | None:
    """The most senior cadre level named, which decides jurisdiction."""
    known = [level for level in levels if level in _CADRE_ORDER]
    return min(known, key=_CADRE_ORDER.__getitem__) if known else None


def levels_of(persons: Any) -> list[str]:
    levels = [p.get("cadre_level") for p in persons or () if isinstance(p, Mapping)]
    return sorted({lv for lv in levels if lv}, key=lambda lv: _CADRE_ORDER.get(lv, 99))


_CATEGORY_ORDER = {category.value: category.priority for category in ProblemCategory}


def primary_category(categories: list[str]) -> str:
    """The category recorded first 主要问题 (as `ProblemCategory.primary`), by its code."""
    known = [c for c in categories if c in _CATEGORY_ORDER]
    return min(known, key=_CATEGORY_ORDER.__getitem__, default=ProblemCategory.OTHER.value)
