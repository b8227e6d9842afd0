"""What a petition's commands check and read, apart from the events they record.

The `Petition` aggregate keeps its command and event methods (their event classes are
named after the aggregate, so they must stay on it); its derived views and the guards
its commands share live here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.actors import Actor
from domain.petition import refusals
from domain.petition.description import ReportDescription
from domain.petition.sign_off import require_decider
from domain.petition.stage import Stage


class PetitionGuards:
    """Derived views and shared guards of the petition aggregate 信访件."""

    organ_code: str
    real_name: bool
    categories: list[str]
    attachments: list[dict[str, Any]]
    stage: str
    screened_by: str | None
    screened_at: datetime | None
    not_accept_proposal: dict[str, Any] | None

    @property
    def description(self) -> ReportDescription:
        """What the report says, as now recorded (corrections included)."""
        return ReportDescription.from_event_values(vars(self))

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def attachment_hashes(self) -> list[str]:
        return [a["sha256"] for a in self.attachments]

    def _require_decider(self, actor: Actor) -> dict[str, Any]:
        proposal = self.not_accept_proposal
        if self.stage != Stage.RECEIVED or proposal is None:
            raise refusals.not_accept_not_proposed()
        require_decider(actor, self.organ_code, proposal["proposed_by"])
        return proposal

    def _screened(self, actor: str, at: datetime) -> None:
        self.screened_by = actor
        self.screened_at = at

    def _require_unscreened(self) -> None:
        if self.stage != Stage.RECEIVED:
            raise refusals.already_screened(self.stage)
        if self.not_accept_proposal is not None:
            raise refusals.not_accept_pending()

    def _require_real_name(self) -> None:
        if not self.real_name:
            raise refusals.petition_anonymous()
