"""Routing use cases: open a Handling for each accepted report and move it along.

Every command loads the case, runs one Handling command at the moment the application's
clock gives, and saves it; two people acting on the same case at once cannot both succeed:
the second save collides on the aggregate's version (optimistic concurrency) and is refused
as "concurrent_update", as is a command that names a stale `expected_version`
(`infra.aggregates`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Notification

from domain.contracts import Envelope, PetitionEvents
from domain.errors import Conflict, NotFound
from domain.handling import Actor, Handling
from domain.hierarchy import OrgTree
from infra.aggregates import catch_up, change, find, get, save
from infra.eventstore import ServiceApplication
from services.routing.inbox import HolderIndex
from services.routing.views import case_view, suggestion, suggestion_or_none

T = TypeVar("T")
log = logging.getLogger(__name__)

INTAKE_ACTOR = "intake"
Clock = Callable[[], datetime]


def _case_unknown(case_id: UUID) -> NotFound:
    return NotFound("case_unknown", "案件不存在", "No case has this id", case_id=str(case_id))


class RoutingApplication(ServiceApplication):
    """The routing service's event-sourced application: owner of `Handling`."""

    def __init__(
        self,
        org_tree: OrgTree,
        *,
        database_url: str | None = None,
        schema: str | None = None,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__("routing", database_url=database_url, schema=schema, env=env)
        self.org_tree = org_tree
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._index = HolderIndex()
        # What each intake event means to routing; every other type is only tracked.
        self._from_intake: dict[str, Callable[[Envelope], list[Handling]]] = {
            PetitionEvents.ACCEPTED: self._open_accepted,
            PetitionEvents.LINKED_AS_REPEAT: self._link_repeat,
        }

    # --- from intake -----------------------------------------------------------------

    def handle(self, envelope: Envelope, tracking_name: str) -> None:
        """Consume one `intake.events` envelope exactly once in effect."""
        done = self.tracked_position(tracking_name)
        if done is not None and envelope.notification_id <= done:
            return
        aggregates = self._effects_of(envelope)
        try:
            self.save_tracked(tracking_name, envelope.notification_id, *aggregates)
        except IntegrityError:
            # Another consumer of the same partition got there first: nothing to add.
            done = self.tracked_position(tracking_name)
            if done is None or envelope.notification_id > done:
                raise

    def _effects_of(self, envelope: Envelope) -> list[Handling]:
        effect = self._from_intake.get(envelope.type)
        if effect is None:
            return []
        try:
            return effect(envelope)
        except ValueError:
            # Not a case id: record the position and move on rather than stall the partition.
            log.error("routing ignores %s with a malformed case id", envelope.type)
            return []

    def _open_accepted(self, envelope: Envelope) -> list[Handling]:
        case_id = UUID(envelope.case_id)
        if find(self, Handling, case_id) is not None:
            return []  # already open (e.g. the same case accepted twice upstream)
        payload = envelope.payload
        return [
            Handling.open(
                case_id,
                str(payload.get("organ_code") or envelope.organ_code),
                envelope.actor or INTAKE_ACTOR,
                report_type=payload.get("report_type"),
                reported_persons=_persons(payload.get("reported_persons")),
                at=self.clock(),
            )
        ]

    def _link_repeat(self, envelope: Envelope) -> list[Handling]:
        payload = envelope.payload
        first = find(self, Handling, UUID(str(payload.get("first_case_id"))))
        if first is None:
            return []  # the first case was never accepted into routing
        linked = first.link_repeat(
            envelope.case_id,
            str(payload.get("organ_code") or envelope.organ_code),
            envelope.actor or INTAKE_ACTOR,
            at=self.clock(),
        )
        return [first] if linked else []

    def open_case(
        self,
        case_id: UUID,
        organ_code: str,
        actor: str,
        report_type: str | None = None,
        reported_persons: Iterable[Mapping[str, Any]] = (),
    ) -> UUID:
        """Open a Handling directly (tests, back-office tools); idempotent."""
        if find(self, Handling, case_id) is None:
            self.org_tree.get(organ_code)
            opened = Handling.open(
                case_id, organ_code, actor, report_type, reported_persons, at=self.clock()
            )
            save(self, opened)
        return case_id

    # --- transfers -------------------------------------------------------------------

    def propose_transfer(
        self,
        case_id: UUID,
        actor: Actor,
        kind: str,
        reason: str,
        *,
        to_organ: str | None = None,
        to_office: str | None = None,
        external_body: str | None = None,
        deadline: date | None = None,
        expected_version: int | None = None,
    ) -> str:
        """Propose a transfer, with the jurisdiction suggestion recorded beside it."""

        def propose(h: Handling) -> str:
            return h.propose_transfer(
                actor,
                kind,
                reason,
                self.org_tree,
                at=self.clock(),
                to_organ=to_organ,
                to_office=to_office,
                external_body=external_body,
                deadline=deadline,
                suggestion=suggestion_or_none(self.org_tree, h),
            )

        return self._change(case_id, expected_version, propose)

    def approve_transfer(
        self, case_id: UUID, transfer_id: str, actor: Actor, expected_version: int | None = None
    ) -> None:
        self._change(
            case_id,
            expected_version,
            lambda h: h.approve_transfer(actor, transfer_id, at=self.clock()),
        )

    def dispatch_transfer(
        self, case_id: UUID, transfer_id: str, actor: Actor, expected_version: int | None = None
    ) -> None:
        self._change(
            case_id,
            expected_version,
            lambda h: h.dispatch_transfer(actor, transfer_id, self.org_tree, at=self.clock()),
        )

    def receive_transfer(
        self,
        case_id: UUID,
        transfer_id: str,
        actor: Actor,
        received_by: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        self._change(
            case_id,
            expected_version,
            lambda h: h.receive_transfer(actor, transfer_id, received_by, at=self.clock()),
        )

    def refuse_transfer(
        self,
        case_id: UUID,
        transfer_id: str,
        actor: Actor,
        reason: str,
        expected_version: int | None = None,
    ) -> None:
        self._change(
            case_id,
            expected_version,
            lambda h: h.refuse_transfer(actor, transfer_id, reason, at=self.clock()),
        )

    def withdraw_transfer(
        self,
        case_id: UUID,
        transfer_id: str,
        actor: Actor,
        reason: str,
        expected_version: int | None = None,
    ) -> None:
        self._change(
            case_id,
            expected_version,
            lambda h: h.withdraw_transfer(actor, transfer_id, reason, at=self.clock()),
        )

    # --- handling --------------------------------------------------------------------

    def decide_disposal(
        self,
        case_id: UUID,
        actor: Actor,
        mode: str,
        reason: str,
        expected_version: int | None = None,
    ) -> None:
        self._change(
            case_id,
            expected_version,
            lambda h: h.decide_disposal(actor, mode, reason, at=self.clock()),
        )

    def conclude(
        self,
        case_id: UUID,
        actor: Actor,
        outcome: str,
        substantiation: str,
        findings: str,
        expected_version: int | None = None,
    ) -> None:
        self._change(
            case_id,
            expected_version,
            lambda h: h.conclude(actor, outcome, substantiation, findings, at=self.clock()),
        )

    def report_back(
        self, case_id: UUID, actor: Actor, summary: str, expected_version: int | None = None
    ) -> None:
        self._change(
            case_id, expected_version, lambda h: h.report_back(actor, summary, at=self.clock())
        )

    def review(
        self,
        case_id: UUID,
        actor: Actor,
        accept: bool,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        self._change(
            case_id,
            expected_version,
            lambda h: h.review(actor, accept, reason, at=self.clock()),
        )

    def record_feedback(
        self,
        case_id: UUID,
        actor: Actor,
        method: str,
        content: str,
        satisfaction: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        self._change(
            case_id,
            expected_version,
            lambda h: h.record_feedback(actor, method, content, satisfaction, at=self.clock()),
        )

    def confirm_five_in_place(
        self,
        case_id: UUID,
        actor: Actor,
        items: Iterable[str],
        expected_version: int | None = None,
    ) -> None:
        items = list(items)
        self._change(
            case_id,
            expected_version,
            lambda h: h.confirm_five_in_place(actor, items, at=self.clock()),
        )

    def archive(self, case_id: UUID, actor: Actor, expected_version: int | None = None) -> None:
        self._change(case_id, expected_version, lambda h: h.archive(actor, at=self.clock()))

    # --- reading ---------------------------------------------------------------------

    def case(self, case_id: UUID) -> dict[str, Any]:
        """The case as its holder sees it: holder, status, pending transfer, custody, repeats."""
        return case_view(self._get(case_id))

    def events_of(self, case_id: UUID) -> list[Any]:
        """The stored events of one case, oldest first."""
        return list(self.repository.event_store.get(case_id))

    def jurisdiction(self, case_id: UUID) -> dict[str, Any]:
        """Who should handle the case, how it gets there from its holder, and why."""
        suggested = suggestion(self.org_tree, self._get(case_id))
        if suggested is None:
            raise Conflict(
                "jurisdiction_unknown",
                "缺少被反映人的管理层级，无法建议管辖",
                "No reported person with a cadre level is known: no suggestion can be made",
            )
        return suggested

    def inbox(self, organ_code: str, office: str | None = None) -> dict[str, Any]:
        """Cases an office holds, and transfers waiting for it to receive or refuse."""
        self.org_tree.get(organ_code)
        with self._index.lock:
            self._index.position = catch_up(self, self._index.position, self._index_cases)
        held, incoming = self._index.of(organ_code, office)
        return {"organ_code": organ_code, "office": office, "held": held, "incoming": incoming}

    # --- helpers ---------------------------------------------------------------------

    def _get(self, case_id: UUID) -> Handling:
        return get(self, Handling, case_id, _case_unknown(case_id))

    def _change(
        self, case_id: UUID, expected_version: int | None, command: Callable[[Handling], T]
    ) -> T:
        return change(self, self._get(case_id), command, expected_version)

    def _index_cases(self, notifications: Sequence[Notification]) -> None:
        for case_id in {n.originator_id for n in notifications}:
            h = find(self, Handling, UUID(str(case_id)))
            if h is not None:
                self._index.put(h)


def _persons(value: Any) -> list[dict[str, Any]]:
    """Reported persons from an intake payload, reduced to what jurisdiction needs."""
    if not isinstance(value, list):
        return []
    return [
        {
            "name": str(p.get("name", "")),
            "unit": str(p.get("unit", "")),
            "cadre_level": p.get("cadre_level"),
        }
        for p in value
        if isinstance(p, dict)
    ]
