"""Where services apply `domain.access` to the objects they load, and write the access log.

A case outside the caller's scope is answered like a missing one (404: its existence is
not revealed); a case in scope with a forbidden action is 403 `forbidden`, with the
policy's reason in the details. Every refusal, every reveal, every attachment download and
every read by an auditor goes to the access log, with codes and ids only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.access import Action, Decision, Facts, Object, decide
from domain.actors import Actor
from domain.errors import Forbidden, NotFound
from domain.vocabulary import Role
from infra.access_log import AccessEntry, AccessRecorder
from services.auth import principal

__all__ = ["CaseScope", "Guard"]

# Objects that belong to a case: their scope is the case's.
_CASE_OBJECTS = frozenset(
    {Object.CASE, Object.REPORTER_IDENTITY, Object.ATTACHMENT, Object.TRANSFER}
)


@dataclass(frozen=True)
class CaseScope:
    """The facts about a case the policy needs: its id, current holder, every holder."""

    case_id: str
    holder: str
    held_by: tuple[str, ...]


class Guard:
    """Decides with the policy table, refuses with the right code, records what it must."""

    def __init__(
        self,
        access_log: AccessRecorder | None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.access_log = access_log
        self.clock = clock or (lambda: datetime.now(UTC))

    def visible(self, actor: Actor, case: CaseScope) -> bool:
        """Whether the caller may read the case at all."""
        facts = Facts(Object.CASE, case.holder, case.held_by)
        return decide(principal(actor), Action.READ, facts).allowed

    def case(
        self,
        actor: Actor,
        action: Action,
        obj: Object,
        case: CaseScope,
        not_found: Callable[[], NotFound],
        *,
        proposed_by: str | None = None,
        purpose: str | None = None,
        record: bool = True,
    ) -> Decision:
        """Allow `action` on an object of `case`, or refuse: 404 out of scope, else 403.

        With `record=False` an allowed sensitive read is left for the caller to record
        (`record_allowed`) once it has succeeded."""
        facts = Facts(obj, case.holder, case.held_by, proposed_by, purpose)
        decision = decide(principal(actor), action, facts)
        if not decision.allowed:
            hidden = obj in _CASE_OBJECTS and not self.visible(actor, case)
            reason = f"out_of_scope:{decision.reason}" if hidden else decision.reason
            self._record(actor, action, obj, "refused", reason, case.case_id, case.holder)
            if hidden:
                raise not_found()
            raise forbidden(decision.reason, action, obj)
        if record and self._sensitive(actor, action, obj):
            self._record(actor, action, obj, "allowed", decision.reason, case.case_id, case.holder)
        return decision

    def replay(self, actor: Actor, case: CaseScope, not_found: Callable[[], NotFound]) -> None:
        """Allow an auditor to replay a case of their subtree 案件回放: 404 out of scope,
        403 for anyone else; both refusals and the replay itself are logged."""
        self.case(actor, Action.READ, Object.CASE, case, not_found, record=False)
        if not actor.has_role(Role.AUDITOR):
            self._record(
                actor, Action.READ, Object.CASE, "refused", "replay_needs_auditor",
                case.case_id, case.holder,
            )
            raise forbidden("replay_needs_auditor", Action.READ, Object.CASE)
        self._record(
            actor, Action.READ, Object.CASE, "allowed", "auditor_replays_history",
            case.case_id, case.holder,
        )

    def record_allowed(
        self, actor: Actor, action: Action, obj: Object, case: CaseScope, reason: str
    ) -> None:
        """Record a sensitive read that was allowed and has happened."""
        self._record(actor, action, obj, "allowed", reason, case.case_id, case.holder)

    def organ(self, actor: Actor, action: Action, obj: Object, organ: str) -> Decision:
        """Allow `action` on an organ's inbox, statistics or log, or refuse with 403."""
        decision = decide(principal(actor), action, Facts(obj, organ))
        if not decision.allowed:
            self._record(actor, action, obj, "refused", decision.reason, None, organ)
            raise forbidden(decision.reason, action, obj)
        if self._sensitive(actor, action, obj):
            self._record(actor, action, obj, "allowed", decision.reason, None, organ)
        return decision

    def allows(
        self, actor: Actor, action: Action, obj: Object, case: CaseScope, **facts: str | None
    ) -> bool:
        """The policy's answer alone, recording nothing (for `available_actions`)."""
        return decide(
            principal(actor),
            action,
            Facts(obj, case.holder, case.held_by, facts.get("proposed_by"), facts.get("purpose")),
        ).allowed

    def _sensitive(self, actor: Actor, action: Action, obj: Object) -> bool:
        return (
            action is Action.REVEAL
            or (obj is Object.ATTACHMENT and action is Action.READ)
            or actor.has_role(Role.AUDITOR)
        )

    def _record(
        self,
        actor: Actor,
        action: Action,
        obj: Object,
        outcome: str,
        reason: str,
        case_id: str | None,
        case_organ: str | None,
    ) -> None:
        if self.access_log is None:
            return
        self.access_log.record(
            AccessEntry(
                at=self.clock(),
                action=action.value,
                object=obj.value,
                outcome="allowed" if outcome == "allowed" else "refused",
                reason=reason,
                user_id=actor.user_id,
                username=actor.username,
                organ=actor.organ_code,
                case_id=case_id,
                case_organ=case_organ,
            )
        )


def forbidden(reason: str, action: Action, obj: Object) -> Forbidden:
    """The 403 of a visible object with a refused action."""
    return Forbidden(
        "forbidden",
        "无权执行此操作",
        "You may not do this",
        reason=reason,
        action=action.value,
        object=obj.value,
    )


def held_by(*organs: Iterable[str | None] | str | None) -> tuple[str, ...]:
    """Distinct organ codes, in first-seen order, from codes and iterables of codes."""
    seen: list[str] = []
    for item in organs:
        for code in [item] if isinstance(item, str) or item is None else item:
            if code and code not in seen:
                seen.append(code)
    return tuple(seen)
