"""How staff see a petition 工作人员视图: everything but the reporter's identity."""

from __future__ import annotations

from typing import Any

from domain.petition import Petition
from domain.substance import assess_substance

__all__ = ["hint_for", "staff_view", "substance_hint"]


def staff_view(p: Petition) -> dict[str, Any]:
    """The case as staff see it, without the reporter's identity."""
    return {
        "case_id": str(p.id),
        "organ_code": p.organ_code,
        "registration_number": p.registration_number,
        "channel": p.channel,
        "received_at": p.received_at,
        "registered_at": p.registered_at,
        "registered_by": p.registered_by,
        "real_name": p.real_name,
        "real_name_check": p.real_name_check,
        "visitors": p.visitors,
        "handed_over_from": p.handed_over_from,
        "handover_reference": p.handover_reference,
        "summary": p.summary,
        "full_text": p.full_text,
        "reported_persons": p.reported_persons,
        "categories": p.categories,
        "key_fields": p.key_fields,
        "keywords": p.keywords,
        "conduct_period": p.conduct_period,
        "conduct_date": p.conduct_date,
        "attachments": p.attachments,
        "stage": p.stage,
        "report_type": p.report_type,
        "screened_by": p.screened_by,
        "screened_at": p.screened_at,
        "diverted_to": p.diverted_to,
        "explanation": p.explanation,
        "not_accept_proposal": p.not_accept_proposal,
        "not_accepted_reason": p.not_accepted_reason,
        "proposed_by": p.proposed_by,
        "approved_by": p.approved_by,
        "first_case_id": p.first_case_id,
        "acceptance_notified": p.notified,
        "corrections": p.corrections,
        "version": p.version,
        "substance_hint": substance_hint(p),
    }


def substance_hint(petition: Petition) -> dict[str, Any] | None:
    """The clerk's hint when the report names a person or an act but no fact; else None.

    From `domain.substance` over the summary and full text as currently recorded; a hint
    only, it never blocks registration or screening.
    """
    names = [p["name"] for p in petition.reported_persons if p.get("name")]
    return hint_for(petition.summary, petition.full_text, names)


def hint_for(summary: str, full_text: str, names: list[str]) -> dict[str, Any] | None:
    """The substance hint of a text naming these persons (a petition's, or a draft's)."""
    text = "\n".join(t for t in (summary, full_text) if t)
    assessment = assess_substance(text, names)
    if not assessment.flagged or assessment.hint_zh is None or assessment.hint_en is None:
        return None
    return {
        "message_zh": assessment.hint_zh,
        "message_en": assessment.hint_en,
        "missing": [kind.value for kind in assessment.missing],
    }
