"""What a reporter may see 举报人可见的进度: stage, where to go, why not, the final result.

A report linked as a repeat shows the progress of its first case (the one being handled),
through the repeat's own receipt code. The result shown is only ever the outcome's label,
never the findings.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain.errors import NotFound
from domain.guards import CHINA_TZ
from domain.petition import Petition, Stage
from domain.vocabulary import Outcome
from services.intake.sealing import Sealer, check_receipt_code_form
from services.intake.sidestore import SideStore

__all__ = ["progress_by_receipt", "public_outcome", "public_progress"]


def progress_by_receipt(
    receipt_code: str,
    sealer: Sealer,
    side: SideStore,
    find: Callable[[UUID], Petition | None],
) -> dict[str, Any]:
    """The public progress of the report with this receipt code, compared in constant time."""
    check_receipt_code_form(receipt_code)
    wanted = sealer.receipt_hash(receipt_code)
    found = side.find_receipt(wanted)
    stored, case_id = found if found is not None else ("0" * 64, None)
    petition: Petition | None = None
    if hmac.compare_digest(stored, wanted) and case_id is not None:
        # A code stored before a registration that then failed finds no case.
        petition = find(case_id)
    if petition is None or petition.receipt_code_hash != wanted:
        raise NotFound(
            "receipt_code_unknown",
            "查询码不存在,请核对后重试",
            "No report has this receipt code; please check it",
        )
    first = None
    if petition.stage == Stage.REPEAT and petition.first_case_id is not None:
        first = find(UUID(petition.first_case_id))
    return public_progress(petition, first)


def public_progress(petition: Petition, first: Petition | None = None) -> dict[str, Any]:
    """Only what a reporter may see; a repeat shows `first`, its first case, when known."""
    shown = first if petition.stage == Stage.REPEAT and first is not None else petition
    stage = shown.stage
    zh, en = Stage.label(stage)
    answer: dict[str, Any] = {
        "stage": stage,
        "message_zh": zh,
        "message_en": en,
        "received_on": petition.received_at.astimezone(CHINA_TZ).date().isoformat(),
        "diverted_to": None,
        "explanation": None,
        "reason": None,
        "result_zh": None,
        "result_en": None,
    }
    if stage == Stage.DIVERTED:
        answer.update(diverted_to=shown.diverted_to, explanation=shown.explanation)
    elif stage == Stage.NOT_ACCEPTED:
        answer["reason"] = shown.not_accepted_reason
    elif stage == Stage.CONCLUDED:
        answer.update(result_zh=shown.public_result_zh, result_en=shown.public_result_en)
    return answer


def public_outcome(code: str | None) -> tuple[str, str]:
    """The result a reporter is told: the outcome's label, never the findings."""
    try:
        outcome = Outcome(code or "")
    except ValueError:
        return "已办结", "Concluded"
    return f"已办结:{outcome.label_zh}", f"Concluded: {outcome.label_en}"
