"""Routing's reads 流转查询 and where the policy meets a loaded case: a case (alone or in a
batch), its timeline, the jurisdiction suggestion, an inbox; the organs that hold or
have held a case (`scope_of`) and `authorise`, which every command calls too.

Mixed into `RoutingApplication`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.access import Action, Object
from domain.errors import Conflict, NotFound
from domain.handling import Actor, Handling, TransferState
from domain.hierarchy import OrgTree
from infra.aggregates import catch_up, find, get
from infra.eventstore import ServiceApplication
from services.guard import CaseScope, Guard, held_by
from services.history import replay, with_proofs
from services.routing.actions import available_actions
from services.routing.inbox import HolderIndex
from services.routing.timeline import timeline_of
from services.routing.views import ViewCache, case_view, suggestion

__all__ = ["RoutingReading", "case_unknown"]

_SHOWN_TO_TARGET = frozenset(
    {TransferState.DISPATCHED, TransferState.RECEIVED, TransferState.REFUSED}
)


def case_unknown(case_id: UUID) -> NotFound:
    return NotFound("case_unknown", "案件不存在", "No case has this id", case_id=str(case_id))


class RoutingReading(ServiceApplication):
    """The read use cases of routing and its policy checks (a mixin)."""

    org_tree: OrgTree
    guard: Guard
    clock: Callable[[], datetime]
    _index: HolderIndex
    _views: ViewCache

    def case(self, case_id: UUID, actor: Actor) -> dict[str, Any]:
        """The case as its holder sees it: holder, status, pending transfer, custody, repeats."""
        h = self._get(case_id)
        self.authorise(h, actor, Action.READ, Object.CASE)
        return self._view(h, actor)

    def cases(self, case_ids: Sequence[UUID], actor: Actor) -> dict[str, Any]:
        """Several cases at once, in the order asked; missing ones and ones outside the
        caller's scope are listed as `missing` alike (each refusal is logged)."""
        found, missing = [], []
        for case_id in dict.fromkeys(case_ids):
            h = find(self, Handling, case_id)
            try:
                if h is None:
                    raise case_unknown(case_id)
                self.authorise(h, actor, Action.READ, Object.CASE)
            except NotFound:
                missing.append(str(case_id))
                continue
            found.append(self._view(h, actor))
        return {"cases": found, "missing": missing}

    def timeline(self, case_id: UUID, actor: Actor) -> list[dict[str, Any]]:
        """Every routing event of the case, oldest first: what, who, organ, office, when."""
        h = self._get(case_id)
        self.authorise(h, actor, Action.READ, Object.CASE)
        return timeline_of(self.events_of(case_id))

    def history(self, case_id: UUID, as_of: datetime, actor: Actor) -> dict[str, Any]:
        """The handling as it stood at `as_of` (None before routing opened it), with its
        events up to then, for an auditor of the case's subtree (logged)."""
        h = self._get(case_id)
        self.guard.replay(actor, self.scope_of(h), lambda: case_unknown(case_id))
        past, events = replay(self, case_id, as_of, timeline_of)
        checkpoint, events = with_proofs(self, events)
        state = None if past is None else case_view(past)
        return {"state": state, "events": events, "checkpoint": checkpoint}

    def _view(self, h: Handling, actor: Actor) -> dict[str, Any]:
        view = self._views.of(h)  # a copy: the actor's actions are added to it alone
        view["available_actions"] = available_actions(h, actor, self.guard, self.scope_of(h))
        return view

    def events_of(self, case_id: UUID) -> list[Any]:
        """The stored events of one case, oldest first."""
        return list(self.repository.event_store.get(case_id))

    def jurisdiction(self, case_id: UUID, actor: Actor) -> dict[str, Any]:
        """Who should handle the case, how it gets there from its holder, and why."""
        h = self._get(case_id)
        self.authorise(h, actor, Action.READ, Object.CASE)
        suggested = suggestion(self.org_tree, h)
        if suggested is None:
            raise Conflict(
                "jurisdiction_unknown",
                "缺少被反映人的管理层级，无法建议管辖",
                "No reported person with a cadre level is known: no suggestion can be made",
            )
        return suggested

    def inbox(self, actor: Actor, organ_code: str, office: str | None = None) -> dict[str, Any]:
        """An organ's (or office's) trays (`services.routing.inbox`), with their counts."""
        self.org_tree.get(organ_code)
        self.guard.organ(actor, Action.READ, Object.INBOX, organ_code)
        with self._index.lock:
            self._index.position = catch_up(self, self._index.position, self._index_cases)
            trays = self._index.of(organ_code, office)
        counts = {tray: len(cases) for tray, cases in trays.items()}
        return {"organ_code": organ_code, "office": office, **trays, "counts": counts}

    def _get(self, case_id: UUID) -> Handling:
        return get(self, Handling, case_id, case_unknown(case_id))

    def scope_of(self, h: Handling) -> CaseScope:
        """The organs that hold or have held the case (or were sent it), and the holder."""
        organs: list[str | None] = [h.registered_organ]
        for link in h.custody:
            organs += [link.from_organ, link.to_organ]
        # An organ a transfer was dispatched to has been shown the case: it must read what
        # it is asked to receive, and it keeps seeing a case it refused.
        organs += [t.to_organ for t in h.transfers if t.state in _SHOWN_TO_TARGET]
        return CaseScope(str(h.id), h.holder_organ or h.registered_organ, held_by(organs))

    def authorise(
        self,
        h: Handling,
        actor: Actor,
        action: Action,
        obj: Object,
        transfer_id: str | None = None,
    ) -> None:
        """Apply the policy to the case as loaded (404 out of scope, 403 forbidden)."""
        scope = self.scope_of(h)
        transfer = next((t for t in h.transfers if t.id == transfer_id), None)
        proposed_by = None
        if transfer is not None:
            proposed_by = transfer.proposed_by
            if transfer.state == TransferState.DISPATCHED and transfer.to_organ:
                # Receipt and refusal belong to the receiving organ.
                scope = CaseScope(scope.case_id, transfer.to_organ, scope.held_by)
        self.guard.case(
            actor, action, obj, scope, lambda: case_unknown(h.id), proposed_by=proposed_by
        )

    def _index_cases(self, notifications: Sequence[Notification]) -> None:
        for case_id in {n.originator_id for n in notifications}:
            h = find(self, Handling, UUID(str(case_id)))
            if h is not None:
                self._index.put(h)
