"""Commands that handle the case where it is held 办理: dispose of the lead, conclude,
report back and review, tell the reporter, confirm the "five in place", archive, and show
repeat reports to the holder.

Methods of `Handling`, attached in its class body; each checks everything first and then
records one event, or refuses and records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.actors import Actor
from domain.guards import aware
from domain.handling import refusals
from domain.handling.status import Status
from domain.vocabulary import (
    Disposal,
    FiveInPlace,
    NotificationMethod,
    Outcome,
    Satisfaction,
    Substantiation,
    parse,
)

if TYPE_CHECKING:
    from domain.handling.aggregate import Handling

# Outcomes that say the problem was not found true, and those that sanction someone.
_UNTRUE_OUTCOMES = frozenset(
    {Outcome.NOT_SUBSTANTIATED, Outcome.NAME_CLEARED, Outcome.FALSE_ACCUSATION}
)
_SANCTION_OUTCOMES = frozenset(
    {
        Outcome.PARTY_SANCTION,
        Outcome.ADMINISTRATIVE_SANCTION,
        Outcome.ADMONISHING_TALK,
        Outcome.CRITICISM_EDUCATION,
        Outcome.JUDICIAL_TRANSFER,
    }
)


def decide_disposal(
    self: Handling, actor: Actor, mode: Disposal | str, reason: str, *, at: datetime
) -> None:
    """The holder chooses how to dispose of the lead 线索处置."""
    mode = parse(Disposal, mode)
    reason = refusals.required(reason, "reason")
    self._check_holder_may_act(actor, Status.OPEN)
    self._disposal_decided(
        mode=mode.value,
        reason=reason,
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )


def conclude(
    self: Handling,
    actor: Actor,
    outcome: Outcome | str,
    substantiation: Substantiation | str,
    findings: str,
    *,
    at: datetime,
) -> None:
    """The holder records the conclusion 办结: outcome, substantiation and findings."""
    outcome = parse(Outcome, outcome)
    substantiation = parse(Substantiation, substantiation)
    findings = refusals.required(findings, "findings")
    if outcome in _UNTRUE_OUTCOMES and substantiation != Substantiation.UNTRUE:
        raise refusals.outcome_means_untrue(outcome.value, substantiation.value)
    if outcome in _SANCTION_OUTCOMES and substantiation == Substantiation.UNTRUE:
        raise refusals.sanction_needs_truth(outcome.value, substantiation.value)
    self._check_holder_may_act(actor, Status.OPEN)
    if self.disposal is None:
        raise refusals.disposal_missing()
    self._concluded(
        outcome=outcome.value,
        substantiation=substantiation.value,
        findings=findings,
        report_back_required=bool(self.assignments),
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )


def report_back(self: Handling, actor: Actor, summary: str, *, at: datetime) -> None:
    """Report the conclusion back to the assigning office 报结; it holds the case to review."""
    summary = refusals.required(summary, "summary")
    self._check_holder_may_act(actor, Status.CONCLUDED)
    if not self.assignments:
        raise refusals.no_assignment()
    assigner = self.assignments[-1]
    self._reported_back(
        to_organ=assigner["organ_code"],
        to_office=assigner["office"],
        summary=summary,
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )


def review(
    self: Handling, actor: Actor, accept: bool, reason: str | None = None, *, at: datetime
) -> None:
    """The assigning office reviews the result: accept it, or send it back to be redone."""
    self._check_not_closed()
    self._check_holder(actor)
    if self.status != Status.UNDER_REVIEW:
        raise refusals.not_under_review()
    if accept:
        self._result_accepted(
            reason=(reason or "").strip() or None,
            report_back_required=len(self.assignments) > 1,
            organ_code=actor.organ_code,
            actor=actor.username,
            at=aware(at),
        )
        return
    redo = self.custody[-1]  # the report-back link: who reported, gets it back
    self._sent_back(
        reason=refusals.required(reason, "reason"),
        holder_organ=redo.from_organ,
        holder_office=redo.from_office,
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )


def record_feedback(
    self: Handling,
    actor: Actor,
    method: NotificationMethod | str,
    content: str,
    satisfaction: Satisfaction | str | None = None,
    *,
    at: datetime,
) -> None:
    """Tell the reporter the result 反馈, optionally with their satisfaction 回访."""
    method = parse(NotificationMethod, method)
    content = refusals.required(content, "content")
    level = parse(Satisfaction, satisfaction).value if satisfaction is not None else None
    self._check_holder_may_act(actor, Status.CONCLUDED)
    self._feedback_given(
        method=method.value,
        content=content,
        satisfaction=level,
        organ_code=actor.organ_code,
        actor=actor.username,
        at=aware(at),
    )


def confirm_five_in_place(
    self: Handling, actor: Actor, items: Iterable[FiveInPlace | str], *, at: datetime
) -> None:
    """Confirm some of the "five in place" 五个到位 before archiving."""
    confirmed = [parse(FiveInPlace, item).value for item in items]
    if not confirmed:
        raise refusals.five_in_place_empty()
    self._check_holder_may_act(actor, Status.CONCLUDED)
    new = [c for c in dict.fromkeys(confirmed) if c not in self.five_in_place]
    if new:
        self._five_in_place_confirmed(
            items=new, organ_code=actor.organ_code, actor=actor.username, at=aware(at)
        )


def archive(self: Handling, actor: Actor, *, at: datetime) -> None:
    """Archive the concluded case 归档 once the five are in place."""
    self._check_holder_may_act(actor, Status.CONCLUDED)
    if self.assignments:
        raise refusals.report_back_required(self.assignments[-1]["organ_code"])
    if self.five_in_place_missing:
        raise refusals.five_in_place_incomplete(self.five_in_place_missing)
    self._archived(organ_code=actor.organ_code, actor=actor.username, at=aware(at))


def link_repeat(
    self: Handling, repeat_case_id: UUID | str, organ_code: str, actor: str, *, at: datetime
) -> bool:
    """Show a repeat report linked at intake to whoever holds this case now.

    Returns False (and records nothing) when the repeat is already linked.
    """
    repeat = str(repeat_case_id)
    if repeat == str(self.id):
        raise refusals.repeat_self()
    if any(r["case_id"] == repeat for r in self.repeats):
        return False
    self._repeat_linked(
        repeat_case_id=repeat,
        holder_organ=self.holder_organ,
        holder_office=self.holder_office,
        organ_code=organ_code,
        actor=actor,
        at=aware(at),
    )
    return True
