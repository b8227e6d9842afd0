"""`availableActions` of a case: the mutations the current user may run on it now.

Routing answers its own (`available_actions` on every case: guards and policy together);
the screening actions come from intake's stage and `domain.access`, since intake answers
none. Names are the GraphQL mutations', so a page shows exactly the buttons that work;
the services still decide when the button is pressed.
"""

from __future__ import annotations

from typing import Any

from domain.access import Action, Facts, Object, Principal, decide

# Routing's command names → the GraphQL mutations that send them.
ROUTING = {
    "propose_transfer": "proposeTransfer",
    "approve_transfer": "approveTransfer",
    "dispatch_transfer": "dispatchTransfer",
    "receive_transfer": "receiveTransfer",
    "refuse_transfer": "refuseTransfer",
    "withdraw_transfer": "withdrawTransfer",
    "decide_disposal": "decideDisposal",
    "conclude": "concludeCase",
    "report_back": "reportBack",
    "review": "reviewResult",
    "record_feedback": "recordFeedback",
    "confirm_five_in_place": "confirmFiveInPlace",
    "archive": "archiveCase",
}


def _may(user: Principal, action: Action, petition: dict[str, Any], **facts: Any) -> bool:
    organ = str(petition.get("organ_code") or "")
    return decide(user, action, Facts(Object.CASE, organ, (organ,), **facts)).allowed


def screening(user: Principal, username: str, petition: dict[str, Any]) -> list[str]:
    """The intake mutations open at this stage to this user."""
    stage = petition.get("stage")
    real_name = bool(petition.get("real_name"))
    found: list[str] = []
    if stage == "received":
        proposal = petition.get("not_accept_proposal")
        if proposal:
            # Nobody decides on their own proposal.
            own = proposal.get("proposed_by") in (username, user.user_id)
            if not own and _may(user, Action.APPROVE, petition):
                found += ["approveNotAccept", "rejectNotAccept"]
        elif _may(user, Action.CHANGE, petition):
            found += ["acceptPetition", "divertPetition", "proposeNotAccept", "linkRepeat"]
    if real_name and _may(user, Action.CHANGE, petition):
        if stage == "received" and not petition.get("real_name_check"):
            found.append("checkRealName")
        if stage in ("accepted", "in_handling") and not petition.get("acceptance_notified"):
            found.append("notifyAcceptance")
    return found


def available(
    user: Principal, username: str, petition: dict[str, Any] | None, handling: dict[str, Any] | None
) -> list[str]:
    """Screening actions first, then routing's, each once."""
    names = screening(user, username, petition) if petition else []
    for command in (handling or {}).get("available_actions", []):
        name = ROUTING.get(command, command)
        if name not in names:
            names.append(name)
    return names
