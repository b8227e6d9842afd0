"""What a correction 更正 really changes: checked by registration's rules, never a no-op."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.petition import refusals
from domain.petition.stage import CORRECTABLE
from domain.vocabulary import ReportType, parse

if TYPE_CHECKING:
    from domain.petition.aggregate import Petition

__all__ = ["Correction", "plan_correction"]


@dataclass(frozen=True)
class Correction:
    """The changed fields (sorted, "reporter" last), their new values, and a new identity."""

    changed_fields: list[str]
    changes: dict[str, Any]
    sealed_reporter: str | None


def plan_correction(
    petition: Petition, changes: Mapping[str, Any], new_sealed_reporter: str | None
) -> Correction:
    """The correction `changes` make to the petition as recorded, or the rule they break.

    `changes` maps fields of `CORRECTABLE` to new values (persons as `ReportedPerson`, dates
    as `date`/`datetime`); a new identity comes sealed and counts only when it differs.
    """
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise refusals.correction_field_unknown(unknown, list(CORRECTABLE))
    described = {k: v for k, v in changes.items() if k != "report_type"}
    changed = petition.description.changed_values(described, registered_at=petition.registered_at)
    if "report_type" in changes:
        if petition.report_type is None:
            raise refusals.report_type_before_acceptance()
        new_type = parse(ReportType, changes["report_type"]).value
        if new_type != petition.report_type:
            changed["report_type"] = new_type
    changed_fields = sorted(changed)
    if new_sealed_reporter == petition.sealed_reporter:
        new_sealed_reporter = None
    if new_sealed_reporter is not None:
        changed_fields.append("reporter")
    if not changed_fields:
        raise refusals.correction_changes_nothing()
    return Correction(changed_fields, changed, new_sealed_reporter)
