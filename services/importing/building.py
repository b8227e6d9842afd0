"""A checked historical report as the live path would have recorded it, at its own moments.

The aggregates' own commands are run (register, accept / divert / propose and approve not
to accept / link as a repeat; open, dispose, conclude), so an imported report obeys the
same rules and becomes the same events as a live one. Their moments are historical:
registered and screened when received, the handling opened at screening, the disposal and
conclusion at `concluded_at`. Nothing is stored here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.handling import Handling
from domain.petition import Petition
from domain.vocabulary import Office, Role
from services.importing.lines import ACCEPTED, DIVERTED, NOT_ACCEPTED, HistoricalReport
from services.intake.progress import public_outcome

__all__ = ["IMPORT_NAMESPACE", "Built", "Importers", "build", "case_id_of", "link_repeat"]

# Case ids are uuid5 of organ and source_id in this namespace: the same line always makes
# the same case, so importing a file twice changes nothing.
IMPORT_NAMESPACE = uuid.UUID("7f0c7d64-5a1e-4c55-9a53-2b1f3c0e9d11")
# What the import records where a live clerk would have typed a reason.
IMPORTED_NOTE = "历史数据导入 imported history"


def case_id_of(organ: str, source_id: str) -> UUID:
    """The case id of a historical report (stable across runs)."""
    return uuid.uuid5(IMPORT_NAMESPACE, f"{organ}/{source_id}")


@dataclass(frozen=True)
class Importers:
    """The names imported events record as their actors, per organ.

    A clerk registers, screens and handles; not accepting needs a second person (a
    leader who did not propose it), recorded under its own name.
    """

    name: str = "import"

    def clerk(self, organ: str) -> Actor:
        return Actor(
            self.name, self.name, "历史数据导入", organ, Office.PETITION.value,
            (Role.PETITION_CLERK.value, Role.HANDLER.value),
        )

    def leader(self, organ: str) -> Actor:
        name = f"{self.name}-leader"
        return Actor(name, name, "历史数据导入(审批)", organ, Office.PETITION.value,
                     (Role.LEADER.value,))


@dataclass
class Built:
    """The aggregates of one report (a handling only when it was accepted)."""

    report: HistoricalReport
    petition: Petition
    handling: Handling | None


def build(
    report: HistoricalReport,
    case_id: UUID,
    number: str,
    sealed_reporter: str | None,
    importers: Importers,
) -> Built:
    """Register and screen the report (all but a repeat), and handle it if it was concluded."""
    organ, at = report.organ, report.received_at
    clerk = importers.clerk(organ)
    petition = Petition.register(
        organ_code=organ,
        actor=clerk.username,
        registration_number=number,
        registered_at=at,
        description=report.description,
        sealed_reporter=sealed_reporter,
        case_id=case_id,
        source_id=report.source_id,
    )
    screening = report.screening
    handling = None
    if screening.outcome == ACCEPTED:
        petition.accept(screening.detail, actor=clerk.username, at=at)
        handling = Handling.open(
            case_id, organ, clerk.username, screening.detail,
            [p.to_dict() for p in report.description.reported_persons], at=at,
        )
        petition.note_handling_started(actor=clerk.username, at=at)
        if report.conclusion is not None:
            _conclude(report, petition, handling, clerk)
    elif screening.outcome == DIVERTED:
        petition.divert(
            screening.detail, screening.note or IMPORTED_NOTE, actor=clerk.username, at=at
        )
    elif screening.outcome == NOT_ACCEPTED:
        petition.propose_not_accept(screening.detail, actor=clerk, at=at)
        petition.approve_not_accept(actor=importers.leader(organ), at=at)
    return Built(report, petition, handling)


def _conclude(
    report: HistoricalReport, petition: Petition, handling: Handling, clerk: Actor
) -> None:
    conclusion = report.conclusion
    assert conclusion is not None
    at: datetime = conclusion.concluded_at
    handling.decide_disposal(clerk, conclusion.disposal, IMPORTED_NOTE, at=at)
    handling.conclude(clerk, conclusion.outcome, conclusion.substantiation, IMPORTED_NOTE, at=at)
    zh, en = public_outcome(conclusion.outcome)
    petition.publish_result(zh, en, actor=clerk.username, at=at)


def link_repeat(
    built: Built, first: Petition, first_handling: Handling | None, importers: Importers
) -> str:
    """Screen a registered report as a repeat of `first`; the first case's handling shows
    it. Returns the first case id (the first's own first, when it is itself a repeat)."""
    report = built.report
    clerk = importers.clerk(report.organ)
    at = report.received_at
    first_case_id = built.petition.link_as_repeat(
        first, report.screening.note or IMPORTED_NOTE, actor=clerk.username, at=at
    )
    if first_handling is not None:
        first_handling.link_repeat(built.petition.id, report.organ, clerk.username, at=at)
    return first_case_id
