"""Statistics dimensions 统计维度 and rates 比率: names, the SQL that computes them, checks.

Dimension names follow the vocabulary, and every group key is a vocabulary code (organ
codes for SUBORDINATE, `YYYY-MM` for MONTH). A case counts once per group, except under
KEY_FIELD, where a case touching several key fields counts under each (and `none` when it
touches none). CATEGORY is the primary category 主要问题 (the first recorded), and
CADRE_LEVEL the most senior level among the reported persons, so those groups add up.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from domain.errors import InvalidInput
from domain.vocabulary import Outcome

MAX_DIMENSIONS = 4
MAX_RANGE_DAYS = 3660
# Reports are dated within these days; anything else is a typing error.
EARLIEST_DAY = dt.date(1950, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)


class StatisticsDimension(StrEnum):
    """What a `caseStatistics` answer can be grouped by."""

    CHANNEL = "CHANNEL"
    SCOPE = "SCOPE"
    REPORT_TYPE = "REPORT_TYPE"
    FIRST_OR_REPEAT = "FIRST_OR_REPEAT"
    REAL_NAME = "REAL_NAME"
    CATEGORY = "CATEGORY"
    KEY_FIELD = "KEY_FIELD"
    CADRE_LEVEL = "CADRE_LEVEL"
    OUTCOME = "OUTCOME"
    SUBSTANTIATION = "SUBSTANTIATION"
    SUBORDINATE = "SUBORDINATE"
    MONTH = "MONTH"
    ORIGIN = "ORIGIN"
    CONDUCT_PERIOD = "CONDUCT_PERIOD"
    DISPOSAL = "DISPOSAL"
    STAGE = "STAGE"
    SATISFACTION = "SATISFACTION"
    WARNING = "WARNING"


D = StatisticsDimension

# The SQL of each dimension over a fact row `f`; `none` marks "not (yet) known".
EXPRESSIONS: dict[StatisticsDimension, str] = {
    D.CHANNEL: "f.channel",
    D.SCOPE: "coalesce(f.scope, 'unscreened')",
    D.REPORT_TYPE: "coalesce(f.report_type, 'none')",
    D.FIRST_OR_REPEAT: "CASE WHEN f.is_repeat THEN 'repeat' ELSE 'first' END",
    D.REAL_NAME: "CASE WHEN f.real_name THEN 'real_name' ELSE 'anonymous' END",
    D.CATEGORY: "coalesce(f.category, 'other')",
    D.KEY_FIELD: "kf.code",
    D.CADRE_LEVEL: "coalesce(f.cadre_level, 'none')",
    D.OUTCOME: "coalesce(f.outcome, 'none')",
    D.SUBSTANTIATION: "coalesce(f.substantiation, 'none')",
    D.SUBORDINATE: "coalesce(f.organ_path[%(depth)s + 1], f.organ_code)",
    D.MONTH: "to_char(f.received_on, 'YYYY-MM')",
    D.ORIGIN: (
        "CASE WHEN f.channel IN ('body_handover', 'upper_handover') THEN f.channel ELSE 'own' END"
    ),
    D.CONDUCT_PERIOD: "coalesce(f.conduct_period, 'unknown')",
    D.DISPOSAL: "coalesce(f.disposal, 'none')",
    D.STAGE: "coalesce(f.stage, 'received')",
    D.SATISFACTION: "coalesce(f.satisfaction, 'none')",
    D.WARNING: "coalesce(f.warning, 'none')",
}
# Dimensions under which one case can fall in several groups.
MULTI_VALUED = frozenset({D.KEY_FIELD})
KEY_FIELD_JOIN = (
    " CROSS JOIN LATERAL unnest(CASE WHEN cardinality(f.key_fields) > 0 "
    "THEN f.key_fields ELSE ARRAY['none'] END) AS kf(code)"
)

# Outcomes counted as sanctions 处理处分 (the conduct was found at least partly true).
SANCTION_OUTCOMES = (
    Outcome.PARTY_SANCTION.value,
    Outcome.ADMINISTRATIVE_SANCTION.value,
    Outcome.ADMONISHING_TALK.value,
    Outcome.CRITICISM_EDUCATION.value,
    Outcome.JUDICIAL_TRANSFER.value,
)
_SANCTIONS = ", ".join(f"'{code}'" for code in SANCTION_OUTCOMES)
_CONCLUDED = "f.outcome IS NOT NULL"

# Each rate as (numerator, denominator), each side a condition counted over the selected
# fact rows, or `sum:` and an expression summed over them.
RATES: dict[str, tuple[str, str]] = {
    # 业务范围内占比: in-scope reports of all received
    "inScopeShare": ("f.scope = 'in_scope'", "true"),
    # 重复举报占比: repeats of in-scope reports
    "repeatShare": ("f.is_repeat", "f.scope = 'in_scope'"),
    # 办结率: accepted cases whose conclusion stands
    "closure": (f"f.screening = 'accepted' AND {_CONCLUDED}", "f.screening = 'accepted'"),
    # 属实率: concluded cases found true or partly true
    "substantiation": (
        f"{_CONCLUDED} AND f.substantiation IN ('true', 'partly_true')",
        _CONCLUDED,
    ),
    # 处理处分率: concluded cases ending in a sanction
    "sanction": (f"f.outcome IN ({_SANCTIONS})", _CONCLUDED),
    # 满意率: satisfied or basically satisfied, of the reporters asked 回访
    "satisfaction": (
        "f.satisfaction IN ('satisfied', 'basically_satisfied')",
        "f.satisfaction IS NOT NULL",
    ),
    # 按期率: deadlines met, of the deadlines closed
    "onTime": (
        "sum:coalesce(f.deadlines_met, 0)",
        "sum:coalesce(f.deadlines_met, 0) + coalesce(f.deadlines_missed, 0)",
    ),
}


def aggregate(side: str, within: str) -> str:
    """The SQL aggregate of one side of a rate over the rows matching `within`."""
    if side.startswith("sum:"):
        return f"coalesce(sum({side[4:]}) FILTER (WHERE {within}), 0)"
    return f"count(*) FILTER (WHERE {within} AND {side})"


def parse_dimensions(names: list[str]) -> list[StatisticsDimension]:
    """The dimensions named, in order; coded refusals for unknown, repeated or too many."""
    parsed: list[StatisticsDimension] = []
    for raw in names:
        for name in (part.strip() for part in raw.split(",")):
            if not name:
                continue
            try:
                dimension = StatisticsDimension(name.upper())
            except ValueError:
                raise InvalidInput(
                    "statistics_dimension_unknown",
                    f"不支持的统计维度:{name[:40]}",
                    f"Unknown statistics dimension: {name[:40]}",
                    dimension=name[:40],
                    allowed=[d.value for d in StatisticsDimension],
                ) from None
            if dimension in parsed:
                raise InvalidInput(
                    "statistics_dimension_repeated",
                    f"统计维度重复:{dimension.value}",
                    f"A statistics dimension is given twice: {dimension.value}",
                    dimension=dimension.value,
                )
            parsed.append(dimension)
    if len(parsed) > MAX_DIMENSIONS:
        raise InvalidInput(
            "statistics_dimensions_too_many",
            f"最多同时按{MAX_DIMENSIONS}个维度分组",
            f"At most {MAX_DIMENSIONS} dimensions at once",
            limit=MAX_DIMENSIONS,
        )
    return parsed


def check_range(start: dt.date, end: dt.date) -> None:
    """Coded refusals for a reversed, too long or implausible date range."""
    if end < start:
        raise InvalidInput(
            "date_range_invalid", "结束日期早于开始日期", "The end date is before the start date"
        )
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(
            "date_range_too_long", "统计区间不得超过十年", "The range may not exceed ten years"
        )
    for day in (start, end):
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise InvalidInput(
                "date_out_of_range",
                f"日期应在{EARLIEST_DAY}至{LATEST_DAY}之间",
                f"Dates must lie between {EARLIEST_DAY} and {LATEST_DAY}",
                day=day.isoformat(),
            )


def year_earlier(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same period a year earlier 同期. Whole months map to whole months, so February
    maps to February whatever its length; otherwise 29 February becomes the 28th."""
    return _back_a_year(start, first=True), _back_a_year(end, first=False)


def _back_a_year(day: dt.date, first: bool) -> dt.date:
    last_of_month = (day + dt.timedelta(days=1)).day == 1
    if not first and last_of_month:
        following = dt.date(day.year - 1, day.month, 28) + dt.timedelta(days=4)
        return following - dt.timedelta(days=following.day)
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def change_percent(current: int, previous: int) -> float | None:
    """Year-on-year change in percent 同比, one decimal; None when there was nothing."""
    if previous == 0:
        return None
    return round((current - previous) * 100.0 / previous, 1)


def percent(numerator: int, denominator: int) -> float | None:
    return round(numerator * 100.0 / denominator, 1) if denominator else None


def next_year_month(month: str) -> str:
    """`YYYY-MM` a year later: where a previous period's month lines up."""
    year, number = month.split("-")
    return f"{int(year) + 1:04d}-{number}"
