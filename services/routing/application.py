"""Routing use cases: open a Handling for each accepted report and move it along.

Every command loads the case, runs one Handling command and saves it; two people acting on
the same case at once cannot both succeed: the second save collides on the aggregate's
version (optimistic concurrency) and is refused as "concurrent_update", as is a command
that names a stale `expected_version`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.contracts import Envelope
from domain.errors import Conflict, InvalidInput, NotFound
from domain.handling import Actor, Handling
from domain.hierarchy import OrgTree
from domain.jurisdiction import ReportedPerson, decide_jurisdiction
from domain.vocabulary import CadreLevel
from infra.eventstore import ServiceApplication

T = TypeVar("T")
log = logging.getLogger(__name__)

ACCEPTED = "Petition.Accepted"
LINKED_AS_REPEAT = "Petition.LinkedAsRepeat"
INTAKE_ACTOR = "intake"


def _concurrent(case_id: UUID, **details: Any) -> Conflict:
    return Conflict(
        "concurrent_update",
        "案件已被他人同时修改，请刷新后重试",
        "Someone else changed this case at the same time: reload and try again",
        case_id=str(case_id),
        **details,
    )


class RoutingApplication(ServiceApplication):
    """The routing service's event-sourced application: owner of `Handling`."""

    def __init__(
        self,
        org_tree: OrgTree,
        *,
        database_url: str | None = None,
        schema: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__("routing", database_url=database_url, schema=schema, env=env)
        self.org_tree = org_tree
        self._index = _HolderIndex()

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
        try:
            return self._effects_of_valid(envelope)
        except ValueError:
            # Not a case id: record the position and move on rather than stall the partition.
            log.error("routing ignores %s with a malformed case id", envelope.type)
            return []

    def _effects_of_valid(self, envelope: Envelope) -> list[Handling]:
        payload = envelope.payload
        if envelope.type == ACCEPTED:
            case_id = UUID(envelope.case_id)
            if self._find(case_id) is not None:
                return []  # already open (e.g. the same case accepted twice upstream)
            organ = str(payload.get("organ_code") or envelope.organ_code)
            return [
                Handling.open(
                    case_id,
                    organ,
                    envelope.actor or INTAKE_ACTOR,
                    report_type=payload.get("report_type"),
                    reported_persons=_persons(payload.get("reported_persons")),
                )
            ]
        if envelope.type == LINKED_AS_REPEAT:
            first = self._find(UUID(str(payload.get("first_case_id"))))
            if first is None:
                return []  # the first case was never accepted into routing
            linked = first.link_repeat(
                envelope.case_id,
                str(payload.get("organ_code") or envelope.organ_code),
                envelope.actor or INTAKE_ACTOR,
            )
            return [first] if linked else []
        return []

    def open_case(
        self,
        case_id: UUID,
        organ_code: str,
        actor: str,
        report_type: str | None = None,
        reported_persons: Iterable[Mapping[str, Any]] = (),
    ) -> UUID:
        """Open a Handling directly (tests, back-office tools); idempotent."""
        if self._find(case_id) is None:
            self.org_tree.get(organ_code)
            self.save(Handling.open(case_id, organ_code, actor, report_type, reported_persons))
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
                to_organ=to_organ,
                to_office=to_office,
                external_body=external_body,
                deadline=deadline,
                suggestion=self._suggestion_or_none(h),
            )

        return self._change(case_id, expected_version, propose)

    def approve_transfer(
        self, case_id: UUID, transfer_id: str, actor: Actor, expected_version: int | None = None
    ) -> None:
        self._change(case_id, expected_version, lambda h: h.approve_transfer(actor, transfer_id))

    def dispatch_transfer(
        self, case_id: UUID, transfer_id: str, actor: Actor, expected_version: int | None = None
    ) -> None:
        self._change(case_id, expected_version, lambda h: h.dispatch_transfer(actor, transfer_id))

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
            lambda h: h.receive_transfer(actor, transfer_id, received_by),
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
            case_id, expected_version, lambda h: h.refuse_transfer(actor, transfer_id, reason)
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
            case_id, expected_version, lambda h: h.withdraw_transfer(actor, transfer_id, reason)
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
        self._change(case_id, expected_version, lambda h: h.decide_disposal(actor, mode, reason))

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
            lambda h: h.conclude(actor, outcome, substantiation, findings),
        )

    def report_back(
        self, case_id: UUID, actor: Actor, summary: str, expected_version: int | None = None
    ) -> None:
        self._change(case_id, expected_version, lambda h: h.report_back(actor, summary))

    def review(
        self,
        case_id: UUID,
        actor: Actor,
        accept: bool,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        self._change(case_id, expected_version, lambda h: h.review(actor, accept, reason))

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
            lambda h: h.record_feedback(actor, method, content, satisfaction),
        )

    def confirm_five_in_place(
        self,
        case_id: UUID,
        actor: Actor,
        items: Iterable[str],
        expected_version: int | None = None,
    ) -> None:
        items = list(items)
        self._change(case_id, expected_version, lambda h: h.confirm_five_in_place(actor, items))

    def archive(self, case_id: UUID, actor: Actor, expected_version: int | None = None) -> None:
        self._change(case_id, expected_version, lambda h: h.archive(actor))

    # --- reading ---------------------------------------------------------------------

    def case(self, case_id: UUID) -> dict[str, Any]:
        """The case as its holder sees it: holder, status, pending transfer, custody, repeats."""
        h = self._get(case_id)
        stamps = {e.originator_version: e.timestamp for e in self.events_of(case_id)}
        return {
            "case_id": str(h.id),
            "version": h.version,
            "registered_organ": h.registered_organ,
            "report_type": h.report_type,
            "status": h.status,
            "holder": h.holder,
            "pending_transfer": h.pending_transfer.as_dict() if h.pending_transfer else None,
            "transfers": [t.as_dict() for t in h.transfers],
            "custody": [
                {**link.as_dict(), "at": stamps[link.version].isoformat()} for link in h.custody
            ],
            "assignments": list(h.assignments),
            "disposal": h.disposal,
            "conclusion": h.conclusion,
            "reviews": list(h.reviews),
            "feedback": list(h.feedback),
            "five_in_place": list(h.five_in_place),
            "five_in_place_missing": h.five_in_place_missing,
            "repeats": list(h.repeats),
            "archived_by": h.archived_by,
        }

    def events_of(self, case_id: UUID) -> list[Any]:
        """The stored events of one case, oldest first."""
        return list(self.repository.event_store.get(case_id))

    def jurisdiction(self, case_id: UUID) -> dict[str, Any]:
        """Who should handle the case, how it gets there from its holder, and why."""
        h = self._get(case_id)
        suggestion = self._suggestion(h)
        if suggestion is None:
            raise Conflict(
                "jurisdiction_unknown",
                "缺少被反映人的管理层级，无法建议管辖",
                "No reported person with a cadre level is known: no suggestion can be made",
            )
        return suggestion

    def inbox(self, organ_code: str, office: str | None = None) -> dict[str, Any]:
        """Cases an office holds, and transfers waiting for it to receive or refuse."""
        self.org_tree.get(organ_code)
        self._catch_up()
        held, incoming = self._index.of(organ_code, office)
        return {"organ_code": organ_code, "office": office, "held": held, "incoming": incoming}

    # --- helpers ---------------------------------------------------------------------

    def _find(self, case_id: UUID) -> Handling | None:
        try:
            h: Any = self.repository.get(case_id)
        except AggregateNotFoundError:
            return None
        return h if isinstance(h, Handling) else None

    def _get(self, case_id: UUID) -> Handling:
        h = self._find(case_id)
        if h is None:
            raise NotFound(
                "case_unknown", "案件不存在", "No case has this id", case_id=str(case_id)
            )
        return h

    def _change(
        self, case_id: UUID, expected_version: int | None, command: Callable[[Handling], T]
    ) -> T:
        h = self._get(case_id)
        if expected_version is not None and expected_version != h.version:
            raise _concurrent(case_id, expected_version=expected_version, version=h.version)
        result = command(h)
        try:
            self.save(h)
        except IntegrityError:
            raise _concurrent(case_id) from None
        return result

    def _suggestion(self, h: Handling) -> dict[str, Any] | None:
        persons = [
            ReportedPerson(name=p["name"], cadre_level=CadreLevel(p["cadre_level"]), unit=p["unit"])
            for p in h.reported_persons
            if p.get("cadre_level") in CadreLevel._value2member_map_
        ]
        if not persons or h.holder_organ is None:
            return None
        decision = decide_jurisdiction(self.org_tree, h.holder_organ, persons)
        return {
            "organ_code": decision.organ.code,
            "organ_name": decision.organ.name,
            "office": decision.office.value,
            "action": decision.action.value,
            "next_hop": decision.next_hop,
            "reason_zh": decision.reason_zh,
            "reason_en": decision.reason_en,
            "deciding_person": decision.deciding_person,
            "needs_review": decision.needs_review,
        }

    def _suggestion_or_none(self, h: Handling) -> dict[str, Any] | None:
        try:
            return self._suggestion(h)
        except (InvalidInput, NotFound, Conflict):
            return None

    def _catch_up(self) -> None:
        with self._index.lock:
            while True:
                notifications = self.recorder.select_notifications(
                    start=self._index.position + 1, limit=500
                )
                touched = {n.originator_id for n in notifications}
                for case_id in touched:
                    h = self._find(UUID(str(case_id)))
                    if h is not None:
                        self._index.put(h)
                if notifications:
                    self._index.position = notifications[-1].id
                if len(notifications) < 500:
                    return


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


class _HolderIndex:
    """Who holds what, and what waits where: rebuilt from the store's notification log."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.position = 0
        self.rows: dict[str, dict[str, Any]] = {}

    def put(self, h: Handling) -> None:
        pending = h.pending_transfer
        self.rows[str(h.id)] = {
            "case_id": str(h.id),
            "version": h.version,
            "status": h.status,
            "holder_organ": h.holder_organ,
            "holder_office": h.holder_office,
            "repeats": len(h.repeats),
            "pending": pending.as_dict() if pending else None,
        }

    def of(
        self, organ: str, office: str | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        held, incoming = [], []
        for row in self.rows.values():
            summary = {k: v for k, v in row.items() if k != "pending"}
            if row["holder_organ"] == organ and office in (None, row["holder_office"]):
                held.append({**summary, "pending_transfer": row["pending"]})
            pending = row["pending"]
            if (
                pending
                and pending["state"] == "dispatched"
                and pending["to_organ"] == organ
                and office in (None, pending["to_office"])
            ):
                incoming.append({**summary, "transfer": pending})
        return held, incoming
