"""Who may propose and who may decide not to accept a report 不予受理的提出与审批.

A petition clerk of the organ's petition office proposes; a leader in charge of the same
organ, who is not the proposer, approves or rejects, like a transfer's sign-off 签批.
"""

from __future__ import annotations

from domain.actors import Actor
from domain.petition import refusals
from domain.vocabulary import Office, Role

__all__ = ["require_decider", "require_proposer"]


def require_proposer(actor: Actor, organ_code: str) -> None:
    """Refuse anyone but a petition clerk of this organ's petition office."""
    if not actor.at(organ_code, Office.PETITION.value) or not actor.has_role(Role.PETITION_CLERK):
        raise refusals.petition_clerk_required(organ=organ_code, actor_organ=actor.organ_code)


def require_decider(actor: Actor, organ_code: str, proposed_by: str) -> None:
    """Refuse anyone but a leader of this organ who did not make the proposal."""
    if actor.organ_code != organ_code or not actor.is_leader:
        raise refusals.leader_of_organ_required(organ=organ_code, actor_organ=actor.organ_code)
    if actor.username == proposed_by:
        raise refusals.proposer_cannot_decide()
