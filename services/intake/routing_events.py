"""Intake's consumer of routing.events: who holds each case, and what the reporter sees.

One handler per `HandlingEvents` type, found through a table. The holder is what repeat
candidates show; the result reaches the reporter only once it is final: on `Concluded`
when no report-back is required, otherwise on `ResultAccepted` after the assigning organ
reviewed it; a send-back 退回重办 returns the public stage to "in handling".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.contracts import Envelope, HandlingEvents
from domain.petition import Petition, Stage
from domain.vocabulary import Office
from services.intake.progress import public_outcome
from services.intake.sidestore import SideStore

__all__ = ["RoutingEventHandlers"]

Handler = Callable[[Envelope, Petition], list[Petition]]


class RoutingEventHandlers:
    """Intake's reactions to routing's events, each returning the petitions it changed."""

    def __init__(self, side: SideStore, clock: Callable[[], datetime]) -> None:
        self.side = side
        self.clock = clock
        self.table: dict[str, Handler] = {
            HandlingEvents.OPENED: self.opened,
            HandlingEvents.TRANSFER_PROPOSED: self.transfer_proposed,
            HandlingEvents.TRANSFER_DISPATCHED: self.transfer_dispatched,
            HandlingEvents.TRANSFER_RECEIVED: self.transfer_received,
            HandlingEvents.REPORTED_BACK: self.reported_back,
            HandlingEvents.SENT_BACK: self.sent_back,
            HandlingEvents.CONCLUDED: self.concluded,
            HandlingEvents.RESULT_ACCEPTED: self.result_accepted,
        }

    def handle(self, envelope: Envelope, petition: Petition | None) -> list[Petition]:
        """The petitions this envelope changed (none for types intake does not follow)."""
        handler = self.table.get(envelope.type)
        if handler is None or petition is None:
            return []
        return handler(envelope, petition)

    # --- who holds the case 持有机关 --------------------------------------------------------

    def opened(self, envelope: Envelope, petition: Petition) -> list[Petition]:
        """Routing opened the case at the petition office of the accepting organ."""
        organ = envelope.payload.get("organ_code") or envelope.organ_code
        self._note(envelope, petition, holder_organ=organ, holder_office=Office.PETITION.value)
        if petition.stage != Stage.ACCEPTED:
            return []
        petition.note_handling_started(actor=_actor(envelope), at=self.clock())
        return [petition]

    def transfer_proposed(self, envelope: Envelope, petition: Petition) -> list[Petition]:
        """Remember where a proposed transfer would go: its dispatch names only its id."""
        payload = envelope.payload
        proposed = {"transfer_id": payload.get("transfer_id"), "to_organ": payload.get("to_organ")}
        self._note(envelope, petition, proposed_transfer=proposed)
        return []

    def transfer_dispatched(self, envelope: Envelope, petition: Petition) -> list[Petition]:
        """Sent to an organ 待接收: it must read what it is asked to receive (and keeps
        seeing a case it refuses), as in routing; the holder is unchanged until receipt."""
        view = self.side.handling_of([petition.id]).get(str(petition.id), {})
        proposed = view.get("proposed_transfer") or {}
        if proposed.get("transfer_id") == envelope.payload.get("transfer_id") and proposed.get(
            "to_organ"
        ):
            self.side.note_holder(UUID(str(petition.id)), str(proposed["to_organ"]))
        return []

    def transfer_received(self, envelope: Envelope, petition: Petition) -> list[Petition]:
        """A transfer was receipted: the receiving office holds the case now."""
        self._note_holder(envelope, petition, "holder_organ", "holder_office")
        return []

    def reported_back(self, envelope: Envelope, petition: Petition) -> list[Petition]:
        """The result went up for review 报结: the assigning office holds it."""
        self._note_holder(envelope, petition, "to_organ", "to_office")
        return []

    # --- what the reporter sees 举报人可见的结果 --------------------------------------------

    def concluded(self, envelope: Envelope, petition: Petition) -> list[Petition]:
        """Final unless a report-back is required; then it waits for the review."""
        outcome = envelope.payload.get("outcome")
        if envelope.payload.get("report_back_required"):
            self._note(envelope, petition, outcome=outcome)
            return []
        self._note(envelope, petition, outcome=None)
        return self._publish(envelope, petition, outcome)

    def result_accepted(self, envelope: Envelope, petition: Petition) -> list[Petition]:
        """The assigning organ accepted the reported result: now it is final."""
        view = self.side.handling_of([petition.id]).get(str(petition.id), {})
        self._note(envelope, petition, outcome=None)
        return self._publish(envelope, petition, view.get("outcome"))

    def sent_back(self, envelope: Envelope, petition: Petition) -> list[Petition]:
        """Sent back to be redone 退回重办: no result stands until it is concluded again."""
        payload = envelope.payload
        changes: dict[str, Any] = {"outcome": None}
        if payload.get("holder_organ") and payload.get("holder_office"):
            changes.update(
                holder_organ=payload["holder_organ"], holder_office=payload["holder_office"]
            )
        self._note(envelope, petition, **changes)
        if petition.stage != Stage.CONCLUDED:  # the reporter sees "in handling" already
            return []
        reason = str(payload.get("reason") or "退回重办")
        petition.resume_handling(reason, actor=_actor(envelope), at=self.clock())
        return [petition]

    # --- helpers ------------------------------------------------------------------------

    def _publish(self, envelope: Envelope, petition: Petition, outcome: Any) -> list[Petition]:
        if petition.stage not in Stage.HANDLED:
            return []
        zh, en = public_outcome(None if outcome is None else str(outcome))
        if petition.stage == Stage.CONCLUDED and (zh, en) == (
            petition.public_result_zh,
            petition.public_result_en,
        ):
            return []  # already told: an imported case 历史数据 published it at its time
        petition.publish_result(zh, en, actor=_actor(envelope), at=self.clock())
        return [petition]

    def _note_holder(
        self, envelope: Envelope, petition: Petition, organ_key: str, office_key: str
    ) -> None:
        organ, office = envelope.payload.get(organ_key), envelope.payload.get(office_key)
        if organ and office:
            self._note(envelope, petition, holder_organ=organ, holder_office=office)

    def _note(self, envelope: Envelope, petition: Petition, **changes: Any) -> None:
        """Remember what routing said of the case, for its sequence (idempotent), and every
        organ that held it (inserted once)."""
        self.side.note_handling(UUID(str(petition.id)), envelope.sequence, changes)
        if changes.get("holder_organ"):
            self.side.note_holder(UUID(str(petition.id)), str(changes["holder_organ"]))


def _actor(envelope: Envelope) -> str:
    return envelope.actor or "routing"
