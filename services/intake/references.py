"""Checks against intake's reference data: the org tree, the rules and the key-field catalogue.

Registration and correction both ask these, so an unknown organ, a hand-over from below,
an unknown key field or a conduct date that contradicts its period is refused the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from domain.errors import InvalidInput
from domain.guards import CHINA_TZ
from domain.hierarchy import OrgTree
from domain.rules import Rules
from domain.vocabulary import ConductPeriod, KeyFieldCatalogue, parse

__all__ = ["References"]


@dataclass
class References:
    """The reference data registration is checked against."""

    org_tree: OrgTree
    rules: Rules
    key_fields: KeyFieldCatalogue

    def require_organ(self, organ_code: str) -> None:
        if organ_code not in self.org_tree:
            raise InvalidInput(
                "organ_unknown",
                "机关代码不存在",
                "No organ has this code",
                organ=organ_code[:50],
            )

    def require_upper(self, organ_code: str, source: str) -> None:
        if source not in {o.code for o in self.org_tree.ancestors(organ_code)}:
            raise InvalidInput(
                "handover_source_not_upper",
                "上级转交办件的来源必须是本机关的上级机关代码",
                "An upper hand-over must come from an organ above this one",
                field="handed_over_from",
            )

    def require_key_fields(self, codes: Iterable[str]) -> None:
        unknown = [c for c in codes if c not in self.key_fields]
        if unknown:
            raise InvalidInput(
                "key_field_unknown",
                "重点领域不在目录中",
                "A key field is not in the catalogue",
                key_fields=unknown[:10],
                allowed=self.key_fields.codes(),
            )

    def conduct_period(self, period: str | None, when: date | None, now: datetime) -> str:
        if when is None:
            return parse(ConductPeriod, period or ConductPeriod.UNKNOWN.value).value
        if when > now.astimezone(CHINA_TZ).date():
            raise InvalidInput(
                "conduct_date_in_future",
                "问题发生时间不能晚于今天",
                "The conduct cannot have happened in the future",
                field="conduct_date",
            )
        derived = self.rules.conduct_period(when).value
        if period is not None and parse(ConductPeriod, period).value != derived:
            raise InvalidInput(
                "conduct_period_contradicts_date",
                "问题发生时段与发生日期不符",
                "The conduct period contradicts the conduct date",
                field="conduct_period",
                cutoff=self.rules.conduct_cutoff.isoformat(),
            )
        return derived
