"""What the calling person may do with a case now 可执行操作: the aggregate's guards and the
policy both allow it, so a page shows only the buttons that will work.

Mirrors the checks of `domain.handling` (holder, pending transfer, status, leader, target)
without running a command; a test drives every action listed here and sees it accepted.
"""

from __future__ import annotations

from domain.access import Action, Object
from domain.handling import Actor, Handling, Status, TransferState
from services.guard import CaseScope, Guard

__all__ = ["available_actions"]

_CLOSED = (Status.ARCHIVED, Status.HANDED_OVER)


def available_actions(h: Handling, actor: Actor, guard: Guard, scope: CaseScope) -> list[str]:
    """Codes of the routing commands `actor` may run on `h` as it stands."""
    if h.status in _CLOSED:
        return []
    may_change = guard.allows(actor, Action.CHANGE, Object.CASE, scope)
    holds = h.is_held_by(actor.organ_code, actor.office) and may_change
    pending = h.pending_transfer
    actions: list[str] = []
    if pending is not None:
        if pending.state == TransferState.PROPOSED:
            if (
                actor.is_leader
                and actor.organ_code == h.holder_organ
                and pending.proposed_by != actor.username
                and guard.allows(
                    actor, Action.APPROVE, Object.TRANSFER, scope, proposed_by=pending.proposed_by
                )
            ):
                actions.append("approve_transfer")
            if holds:
                actions.append("withdraw_transfer")
        elif pending.state == TransferState.APPROVED and holds:
            actions += ["dispatch_transfer", "withdraw_transfer"]
        elif pending.state == TransferState.DISPATCHED:
            where = (
                (pending.from_organ, pending.from_office)
                if pending.outward
                else (pending.to_organ, pending.to_office)
            )
            target = CaseScope(scope.case_id, str(where[0]), scope.held_by)
            if actor.at(*where) and guard.allows(actor, Action.CHANGE, Object.TRANSFER, target):
                actions += ["receive_transfer", "refuse_transfer"]
        return actions
    if not holds:
        return actions
    if h.status == Status.OPEN:
        actions += ["propose_transfer", "decide_disposal"]
        if h.disposal is not None:
            actions.append("conclude")
    elif h.status == Status.UNDER_REVIEW:
        actions.append("review")
    elif h.status == Status.CONCLUDED:
        actions.append("record_feedback")
        if h.assignments:
            actions.append("report_back")
        if h.five_in_place_missing:
            actions.append("confirm_five_in_place")
        if not h.assignments and not h.five_in_place_missing:
            actions.append("archive")
    return actions
