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
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, JSONTranscoder

from domain.access import Action, Object
from domain.contracts import Envelope, PetitionEvents
from domain.handling import Actor, CustodyLink, Handling, Transfer
from domain.hierarchy import OrgTree
from infra.aggregates import change, find, save
from infra.snapshots import DataclassAsDict
from services.guard import Guard
from services.routing.inbox import HolderIndex
from services.routing.reading import RoutingReading
from services.routing.views import ViewCache, suggestion_or_none

T = TypeVar("T")
log = logging.getLogger(__name__)

INTAKE_ACTOR = "intake"
SNAPSHOT_INTERVAL = 50
Clock = Callable[[], datetime]


class RoutingApplication(RoutingReading):
    """The routing service's event-sourced application: owner of `Handling`."""

    # A case's handling gets long (transfers, reviews, repeats): a snapshot every so many
    # events keeps loading it as cheap as loading a short one (`Settings`).
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Handling: SNAPSHOT_INTERVAL}

    def __init__(
        self,
        org_tree: OrgTree,
        *,
        database_url: str | None = None,
        schema: str | None = None,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
        guard: Guard | None = None,
        snapshot_interval: int = SNAPSHOT_INTERVAL,
    ) -> None:
        # Per instance (settings, tests); the library reads it through the instance.
        intervals = {Handling: snapshot_interval} if snapshot_interval else {}
        self.snapshotting_intervals = intervals  # type: ignore[misc]
        super().__init__("routing", database_url=database_url, schema=schema, env=env)
        self.org_tree = org_tree
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.guard = guard or Guard(None, self.clock)
        self._index = HolderIndex()
        self._views = ViewCache()
        # What each intake event means to routing; every other type is only tracked.
        self._from_intake: dict[str, Callable[[Envelope], list[Handling]]] = {
            PetitionEvents.ACCEPTED: self._open_accepted,
            PetitionEvents.LINKED_AS_REPEAT: self._link_repeat,
        }

    @property
    def intake_types(self) -> frozenset[str]:
        """The intake event types routing acts on (its consumer wakes for these alone)."""
        return frozenset(self._from_intake)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Snapshots keep transfers and custody links, which events never carry as such."""
        super().register_transcodings(transcoder)
        transcoder.register(DataclassAsDict(Transfer))
        transcoder.register(DataclassAsDict(CustodyLink))

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

    def handle_batch(self, envelopes: Sequence[Envelope], tracking_name: str) -> None:
        """Consume a poll's `intake.events` envelopes of one partition in one transaction
        (none when routing has nothing to do for any of them)."""
        if not any(e.type in self._from_intake for e in envelopes):
            return  # nothing to do: not even the tracking row is read
        self.save_tracked_batch(tracking_name, envelopes, self._effects_of)

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
                suggestion=suggestion_or_none(self.org_tree, h),
            )

        return self._change(
            case_id, expected_version, actor, Action.CHANGE, Object.TRANSFER, propose
        )

    def approve_transfer(
        self, case_id: UUID, transfer_id: str, actor: Actor, expected_version: int | None = None
    ) -> None:
        self._change(
            case_id,
            expected_version,
            actor,
            Action.APPROVE,
            Object.TRANSFER,
            transfer_id,
            lambda h: h.approve_transfer(actor, transfer_id, at=self.clock()),
        )

    def dispatch_transfer(
        self, case_id: UUID, transfer_id: str, actor: Actor, expected_version: int | None = None
    ) -> None:
        self._change(
            case_id,
            expected_version,
            actor,
            Action.CHANGE,
            Object.TRANSFER,
            transfer_id,
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
            actor,
            Action.CHANGE,
            Object.TRANSFER,
            transfer_id,
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
            actor,
            Action.CHANGE,
            Object.TRANSFER,
            transfer_id,
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
            actor,
            Action.CHANGE,
            Object.TRANSFER,
            transfer_id,
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
            actor,
            Action.CHANGE,
            Object.CASE,
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
            actor,
            Action.CHANGE,
            Object.CASE,
            lambda h: h.conclude(actor, outcome, substantiation, findings, at=self.clock()),
        )

    def report_back(
        self, case_id: UUID, actor: Actor, summary: str, expected_version: int | None = None
    ) -> None:
        self._change(
            case_id,
            expected_version,
            actor,
            Action.CHANGE,
            Object.CASE,
            lambda h: h.report_back(actor, summary, at=self.clock()),
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
            actor,
            Action.CHANGE,
            Object.CASE,
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
            actor,
            Action.CHANGE,
            Object.CASE,
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
            actor,
            Action.CHANGE,
            Object.CASE,
            lambda h: h.confirm_five_in_place(actor, items, at=self.clock()),
        )

    def archive(self, case_id: UUID, actor: Actor, expected_version: int | None = None) -> None:
        self._change(
            case_id,
            expected_version,
            actor,
            Action.CHANGE,
            Object.CASE,
            lambda h: h.archive(actor, at=self.clock()),
        )

    # --- helpers ---------------------------------------------------------------------

    def _change(
        self,
        case_id: UUID,
        expected_version: int | None,
        actor: Actor,
        action: Action,
        obj: Object,
        *rest: Any,
    ) -> Any:
        """Load, authorise `action` on `obj` for `actor`, run the command, save.

        `rest` is the command, or a transfer id and then the command: a transfer's target
        organ decides its receipt or refusal, and its proposer may not approve it.
        """
        *transfer, command = rest
        h = self._get(case_id)
        self.authorise(h, actor, action, obj, transfer[0] if transfer else None)
        return change(self, h, command, expected_version)


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
